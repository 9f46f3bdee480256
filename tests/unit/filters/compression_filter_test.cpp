// The compression filter on response heads (which responses it takes, what it changes) and on
// bodies (runs in, compressed runs out, each valid until the relay's write).

#include "filters/compression/compression_filter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../compress/decode.h"
#include "../proxy/fake_context.h"

namespace bulwark::filters {
namespace {

using compress::Coding;
using proxy::fakes::FakeContext;

CompressionPolicy test_policy() {
  CompressionPolicy policy;
  policy.preference = {Coding::kZstd, Coding::kBrotli, Coding::kGzip};
  policy.levels[static_cast<std::size_t>(Coding::kGzip)] = 6;
  policy.levels[static_cast<std::size_t>(Coding::kBrotli)] = 5;
  policy.levels[static_cast<std::size_t>(Coding::kZstd)] = 3;
  policy.content_types = {"text/*", "application/json", "application/*+xml"};
  policy.min_length = 1024;
  return policy;
}

class CompressionFilterTest : public ::testing::Test {
 protected:
  CompressionFilterTest() {
    response_.status = 200;
    response_.framing = http::BodyFraming::kContentLength;
    response_.content_length = 4096;
    response_.headers.add("content-type", "text/html; charset=utf-8");
    response_.headers.add("content-length", "4096");
  }

  // Runs the request and response head hooks for a client sending `accept_encoding`.
  void run(std::string_view accept_encoding) {
    request_.method = method_;
    if (!accept_encoding.empty()) request_.headers.add("accept-encoding", accept_encoding);
    ASSERT_EQ(filter_.on_request_headers(request_, true, ctx_), proxy::Verdict::kContinue);
    ASSERT_EQ(filter_.on_response_headers(response_, false, ctx_), proxy::Verdict::kContinue);
  }

  // Passes `runs` through the body hook, then the end, and returns what the client would get.
  // Every output stays readable until the end, as the relay's gathered write needs.
  std::string body(const std::vector<std::string>& runs) {
    std::vector<std::string_view> outputs;
    std::vector<std::string> copies;
    for (const std::string& run : runs) {
      proxy::BodyChunk chunk(run);
      EXPECT_EQ(filter_.on_response_body(chunk, false, ctx_), proxy::Verdict::kContinue);
      outputs.push_back(chunk.data());
      copies.emplace_back(chunk.data());
    }
    proxy::BodyChunk end(std::string_view{});
    EXPECT_EQ(filter_.on_response_body(end, true, ctx_), proxy::Verdict::kContinue);
    outputs.push_back(end.data());
    copies.emplace_back(end.data());
    std::string all;
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      // A later run must not have overwritten an earlier one's bytes (up to the relay's batch).
      if (outputs.size() - i <= proxy::kMaxRunsPerWrite) {
        EXPECT_EQ(outputs[i], copies[i]) << "run " << i;
      }
      all += copies[i];
    }
    return all;
  }

