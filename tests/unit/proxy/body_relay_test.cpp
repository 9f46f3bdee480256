// The body relay between in-memory pipes: framing out, filters' end-of-body bytes and trailers.

#include "proxy/body_relay.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <cctype>
#include <cstring>
#include <deque>
#include <string>

namespace bulwark::proxy {
namespace {

// Hands out `input` a few bytes at a time, then eof; records what is written to it.
class MemoryPipe final : public StreamPipe {
 public:
  explicit MemoryPipe(std::string input = {}, std::size_t max_read = 7)
      : input_(std::move(input)), max_read_(max_read) {}

  core::Task<net::IoResult> read_some(asio::mutable_buffer buffer) override {
    if (read_ == input_.size()) co_return net::IoResult{asio::error::eof, 0};
    const std::size_t size = std::min({buffer.size(), input_.size() - read_, max_read_});
    std::memcpy(buffer.data(), input_.data() + read_, size);
    read_ += size;
    co_return net::IoResult{std::error_code{}, size};
  }
  core::Task<net::IoResult> write(std::span<const asio::const_buffer> pieces) override {
    std::size_t size = 0;
    for (const asio::const_buffer& piece : pieces) {
      written.append(static_cast<const char*>(piece.data()), piece.size());
      size += piece.size();
    }
    ++writes;
    co_return net::IoResult{std::error_code{}, size};
  }
  void cancel() noexcept override {}

  std::string written;
  int writes = 0;

 private:
  std::string input_;
  std::size_t max_read_;
  std::size_t read_ = 0;
};

// Counts the runs the filters see before each write of `sink`.
class RunCounter final : public BodyTap {
 public:
  explicit RunCounter(const MemoryPipe& sink) : sink_(sink) {}
  Verdict on_chunk(BodyChunk& /*chunk*/, bool /*end_stream*/) override {
    if (sink_.writes != writes_seen_) {
      writes_seen_ = sink_.writes;
      runs_since_write = 0;
    }
    most_runs_per_write = std::max(most_runs_per_write, ++runs_since_write);
    return Verdict::kContinue;
  }
  std::size_t runs_since_write = 0;
  std::size_t most_runs_per_write = 0;

 private:
  const MemoryPipe& sink_;
  int writes_seen_ = 0;
};

// Upper-cases the body and, at its end, adds "!" and a trailer of its own.
class ShoutingTap final : public BodyTap {
 public:
  explicit ShoutingTap(http::HeaderMap* trailers) : trailers_(trailers) {}
  Verdict on_chunk(BodyChunk& chunk, bool end_stream) override {
    if (end_stream) {
      if (trailers_ != nullptr) {
        seen_trailers = trailers_->size();
        trailers_->remove("x-secret");
        trailers_->add("x-added", "yes");
      }
      chunk.replace("!");
      return Verdict::kContinue;
    }
    std::string& copy = copies_.emplace_back(chunk.data());
    for (char& c : copy)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    chunk.replace(copy);
    return Verdict::kContinue;
  }
  std::size_t seen_trailers = 0;

