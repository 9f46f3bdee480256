// sendfile(2) to a real loopback socket: whole and partial segments, waiting when the socket is
// full, and the errors (file shorter than promised, peer gone, wait cancelled).

#include "net/send_file.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/ip/tcp.hpp>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <thread>

namespace bulwark::net {
namespace {

using asio::ip::tcp;
using namespace std::chrono_literals;

class SendFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::signal(SIGPIPE, SIG_IGN);  // as the server does: a closed peer is an error, not a signal
    tcp::acceptor acceptor(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    client_.connect(acceptor.local_endpoint());
    acceptor.accept(server_);
    // Small buffers, so that a few hundred KiB fill them and the sender has to wait.
    client_.set_option(asio::socket_base::send_buffer_size(16 * 1024));
    server_.set_option(asio::socket_base::receive_buffer_size(16 * 1024));

    std::string name = "/tmp/bulwark-send-file-XXXXXX";
    fd_ = ::mkstemp(name.data());
    ::unlink(name.c_str());
    content_.resize(std::size_t{3} << 20);
    unsigned seed = 7;
    for (char& c : content_)
      c = static_cast<char>(rand_r(&seed));
    ASSERT_EQ(::write(fd_, content_.data(), content_.size()),
              static_cast<ssize_t>(content_.size()));
  }
  void TearDown() override { ::close(fd_); }

  // Runs send_file to completion.
  SendFileResult send(std::uint64_t offset, std::uint64_t length, int* waits = nullptr,
                      std::span<const asio::const_buffer> prefix = {}) {
    std::optional<SendFileResult> result;
    asio::co_spawn(
        io_,
        [&]() -> core::Task<void> {
          result = co_await send_file(client_, prefix, fd_, offset, length, [waits] {
            if (waits != nullptr) ++*waits;
          });
        },
        asio::detached);
    io_.run_for(20s);
    io_.restart();
    EXPECT_TRUE(result.has_value());
    return result.value_or(SendFileResult{});
  }

  // Reads `size` bytes on the server side, on a thread, starting after `delay`.
  std::thread reader(std::size_t size, std::string& out, std::chrono::milliseconds delay = 50ms) {
    return std::thread([this, size, &out, delay] {
      std::this_thread::sleep_for(delay);
      out.resize(size);
      std::size_t got = 0;
      while (got < size) {
        const ssize_t n = ::recv(server_.native_handle(), out.data() + got, size - got, 0);
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
      }
      out.resize(got);
    });
  }

  asio::io_context io_;
  core::TcpSocket client_{io_.get_executor()};
  tcp::socket server_{io_};
  int fd_ = -1;
  std::string content_;
};

TEST_F(SendFileTest, SendsTheWholeFileWaitingWhenTheSocketIsFull) {
  std::string received;
  std::thread read = reader(content_.size(), received);
  int waits = 0;
  const SendFileResult result = send(0, content_.size(), &waits);
  read.join();
  EXPECT_FALSE(result.error) << result.error.message();
  EXPECT_EQ(result.sent, content_.size());
  EXPECT_GT(waits, 0);  // the reader started late: the buffers filled
  EXPECT_TRUE(received == content_);
}

TEST_F(SendFileTest, SendsASegment) {
  std::string received;
  std::thread read = reader(5000, received, 0ms);
  const SendFileResult result = send(1000, 5000);
  read.join();
  EXPECT_FALSE(result.error);
  EXPECT_EQ(result.sent, 5000U);
  EXPECT_EQ(received, content_.substr(1000, 5000));
}

TEST_F(SendFileTest, PrefixGoesFirst) {
  const std::string head = "HTTP/1.1 200 OK\r\n";
  const std::string more = "Content-Length: 5000\r\n\r\n";
  const std::array<asio::const_buffer, 3> prefix{asio::buffer(head), asio::const_buffer(),
                                                 asio::buffer(more)};
  std::string received;
  std::thread read = reader(head.size() + more.size() + 5000, received, 0ms);
  const SendFileResult result = send(7, 5000, nullptr, prefix);
  read.join();
  EXPECT_FALSE(result.error);
  EXPECT_EQ(result.sent, 5000U);
  EXPECT_EQ(received, head + more + content_.substr(7, 5000));
}

TEST_F(SendFileTest, LargePrefixThatFillsTheSocket) {
  // More prefix than the socket takes at once: its rest waits for the socket like the file does.
  const std::string big(std::size_t{1} << 20, 'h');
  const std::array<asio::const_buffer, 1> prefix{asio::buffer(big)};
  std::string received;
  std::thread read = reader(big.size() + 100, received);
  int waits = 0;
  const SendFileResult result = send(0, 100, &waits, prefix);
  read.join();
  EXPECT_FALSE(result.error);
  EXPECT_GT(waits, 0);
  EXPECT_TRUE(received == big + content_.substr(0, 100));
}

TEST_F(SendFileTest, PrefixWithoutFileIsNotHeldBack) {
  // No file bytes follow: the prefix must leave at once, not wait for more (MSG_MORE).
  const std::string head = "HTTP/1.1 304 Not Modified\r\n\r\n";
  const std::array<asio::const_buffer, 1> prefix{asio::buffer(head)};
  std::string received;
  std::thread read = reader(head.size(), received, 0ms);
  const auto start = std::chrono::steady_clock::now();
  const SendFileResult result = send(0, 0, nullptr, prefix);
  read.join();
  EXPECT_FALSE(result.error);
  EXPECT_EQ(received, head);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 150ms);
}

TEST_F(SendFileTest, FileShorterThanPromisedIsAnError) {
  std::string received;
  std::thread read = reader(100, received, 0ms);
  const SendFileResult result = send(content_.size() - 100, 200);
  read.join();
  EXPECT_EQ(result.error, std::errc::io_error);
  EXPECT_EQ(result.sent, 100U);
  EXPECT_EQ(received, content_.substr(content_.size() - 100));
}

TEST_F(SendFileTest, PeerGoneIsAnError) {
  server_.set_option(asio::socket_base::linger(true, 0));
  server_.close();  // a reset: the next send fails
  std::this_thread::sleep_for(20ms);
  const SendFileResult result = send(0, content_.size());
  EXPECT_TRUE(result.error);
  EXPECT_LT(result.sent, content_.size());
}

TEST_F(SendFileTest, CancelledWaitIsAnError) {
  // Nobody reads: the wait for the socket only ends when it is cancelled (a deadline does that).
  asio::steady_timer timer(io_, 100ms);
  timer.async_wait([this](const asio::error_code&) { client_.cancel(); });
  int waits = 0;
  const SendFileResult result = send(0, content_.size(), &waits);
  EXPECT_EQ(result.error, asio::error::operation_aborted);
  EXPECT_EQ(waits, 1);
  EXPECT_GT(result.sent, 0U);
}

}  // namespace
}  // namespace bulwark::net
