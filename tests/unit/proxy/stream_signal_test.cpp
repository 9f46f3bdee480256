// StreamSignal: what the waits of an HTTP/2 stream hear, one waiter or two (full duplex).

#include "proxy/stream_signal.h"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <optional>

namespace bulwark::proxy {
namespace {

class StreamSignalTest : public ::testing::Test {
 protected:
  // Starts a wait; its outcome lands in `result`.
  void wait(std::optional<std::error_code>& result) {
    asio::co_spawn(
        io_, [&]() -> core::Task<void> { result = co_await signal_.wait(); }, asio::detached);
  }
  // Runs what is ready; returns how many handlers ran.
  std::size_t settle() {
    io_.restart();  // a run that ran out of work leaves the context stopped
    return io_.run_for(std::chrono::milliseconds(30));
  }

  asio::io_context io_;
  StreamSignal signal_{io_.get_executor()};
};

TEST_F(StreamSignalTest, TwoWaitersWaitQuietlyAndBothHearAWake) {
  std::optional<std::error_code> first;
  std::optional<std::error_code> second;
  wait(first);
  wait(second);
  // Neither wait may cancel the other's (that would make them wake each other without end).
  EXPECT_LT(settle(), 10U);
  EXPECT_FALSE(first.has_value());
  EXPECT_FALSE(second.has_value());
  signal_.wake();
  settle();
  EXPECT_EQ(first, std::optional<std::error_code>(std::error_code{}));
  EXPECT_EQ(second, std::optional<std::error_code>(std::error_code{}));
}

TEST_F(StreamSignalTest, ACancelAbortsEveryWaitInProgress) {
  std::optional<std::error_code> first;
  std::optional<std::error_code> second;
  wait(first);
  wait(second);
  settle();
  signal_.cancel();
  settle();
  EXPECT_EQ(first, std::optional<std::error_code>(asio::error::operation_aborted));
  EXPECT_EQ(second, std::optional<std::error_code>(asio::error::operation_aborted));
}

TEST_F(StreamSignalTest, AWakeOrCancelWithNoWaiterIsKeptForTheNextWait) {
  std::optional<std::error_code> result;
  signal_.wake();
  wait(result);
  settle();
  EXPECT_EQ(result, std::optional<std::error_code>(std::error_code{}));

  result.reset();
  signal_.cancel();
  wait(result);
  settle();
  EXPECT_EQ(result, std::optional<std::error_code>(asio::error::operation_aborted));

  result.reset();
  wait(result);  // both were used up: this one waits
  settle();
  EXPECT_FALSE(result.has_value());
  signal_.wake();
  settle();
  EXPECT_EQ(result, std::optional<std::error_code>(std::error_code{}));
}

}  // namespace
}  // namespace bulwark::proxy
