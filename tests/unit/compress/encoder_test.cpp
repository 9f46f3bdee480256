// Each encoder against its library's reference decoder: whole bodies round-trip, every flushed
// prefix decodes to all the input so far (what a slow backend's client sees), and the levels the
// configuration allows all work.

#include "compress/encoder.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "decode.h"

namespace bulwark::compress {
namespace {

using testing::decode;

// Text that compresses (a repeated HTML row with a counter), then random bytes that do not:
// both paths of each codec, stored and compressed blocks.
std::string sample_body(std::size_t size) {
  std::string body;
  for (int row = 0; body.size() < size / 2; ++row) {
    body += "<tr><td class=\"name\">item " + std::to_string(row) + "</td><td>in stock</td></tr>\n";
  }
  std::mt19937 random(7);
  while (body.size() < size)
    body.push_back(static_cast<char>(random()));
  return body;
}

class EncoderTest : public ::testing::TestWithParam<Coding> {};

TEST_P(EncoderTest, RoundTripsABodyFedInRuns) {
  const Coding coding = GetParam();
  const std::string body = sample_body(300 * 1024);
  const auto encoder = make_encoder(coding, level_range(coding).fallback);
  ASSERT_NE(encoder, nullptr);
  std::string encoded;
  for (std::size_t at = 0; at < body.size(); at += 16384)
    ASSERT_TRUE(encoder->encode(std::string_view(body).substr(at, 16384), encoded));
  ASSERT_TRUE(encoder->finish(encoded));
  EXPECT_EQ(decode(coding, encoded, true), body);
}

TEST_P(EncoderTest, EachFlushedRunDecodesToEverythingFedSoFar) {
  const Coding coding = GetParam();
  const auto encoder = make_encoder(coding, level_range(coding).fallback);
  ASSERT_NE(encoder, nullptr);
  std::string encoded;
  std::string fed;
  for (const std::string_view run : {"data: first event\n\n", "data: second\n\n", "x"}) {
    std::string out;
    ASSERT_TRUE(encoder->encode(run, out));
    EXPECT_FALSE(out.empty()) << "a run must produce bytes the client can decode now";
    encoded += out;
    fed += run;
    EXPECT_EQ(decode(coding, encoded, false), fed);
    EXPECT_EQ(decode(coding, encoded, true), std::nullopt) << "the stream has not ended yet";
  }
  std::string last;
  ASSERT_TRUE(encoder->finish(last));
  EXPECT_FALSE(last.empty());
  EXPECT_EQ(decode(coding, encoded + last, true), fed);
}

TEST_P(EncoderTest, AnEmptyBodyIsAValidEmptyStream) {
  const Coding coding = GetParam();
  const auto encoder = make_encoder(coding, level_range(coding).fallback);
  ASSERT_NE(encoder, nullptr);
  std::string encoded;
  ASSERT_TRUE(encoder->finish(encoded));
  EXPECT_EQ(decode(coding, encoded, true), "");
}

TEST_P(EncoderTest, EveryAllowedLevelRoundTrips) {
  const Coding coding = GetParam();
  const std::string body = sample_body(40 * 1024);
  const LevelRange range = level_range(coding);
  ASSERT_LE(range.min, range.fallback);
  ASSERT_LE(range.fallback, range.max);
  for (int level = range.min; level <= range.max; ++level) {
    const auto encoder = make_encoder(coding, level);
    ASSERT_NE(encoder, nullptr) << "level " << level;
    std::string encoded;
    ASSERT_TRUE(encoder->encode(body, encoded));
    ASSERT_TRUE(encoder->finish(encoded));
    EXPECT_EQ(decode(coding, encoded, true), body) << "level " << level;
  }
}

TEST_P(EncoderTest, TextShrinks) {
  const Coding coding = GetParam();
  std::string html;
  while (html.size() < 100 * 1024)
    html += "<li><a href=\"/products/widget\">Widget</a> <span>in stock</span></li>\n";
  const auto encoder = make_encoder(coding, level_range(coding).fallback);
  std::string encoded;
  ASSERT_TRUE(encoder->encode(html, encoded));
  ASSERT_TRUE(encoder->finish(encoded));
  EXPECT_LT(encoded.size(), html.size() / 10);
}

INSTANTIATE_TEST_SUITE_P(Codings, EncoderTest,
                         ::testing::Values(Coding::kGzip, Coding::kBrotli, Coding::kZstd),
                         [](const ::testing::TestParamInfo<Coding>& param) {
                           return std::string(coding_token(param.param));
                         });

TEST(EncoderFactoryTest, IdentityHasNoEncoder) {
  EXPECT_EQ(make_encoder(Coding::kIdentity, 0), nullptr);
}

}  // namespace
}  // namespace bulwark::compress