  CompressionPolicy policy_ = test_policy();
  CompressionFilter filter_{policy_};
  FakeContext ctx_;
  http::Method method_ = http::Method::kGet;
  http::RequestHead request_;
  http::ResponseHead response_;
};

TEST_F(CompressionFilterTest, CompressesWithTheNegotiatedCodingAndRewritesTheHead) {
  response_.headers.add("etag", "\"v1\"");
  response_.headers.add("accept-ranges", "bytes");
  run("gzip, br");
  EXPECT_EQ(response_.headers.get("content-encoding"), "br");
  EXPECT_FALSE(response_.headers.has("content-length"));
  EXPECT_EQ(response_.framing, http::BodyFraming::kChunked);
  EXPECT_EQ(response_.headers.get("vary"), "accept-encoding");
  EXPECT_EQ(response_.headers.get("etag"), "W/\"v1\"");
  EXPECT_FALSE(response_.headers.has("accept-ranges"));
}

TEST_F(CompressionFilterTest, BodiesRoundTripThroughEachCoding) {
  for (const auto& [accept, coding] :
       {std::pair{"gzip", Coding::kGzip}, {"br", Coding::kBrotli}, {"zstd", Coding::kZstd}}) {
    CompressionFilter filter(policy_);
    http::RequestHead request;
    request.headers.add("accept-encoding", accept);
    http::ResponseHead response = response_;
    filter.on_request_headers(request, true, ctx_);
    filter.on_response_headers(response, false, ctx_);
    ASSERT_EQ(response.headers.get("content-encoding"), compress::coding_token(coding));
    std::string fed;
    std::string sent;
    std::vector<std::string> kept;
    for (int i = 0; i < 12; ++i) {
      std::string run(1000 + i * 37, static_cast<char>('a' + i));
      fed += run;
      proxy::BodyChunk chunk(run);
      ASSERT_EQ(filter.on_response_body(chunk, false, ctx_), proxy::Verdict::kContinue);
      sent += chunk.data();
      // Each run decodes at once: a slow backend's bytes are not held back.
      EXPECT_EQ(compress::testing::decode(coding, sent, false), fed);
    }
    proxy::BodyChunk end(std::string_view{});
    ASSERT_EQ(filter.on_response_body(end, true, ctx_), proxy::Verdict::kContinue);
    sent += end.data();
    EXPECT_EQ(compress::testing::decode(coding, sent, true), fed) << accept;
  }
}

TEST_F(CompressionFilterTest, OutputsStayValidForABatchOfRuns) {
  run("gzip");
  std::vector<std::string> runs;
  for (int i = 0; i < 20; ++i)
    runs.emplace_back(3000, static_cast<char>('A' + i));
  std::string expected;
  for (const std::string& run : runs)
    expected += run;
  EXPECT_EQ(compress::testing::gunzip(body(runs), true), expected);
}

TEST_F(CompressionFilterTest, AClientThatAcceptsNothingGetsTheBodyAsItIsWithVary) {
  run("");
  EXPECT_FALSE(response_.headers.has("content-encoding"));
  EXPECT_EQ(response_.headers.get("content-length"), "4096");
  EXPECT_EQ(response_.framing, http::BodyFraming::kContentLength);
  EXPECT_EQ(response_.headers.get("vary"), "accept-encoding");
  EXPECT_EQ(body({"plain"}), "plain");
}

TEST_F(CompressionFilterTest, AnExistingVaryGetsAcceptEncodingAdded) {
  response_.headers.add("vary", "Origin");
  run("gzip");
  EXPECT_EQ(response_.headers.count("vary"), 2U);
}

TEST_F(CompressionFilterTest, AVaryThatListsAcceptEncodingIsKept) {
  response_.headers.add("vary", "Origin, Accept-Encoding");
  run("gzip");
  EXPECT_EQ(response_.headers.count("vary"), 1U);
  EXPECT_EQ(response_.headers.get("vary"), "Origin, Accept-Encoding");
}

TEST_F(CompressionFilterTest, AWeakETagStaysAsItIs) {
  response_.headers.add("etag", "W/\"v1\"");
  run("gzip");
  EXPECT_EQ(response_.headers.get("etag"), "W/\"v1\"");
}

TEST_F(CompressionFilterTest, AnEncodedResponseIsLeftAlone) {
  response_.headers.add("content-encoding", "gzip");
  run("br");
  EXPECT_EQ(response_.headers.get("content-encoding"), "gzip");
  EXPECT_FALSE(response_.headers.has("vary"));
  EXPECT_EQ(body({"x"}), "x");
}

TEST_F(CompressionFilterTest, NoTransformIsHonoured) {
  response_.headers.add("cache-control", "public, No-Transform");
  run("gzip");
  EXPECT_FALSE(response_.headers.has("content-encoding"));
  EXPECT_EQ(response_.framing, http::BodyFraming::kContentLength);
}

TEST_F(CompressionFilterTest, ARequestsNoTransformIsHonoured) {
  request_.headers.add("cache-control", "no-cache, no-transform");
  run("gzip");
  EXPECT_FALSE(response_.headers.has("content-encoding"));
  EXPECT_EQ(response_.headers.get("vary"), "accept-encoding");
}

TEST_F(CompressionFilterTest, ShortBodiesAreLeftAlone) {
  response_.content_length = 1023;
  run("gzip");
  EXPECT_FALSE(response_.headers.has("content-encoding"));
  EXPECT_FALSE(response_.headers.has("vary"));
}

TEST_F(CompressionFilterTest, ABodyOfUnknownLengthIsCompressed) {
  response_.framing = http::BodyFraming::kChunked;
  response_.headers.remove("content-length");
  run("gzip");
  EXPECT_EQ(response_.headers.get("content-encoding"), "gzip");
}

TEST_F(CompressionFilterTest, OtherMediaTypesAreLeftAlone) {
  response_.headers.set("content-type", "image/png");
  run("gzip");
  EXPECT_FALSE(response_.headers.has("content-encoding"));
  EXPECT_FALSE(response_.headers.has("vary"));
}

TEST_F(CompressionFilterTest, NoContentTypeIsLeftAlone) {
  response_.headers.remove("content-type");
  run("gzip");
  EXPECT_FALSE(response_.headers.has("content-encoding"));
}

TEST_F(CompressionFilterTest, PartialAndBodilessResponsesAreLeftAlone) {
  for (const std::uint16_t status : {206, 204, 304, 101}) {
    http::ResponseHead response = response_;
    response.status = status;
    CompressionFilter filter(policy_);
    http::RequestHead request;
    request.headers.add("accept-encoding", "gzip");
    filter.on_request_headers(request, true, ctx_);
    filter.on_response_headers(response, false, ctx_);
    EXPECT_FALSE(response.headers.has("content-encoding")) << status;
  }
}

TEST_F(CompressionFilterTest, HeadRequestsAreLeftAlone) {
  method_ = http::Method::kHead;
  run("gzip");
  EXPECT_FALSE(response_.headers.has("content-encoding"));
  EXPECT_EQ(response_.headers.get("content-length"), "4096");
}

TEST_F(CompressionFilterTest, LocalResponsesAreLeftAlone) {
  ctx_.info().local_response = true;
  run("gzip");
  EXPECT_FALSE(response_.headers.has("content-encoding"));
  EXPECT_FALSE(response_.headers.has("vary"));
}

TEST(CompressionPolicyTest, MediaRanges) {
  const CompressionPolicy policy = test_policy();
  EXPECT_TRUE(policy.compresses("text/plain"));
  EXPECT_TRUE(policy.compresses("Text/CSS ; charset=utf-8"));
  EXPECT_TRUE(policy.compresses("application/json"));
  EXPECT_TRUE(policy.compresses("application/atom+xml"));
  EXPECT_FALSE(policy.compresses("application/xml")) << "*+xml needs a suffix";
  EXPECT_FALSE(policy.compresses("application/jsonx"));
  EXPECT_FALSE(policy.compresses("image/png"));
  EXPECT_FALSE(policy.compresses(""));
  EXPECT_FALSE(policy.compresses("text"));
  EXPECT_FALSE(policy.compresses(std::string(300, 't') + "/html"));
}

}  // namespace
}  // namespace bulwark::filters