 private:
  http::HeaderMap* trailers_;
  std::deque<std::string> copies_;
};

struct RelayRun {
  RelayResult result;
  std::string written;
};

RelayRun relay(std::string input, http::BodyFraming framing, std::uint64_t length,
               SinkFraming sink_framing, BodyTap* tap, http::HeaderMap* trailers,
               const http::HeaderMap* source_trailers = nullptr) {
  asio::io_context io;
  core::TimeoutList timeouts;
  core::BufferPool buffers(4096, 4);
  core::Buffer buffer = buffers.take();
  MemoryPipe source(std::move(input));
  MemoryPipe sink;
  http::h1::BodyDecoder decoder(http::h1::ParserLimits{});
  decoder.start(framing, length);
  ConnectionDeadline deadline(timeouts, sink);
  RelayRun run;
  asio::co_spawn(
      io,
      [&]() -> core::Task<void> {
        run.result = co_await relay_body({.source = {.pipe = &source},
                                          .buffer = buffer,
                                          .floor = 0,
                                          .sink = {.pipe = &sink},
                                          .decoder = decoder,
                                          .sink_framing = sink_framing,
                                          .deadline = deadline,
                                          .read_wait = Waiting::kUpstreamRead,
                                          .read_timeout = std::chrono::seconds(5),
                                          .write_wait = Waiting::kClientWrite,
                                          .write_timeout = std::chrono::seconds(5),
                                          .tap = tap,
                                          .source_trailers = source_trailers,
                                          .trailers = trailers});
      },
      asio::detached);
  io.run();
  run.written = sink.written;
  return run;
}

TEST(BodyRelayTest, ChunkedToChunkedKeepsTrailersFiltersMayEdit) {
  http::HeaderMap trailers;
  ShoutingTap tap(&trailers);
  const RelayRun run =
      relay("3\r\nabc\r\n2\r\nde\r\n0\r\nx-secret: 1\r\nx-kept: 2\r\n\r\n",
            http::BodyFraming::kChunked, 0, SinkFraming::kChunked, &tap, &trailers);
  ASSERT_EQ(run.result.outcome, RelayOutcome::kDone);
  EXPECT_EQ(tap.seen_trailers, 2U);
  EXPECT_EQ(run.written, "3\r\nABC\r\n2\r\nDE\r\n1\r\n!\r\n0\r\nx-kept: 2\r\nx-added: yes\r\n\r\n");
}

TEST(BodyRelayTest, EndOfBodyBytesGoOutUnframedForAPlainSink) {
  ShoutingTap tap(nullptr);
  const RelayRun run =
      relay("hello", http::BodyFraming::kContentLength, 5, SinkFraming::kAsIs, &tap, nullptr);
  ASSERT_EQ(run.result.outcome, RelayOutcome::kDone);
  EXPECT_EQ(run.written, "HELLO!");
}

TEST(BodyRelayTest, SourceTrailersReplaceTheDecoders) {
  // An HTTP/2 stream delivers its trailers itself; its DATA end with the stream.
  http::HeaderMap from_stream;
  from_stream.add("grpc-status", "0");
  http::HeaderMap trailers;
  const RelayRun run = relay("data", http::BodyFraming::kUntilClose, 0, SinkFraming::kChunked,
                             nullptr, &trailers, &from_stream);
  ASSERT_EQ(run.result.outcome, RelayOutcome::kDone);
  EXPECT_EQ(run.written, "4\r\ndata\r\n0\r\ngrpc-status: 0\r\n\r\n");
  EXPECT_EQ(trailers.get("grpc-status"), "0");
}

TEST(BodyRelayTest, ManySmallChunksStillLeaveRoomForTheEnd) {
  std::string input;
  std::string expected;
  for (int i = 0; i < 40; ++i) {
    input += "1\r\nx\r\n";
    expected += "1\r\nX\r\n";
  }
  input += "0\r\n\r\n";
  expected += "1\r\n!\r\n0\r\n\r\n";
  ShoutingTap tap(nullptr);
  const RelayRun run =
      relay(input, http::BodyFraming::kChunked, 0, SinkFraming::kChunked, &tap, nullptr);
  ASSERT_EQ(run.result.outcome, RelayOutcome::kDone);
  EXPECT_EQ(run.written, expected);
}

TEST(BodyRelayTest, FiltersSeeAtMostMaxRunsPerWrite) {
  // Many small chunks in one read, to a sink that frames nothing (an HTTP/2 stream): a filter
  // that rewrites runs relies on at most kMaxRunsPerWrite of them waiting for one write.
  std::string input;
  for (int i = 0; i < 40; ++i)
    input += "1\r\nx\r\n";
  input += "0\r\n\r\n";
  asio::io_context io;
  core::TimeoutList timeouts;
  core::BufferPool buffers(4096, 4);
  core::Buffer buffer = buffers.take();
  MemoryPipe source(input, 4096);
  MemoryPipe sink;
  RunCounter counter(sink);
  http::h1::BodyDecoder decoder(http::h1::ParserLimits{});
  decoder.start(http::BodyFraming::kChunked, 0);
  ConnectionDeadline deadline(timeouts, sink);
  RelayResult result;
  asio::co_spawn(
      io,
      [&]() -> core::Task<void> {
        result = co_await relay_body({.source = {.pipe = &source},
                                      .buffer = buffer,
                                      .floor = 0,
                                      .sink = {.pipe = &sink},
                                      .decoder = decoder,
                                      .sink_framing = SinkFraming::kAsIs,
                                      .deadline = deadline,
                                      .read_wait = Waiting::kUpstreamRead,
                                      .read_timeout = std::chrono::seconds(5),
                                      .write_wait = Waiting::kClientWrite,
                                      .write_timeout = std::chrono::seconds(5),
                                      .tap = &counter});
      },
      asio::detached);
  io.run();
  ASSERT_EQ(result.outcome, RelayOutcome::kDone);
  EXPECT_EQ(sink.written, std::string(40, 'x'));
  EXPECT_LE(counter.most_runs_per_write, kMaxRunsPerWrite);
  EXPECT_GT(counter.most_runs_per_write, 1U);  // runs of one read still share a write
}

TEST(BodyRelayTest, TruncatedSourceIsReportedAsClosed) {
  const RelayRun run =
      relay("abc", http::BodyFraming::kContentLength, 10, SinkFraming::kAsIs, nullptr, nullptr);
  EXPECT_EQ(run.result.outcome, RelayOutcome::kSourceClosed);
  EXPECT_EQ(run.written, "abc");
}

}  // namespace
}  // namespace bulwark::proxy
