// Accept-Encoding (RFC 9110 §12.5.3) weighed against the server's preference.

#include "compress/content_coding.h"

#include <gtest/gtest.h>

#include <array>
#include <initializer_list>

namespace bulwark::compress {
namespace {

constexpr std::array<Coding, 3> kZstdBrGzip{Coding::kZstd, Coding::kBrotli, Coding::kGzip};
constexpr std::array<Coding, 3> kGzipBrZstd{Coding::kGzip, Coding::kBrotli, Coding::kZstd};

Coding choose(std::initializer_list<std::string_view> fields,
              std::span<const Coding> preference = kZstdBrGzip) {
  AcceptEncoding accept;
  for (const std::string_view field : fields)
    accept.add(field);
  return accept.choose(preference);
}

TEST(AcceptEncodingTest, NoFieldMeansNoCoding) {
  EXPECT_EQ(choose({}), Coding::kIdentity);
}

TEST(AcceptEncodingTest, AnEmptyFieldAcceptsOnlyIdentity) {
  EXPECT_EQ(choose({""}), Coding::kIdentity);
  EXPECT_EQ(choose({" , ,"}), Coding::kIdentity);
}

TEST(AcceptEncodingTest, EqualWeightsGoToTheServersPreference) {
  EXPECT_EQ(choose({"gzip, deflate, br, zstd"}), Coding::kZstd);
  EXPECT_EQ(choose({"gzip, deflate, br, zstd"}, kGzipBrZstd), Coding::kGzip);
  EXPECT_EQ(choose({"br, gzip"}), Coding::kBrotli);
}

TEST(AcceptEncodingTest, TheHighestWeightWins) {
  EXPECT_EQ(choose({"zstd;q=0.5, br;q=0.8, gzip;q=0.9"}), Coding::kGzip);
  EXPECT_EQ(choose({"zstd;q=0.001, gzip;q=0.002"}), Coding::kGzip);
}

TEST(AcceptEncodingTest, QZeroRefuses) {
  EXPECT_EQ(choose({"zstd;q=0, br;q=0.0, gzip"}), Coding::kGzip);
  EXPECT_EQ(choose({"gzip;q=0"}), Coding::kIdentity);
  EXPECT_EQ(choose({"*;q=0"}), Coding::kIdentity);
}

TEST(AcceptEncodingTest, StarCoversTheCodingsNotNamed) {
  EXPECT_EQ(choose({"*"}), Coding::kZstd);
  EXPECT_EQ(choose({"zstd;q=0, *"}), Coding::kBrotli);
  EXPECT_EQ(choose({"*;q=0.5, gzip"}), Coding::kGzip);
}

TEST(AcceptEncodingTest, IdentityPreferredAboveEveryCodingIsHonoured) {
  EXPECT_EQ(choose({"gzip;q=0.5, identity"}), Coding::kIdentity);
  EXPECT_EQ(choose({"gzip, identity;q=0.5"}), Coding::kGzip);
  EXPECT_EQ(choose({"gzip, identity"}), Coding::kGzip);
  EXPECT_EQ(choose({"gzip, identity;q=0"}), Coding::kGzip);
}

TEST(AcceptEncodingTest, TokensAndParametersAreCaseInsensitiveAndSpacesAllowed) {
  EXPECT_EQ(choose({"GZIP ; Q=0.5 , Br;q=0.4"}), Coding::kGzip);
  EXPECT_EQ(choose({"x-gzip"}), Coding::kGzip);
  EXPECT_EQ(choose({"\tzstd\t;\tq=1.000"}), Coding::kZstd);
}

TEST(AcceptEncodingTest, SeveralFieldsReadAsOneList) {
  EXPECT_EQ(choose({"gzip;q=0.5", "br"}), Coding::kBrotli);
  EXPECT_EQ(choose({"", "gzip"}), Coding::kGzip);
}

TEST(AcceptEncodingTest, TheFirstElementForACodingCounts) {
  EXPECT_EQ(choose({"zstd;q=0, zstd, gzip;q=0.1"}), Coding::kGzip);
}

TEST(AcceptEncodingTest, MalformedElementsAreSkipped) {
  // q above 1, more than three decimals, not a number, a parameter without a value.
  EXPECT_EQ(choose({"zstd;q=2, br;q=0.1234, gzip;q=abc"}), Coding::kIdentity);
  EXPECT_EQ(choose({"zstd;q=1.5, br;q, gzip;q=0.2"}), Coding::kGzip);
  EXPECT_EQ(choose({"zstd;q=.5, gzip;q=1."}), Coding::kGzip);
  // Other parameters are allowed and ignored.
  EXPECT_EQ(choose({"zstd;level=9;q=0.3, gzip;q=0.2"}), Coding::kZstd);
}

TEST(AcceptEncodingTest, UnknownCodingsAreIgnored) {
  EXPECT_EQ(choose({"deflate, compress, sdch"}), Coding::kIdentity);
  EXPECT_EQ(choose({"deflate, gzip;q=0.1"}), Coding::kGzip);
}

TEST(AcceptEncodingTest, OnlyPreferredCodingsAreChosen) {
  constexpr std::array<Coding, 1> kGzipOnly{Coding::kGzip};
  EXPECT_EQ(choose({"br, zstd"}, kGzipOnly), Coding::kIdentity);
  EXPECT_EQ(choose({"br, zstd, gzip;q=0.1"}, kGzipOnly), Coding::kGzip);
}

TEST(ContentCodingTest, TokensRoundTrip) {
  for (const Coding coding : {Coding::kIdentity, Coding::kGzip, Coding::kBrotli, Coding::kZstd})
    EXPECT_EQ(coding_from_token(coding_token(coding)), coding);
  EXPECT_EQ(coding_from_token("deflate"), std::nullopt);
}

}  // namespace
}  // namespace bulwark::compress
