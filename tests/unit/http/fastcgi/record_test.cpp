#include "http/fastcgi/record.h"

#include <gtest/gtest.h>

#include <array>
#include <string>

#include "record_builder.h"

namespace bulwark::http::fastcgi {
namespace {

TEST(FastCgiRecordTest, HeaderRoundTrip) {
  std::array<char, kHeaderSize> bytes{};
  encode_header({.type = RecordType::kStdin,
                 .request_id = 0x1234,
                 .content_length = 0xABCD,
                 .padding_length = 3},
                bytes);
  EXPECT_EQ(std::string(bytes.data(), bytes.size()),
            std::string("\x01\x05\x12\x34\xAB\xCD\x03\x00", 8));
  auto decoded = decode_header(bytes);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->type, RecordType::kStdin);
  EXPECT_EQ(decoded->request_id, 0x1234);
  EXPECT_EQ(decoded->content_length, 0xABCD);
  EXPECT_EQ(decoded->padding_length, 3);
}

TEST(FastCgiRecordTest, WrongVersionIsRefused) {
  const std::string bytes = test::record(6, "", 0, 1, 2);
  auto decoded = decode_header(std::span<const char, kHeaderSize>(bytes.data(), kHeaderSize));
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().kind, core::ErrorKind::kUpstreamProtocol);
}

TEST(FastCgiRecordTest, PaddingToEight) {
  EXPECT_EQ(padding_for(0), 0);
  EXPECT_EQ(padding_for(1), 7);
  EXPECT_EQ(padding_for(8), 0);
  EXPECT_EQ(padding_for(13), 3);
  EXPECT_EQ(padding_for(kMaxContent), 1);
}

TEST(FastCgiRecordTest, ShortAndLongLengths) {
  EXPECT_EQ(encoded_pair_size(3, 127), 1 + 1 + 3 + 127);
  EXPECT_EQ(encoded_pair_size(128, 5), 4 + 1 + 128 + 5);
  std::array<char, 8> lengths{};
  ASSERT_EQ(encode_pair_lengths(127, 128, lengths), 5U);
  EXPECT_EQ(std::string(lengths.data(), 5), std::string("\x7F\x80\x00\x00\x80", 5));
  ASSERT_EQ(encode_pair_lengths(0x12345, 1, lengths), 5U);
  EXPECT_EQ(std::string(lengths.data(), 5), std::string("\x80\x01\x23\x45\x01", 5));
}

TEST(FastCgiRecordTest, PairRoundTripBothLengthForms) {
  const std::string long_value(300, 'v');
  std::array<char, 8> lengths{};
  const std::size_t prefix = encode_pair_lengths(4, long_value.size(), lengths);
  const std::string encoded = std::string(lengths.data(), prefix) + "NAME" + long_value + "rest";
  const DecodedPair decoded = decode_pair(encoded);
  EXPECT_EQ(decoded.consumed, encoded.size() - 4);
  EXPECT_EQ(decoded.pair.name, "NAME");
  EXPECT_EQ(decoded.pair.value, long_value);
}

TEST(FastCgiRecordTest, IncompletePairNeedsMore) {
  EXPECT_EQ(decode_pair("").consumed, 0U);
  EXPECT_EQ(decode_pair(std::string_view("\x80\x00", 2)).consumed, 0U);  // 4-byte length cut
  EXPECT_EQ(decode_pair("\x04\x02NAM").consumed, 0U);                    // name cut
  EXPECT_EQ(decode_pair("\x04\x02NAMEv").consumed, 0U);                  // value cut
  EXPECT_EQ(decode_pair("\x04\x02NAMEvv").consumed, 8U);
}

}  // namespace
}  // namespace bulwark::http::fastcgi
