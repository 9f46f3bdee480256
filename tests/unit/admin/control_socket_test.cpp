// The control socket: what it makes on the file system, what it refuses to replace, and how it
// frames answers; with the command-line client (cli/control_client.h) on the other end.

#include "admin/control_socket.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cli/control_client.h"

namespace bulwark::admin {
namespace {

namespace fs = std::filesystem;

// Repeats each command back, so that the tests see exactly which lines arrived.
ControlAnswer echo(std::string_view line) {
  if (line == "fail") return {false, "error: failed"};
  return {true, "got " + std::string(line)};
}

class ControlSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "bulwark-control-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = (fs::path(dir_) / "control.sock").string();
  }
  void TearDown() override {
    stop();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  std::unique_ptr<ControlSocket> open() {
    auto socket = ControlSocket::open(loop_, path_, echo);
    EXPECT_TRUE(socket) << socket.error();
    return socket ? std::move(*socket) : nullptr;
  }
  // The loop runs on its own thread while a test talks to it as a client would.
  void serve() {
    thread_ = std::thread([this] {
      auto guard = asio::make_work_guard(loop_);
      loop_.run();
    });
  }
  void stop() {
    if (!thread_.joinable()) return;
    loop_.stop();
    thread_.join();
  }

  // Connects, sends `bytes`, ends its side and returns everything bulwark wrote back.
  std::string exchange(std::string_view bytes) const {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address = {};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path_.data(), path_.size());
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
    EXPECT_EQ(::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
    ::shutdown(fd, SHUT_WR);
    std::string answer;
    char chunk[512];
    for (ssize_t n; (n = ::recv(fd, chunk, sizeof chunk, 0)) > 0;)
      answer.append(chunk, static_cast<std::size_t>(n));
    ::close(fd);
    return answer;
  }

  asio::io_context loop_{1};
  std::thread thread_;
  std::string dir_;
  std::string path_;
};

TEST_F(ControlSocketTest, ASocketOnlyItsOwnerCanUseRemovedWhenClosed) {
  auto socket = open();
  ASSERT_TRUE(socket);
  struct stat made = {};
  ASSERT_EQ(::stat(path_.c_str(), &made), 0);
  EXPECT_TRUE(S_ISSOCK(made.st_mode));
  EXPECT_EQ(made.st_mode & 0777, 0600U);
  EXPECT_EQ(made.st_uid, ::geteuid());
  EXPECT_TRUE(socket->names(path_));
  EXPECT_TRUE(socket->names(dir_ + "/./control.sock"));
  socket.reset();
  EXPECT_FALSE(fs::exists(path_));
}

TEST_F(ControlSocketTest, EachLineIsAnsweredAndEachAnswerEndsWithAnEmptyLine) {
  auto socket = open();
  serve();
  // Blank lines get no answer; a last line without a newline is still a command.
  EXPECT_EQ(exchange("endpoints\n\n  \r\nendpoint drain a b:1\r\nfail\nhelp"),
            "got endpoints\n\ngot endpoint drain a b:1\n\nerror: failed\n\ngot help\n\n");
  // Every connection is served alike.
  EXPECT_EQ(exchange("endpoints\n"), "got endpoints\n\n");
}

TEST_F(ControlSocketTest, ALineLongerThanACommandIsRefusedAndTheConnectionClosed) {
  auto socket = open();
  serve();
  EXPECT_EQ(exchange(std::string(5000, 'x')), "error: a command is at most 4096 bytes\n\n");
}

TEST_F(ControlSocketTest, TheClientGetsTheAnswerWithoutItsEndMark) {
  auto socket = open();
  serve();
  auto answer = cli::ask_control_socket(path_, "endpoints backend");
  ASSERT_TRUE(answer) << answer.error();
  EXPECT_EQ(*answer, "got endpoints backend");
}

TEST_F(ControlSocketTest, TheClientSaysWhyThereIsNoAnswer) {
  auto missing = cli::ask_control_socket(path_, "endpoints");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), "cannot connect to control socket '" + path_ +
                                 "': No such file or directory (is bulwark running with this "
                                 "control_socket?)");
}

TEST_F(ControlSocketTest, AStaleSocketFileIsReplaced) {
  {
    // A socket file whose process is gone: bound, then closed without removing the file.
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address = {};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path_.data(), path_.size());
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
    ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
    ::close(fd);
  }
  auto socket = open();
  ASSERT_TRUE(socket);
  serve();
  EXPECT_EQ(exchange("help\n"), "got help\n\n");
}

TEST_F(ControlSocketTest, ASocketSomeoneAnswersOnIsNotTaken) {
  auto first = open();
  ASSERT_TRUE(first);
  auto second = ControlSocket::open(loop_, path_, echo);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error(),
            "control socket '" + path_ + "' is in use by a running process (another bulwark?)");
  EXPECT_TRUE(first->names(path_));  // still the first one's file
}

TEST_F(ControlSocketTest, AFileThatIsNotASocketIsLeftAlone) {
  std::ofstream(path_) << "precious";
  auto socket = ControlSocket::open(loop_, path_, echo);
  ASSERT_FALSE(socket);
  EXPECT_EQ(socket.error(), "control socket '" + path_ + "': the path exists and is not a socket");
  std::ifstream in(path_);
  std::string kept;
  in >> kept;
  EXPECT_EQ(kept, "precious");
}

TEST_F(ControlSocketTest, AMissingDirectoryIsAnError) {
  auto socket = ControlSocket::open(loop_, dir_ + "/missing/control.sock", echo);
  ASSERT_FALSE(socket);
  EXPECT_EQ(socket.error(), "cannot create control socket '" + dir_ +
                                "/missing/control.sock': No such file or directory");
}

TEST_F(ControlSocketTest, AFileThatReplacedTheSocketIsNotRemoved) {
  auto socket = open();
  ASSERT_TRUE(socket);
  fs::remove(path_);
  std::ofstream(path_) << "someone else's";
  EXPECT_FALSE(socket->names(path_));
  socket.reset();
  EXPECT_TRUE(fs::exists(path_));
}

}  // namespace
}  // namespace bulwark::admin
