#include "filters/request_id/request_id_filter.h"

#include <gtest/gtest.h>

#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "../proxy/fake_context.h"
#include "http/message.h"

namespace bulwark::filters {
namespace {

using proxy::fakes::FakeContext;

const std::regex kUuidV4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");

bool is_uuid_v4(std::string_view id) {
  return std::regex_match(std::string(id), kUuidV4);
}

// ---- generate_request_id ------------------------------------------------------------------------

TEST(GenerateRequestIdTest, IsA36CharacterUuidV4) {
  core::Arena arena;
  for (int i = 0; i < 200; ++i) {
    const std::string_view id = generate_request_id(arena);
    ASSERT_EQ(id.size(), 36u);
    EXPECT_EQ(id[8], '-');
    EXPECT_EQ(id[13], '-');
    EXPECT_EQ(id[18], '-');
    EXPECT_EQ(id[23], '-');
    EXPECT_EQ(id[14], '4') << id;  // version nibble
    EXPECT_NE(std::string_view("89ab").find(id[19]), std::string_view::npos) << id;  // variant
    EXPECT_TRUE(is_uuid_v4(id)) << id;
  }
}

TEST(GenerateRequestIdTest, IsUniqueOverTenThousandIds) {
  core::Arena arena;
  std::unordered_set<std::string> seen;
  for (int i = 0; i < 10'000; ++i) {
    EXPECT_TRUE(seen.emplace(generate_request_id(arena)).second);
    if (i % 500 == 0) arena.reset();
  }
  EXPECT_EQ(seen.size(), 10'000u);
}

TEST(GenerateRequestIdTest, UsesTheWholeHexAlphabet) {
  // A generator stuck on a few nibbles would still pass the format test.
  core::Arena arena;
  std::unordered_set<char> nibbles;
  for (int i = 0; i < 100; ++i) {
    for (char c : generate_request_id(arena)) {
      if (c != '-') nibbles.insert(c);
    }
  }
  EXPECT_EQ(nibbles.size(), 16u);
}

TEST(GenerateRequestIdTest, EarlierIdsStayValidAfterMoreAllocation) {
  core::Arena arena;
  const std::string_view first = generate_request_id(arena);
  const std::string saved(first);
  for (int i = 0; i < 200; ++i)
    generate_request_id(arena);
  EXPECT_EQ(first, saved);
}

TEST(GenerateRequestIdTest, DiffersAcrossThreads) {
  // Each thread seeds its own generator; two threads must not produce the same sequence.
  std::vector<std::string> a, b;
  auto produce = [](std::vector<std::string>& out) {
    core::Arena arena;
    for (int i = 0; i < 100; ++i)
      out.emplace_back(generate_request_id(arena));
  };
  std::thread t1(produce, std::ref(a));
  std::thread t2(produce, std::ref(b));
  t1.join();
  t2.join();
  std::unordered_set<std::string> all(a.begin(), a.end());
  all.insert(b.begin(), b.end());
  EXPECT_EQ(all.size(), 200u);
}

// ---- the filter ---------------------------------------------------------------------------------

class RequestIdFilterTest : public ::testing::Test {
 protected:
  proxy::Verdict run_request() { return filter_.on_request_headers(request_, true, ctx_); }
  proxy::Verdict run_response() { return filter_.on_response_headers(response_, false, ctx_); }

  FakeContext ctx_;
  RequestIdFilter filter_{"x-request-id"};
  http::RequestHead request_;
  http::ResponseHead response_;
};

TEST_F(RequestIdFilterTest, GeneratesAnIdWhenThereIsNone) {
  EXPECT_EQ(run_request(), proxy::Verdict::kContinue);
  EXPECT_TRUE(is_uuid_v4(ctx_.info().request_id)) << ctx_.info().request_id;
  EXPECT_EQ(request_.headers.count("x-request-id"), 1u);
  EXPECT_EQ(request_.headers.get("x-request-id"), ctx_.info().request_id);
}

TEST_F(RequestIdFilterTest, KeepsTheIdOfATrustedClient) {
  ctx_.info().client_trusted = true;
  request_.headers.add("X-Request-Id", "edge-1234");
  run_request();
  EXPECT_EQ(ctx_.info().request_id, "edge-1234");
  EXPECT_EQ(request_.headers.count("x-request-id"), 1u);
  EXPECT_EQ(request_.headers.get("x-request-id"), "edge-1234");
}

TEST_F(RequestIdFilterTest, ReplacesTheIdOfAnUntrustedClient) {
  request_.headers.add("X-Request-Id", "forged-id");
  run_request();
  EXPECT_NE(ctx_.info().request_id, "forged-id");
  EXPECT_TRUE(is_uuid_v4(ctx_.info().request_id));
  EXPECT_EQ(request_.headers.count("x-request-id"), 1u);
  EXPECT_EQ(request_.headers.get("x-request-id"), ctx_.info().request_id);
}

TEST_F(RequestIdFilterTest, ReplacesEveryCopyOfAnUntrustedId) {
  request_.headers.add("X-Request-Id", "one");
  request_.headers.add("x-request-id", "two");
  run_request();
  EXPECT_EQ(request_.headers.count("x-request-id"), 1u);
  EXPECT_TRUE(is_uuid_v4(request_.headers.get("x-request-id")));
}

class InvalidTrustedIdTest : public RequestIdFilterTest,
                             public ::testing::WithParamInterface<std::string> {};

TEST_P(InvalidTrustedIdTest, IsReplacedByAGeneratedId) {
  ctx_.info().client_trusted = true;
  const std::string incoming = GetParam();
  request_.headers.add("X-Request-Id", incoming);
  run_request();
  EXPECT_TRUE(is_uuid_v4(ctx_.info().request_id)) << ctx_.info().request_id;
  EXPECT_EQ(request_.headers.count("x-request-id"), 1u);
  EXPECT_EQ(request_.headers.get("x-request-id"), ctx_.info().request_id);
}

INSTANTIATE_TEST_SUITE_P(Ids, InvalidTrustedIdTest,
                         ::testing::Values(std::string(""),
                                           std::string("abc\x01"
                                                       "def"),
                                           std::string("line\nbreak"), std::string("tab\there"),
                                           std::string("with space"), std::string("del\x7f"),
                                           std::string("caf\xc3\xa9"), std::string(201, 'a')));

TEST_F(RequestIdFilterTest, AcceptsATrustedIdOfExactly200Characters) {
  ctx_.info().client_trusted = true;
  const std::string id(200, 'k');
  request_.headers.add("X-Request-Id", id);
  run_request();
  EXPECT_EQ(ctx_.info().request_id, id);
}

TEST_F(RequestIdFilterTest, EchoesTheIdOnTheResponse) {
  run_request();
  response_.headers.add("X-Request-Id", "from-backend");
  EXPECT_EQ(run_response(), proxy::Verdict::kContinue);
  EXPECT_EQ(response_.headers.count("x-request-id"), 1u);
  EXPECT_EQ(response_.headers.get("x-request-id"), ctx_.info().request_id);
}

TEST_F(RequestIdFilterTest, EchoesATrustedIdOnTheResponse) {
  ctx_.info().client_trusted = true;
  request_.headers.add("X-Request-Id", "edge-42");
  run_request();
  run_response();
  EXPECT_EQ(response_.headers.get("x-request-id"), "edge-42");
}

TEST_F(RequestIdFilterTest, ResponseWithoutAnIdIsLeftAlone) {
  response_.headers.add("X-Request-Id", "from-backend");
  run_response();  // the request hook never ran: no id known
  EXPECT_EQ(response_.headers.get("x-request-id"), "from-backend");
}

TEST_F(RequestIdFilterTest, KeepsAnIdAlreadySetOnTheStream) {
  ctx_.info().request_id = "set-earlier";
  request_.headers.add("X-Request-Id", "forged");
  run_request();
  EXPECT_EQ(ctx_.info().request_id, "set-earlier");
  EXPECT_EQ(request_.headers.get("x-request-id"), "set-earlier");
}

TEST_F(RequestIdFilterTest, UsesTheConfiguredHeaderName) {
  RequestIdFilter filter("X-Correlation-Id");
  ctx_.info().client_trusted = true;
  request_.headers.add("x-correlation-id", "corr-1");
  request_.headers.add("X-Request-Id", "other");
  filter.on_request_headers(request_, true, ctx_);
  EXPECT_EQ(ctx_.info().request_id, "corr-1");
  EXPECT_EQ(request_.headers.get("x-request-id"), "other");
}

TEST(RequestIdFilterFactoryTest, CreatesAFilterUsingItsHeader) {
  RequestIdFilterFactory factory("x-trace");
  EXPECT_EQ(factory.name(), "request_id");
  FakeContext ctx;
  proxy::Filter* filter = factory.create(ctx.arena());
  http::RequestHead head;
  filter->on_request_headers(head, true, ctx);
  EXPECT_TRUE(is_uuid_v4(head.headers.get("x-trace")));
  std::destroy_at(filter);
}

}  // namespace
}  // namespace bulwark::filters
