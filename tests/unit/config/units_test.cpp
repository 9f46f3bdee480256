#include "config/units.h"

#include <gtest/gtest.h>

namespace bulwark::config {
namespace {

using std::chrono::milliseconds;

TEST(UnitsTest, Decimal) {
  EXPECT_EQ(parse_decimal("0").value(), 0U);
  EXPECT_EQ(parse_decimal("1024").value(), 1024U);
  EXPECT_FALSE(parse_decimal("").has_value());
  EXPECT_FALSE(parse_decimal("-1").has_value());
  EXPECT_FALSE(parse_decimal("1e3").has_value());
  EXPECT_FALSE(parse_decimal("0x10").has_value());
  EXPECT_FALSE(parse_decimal("99999999999999999999").has_value());
  const auto octal = parse_decimal("010");
  ASSERT_FALSE(octal.has_value());
  EXPECT_EQ(octal.error().message,
            "'010' has a leading zero, which YAML 1.1 reads as an octal number");
  EXPECT_EQ(octal.error().hint, "write 10 if you mean the decimal number");
}

TEST(UnitsTest, Sizes) {
  EXPECT_EQ(parse_size("4096").value(), 4096U);
  EXPECT_EQ(parse_size("0").value(), 0U);
  EXPECT_EQ(parse_size("512B").value(), 512U);
  EXPECT_EQ(parse_size("16KiB").value(), 16U * 1024);
  EXPECT_EQ(parse_size("16 KiB").value(), 16U * 1024);
  EXPECT_EQ(parse_size("8MiB").value(), 8U * 1024 * 1024);
  EXPECT_EQ(parse_size("1GiB").value(), 1ULL << 30);
  EXPECT_EQ(parse_size("010KiB").value(), 10U * 1024);  // a string to YAML: no octal reading
}

TEST(UnitsTest, SizeErrors) {
  const auto kb = parse_size("16KB");
  ASSERT_FALSE(kb.has_value());
  EXPECT_EQ(kb.error().message, "unknown size unit 'KB' in '16KB'");
  EXPECT_EQ(kb.error().hint, "write KiB (1024 bytes); decimal units are not accepted");
  EXPECT_FALSE(parse_size("16k").has_value());
  EXPECT_FALSE(parse_size("16kib").has_value());
  EXPECT_FALSE(parse_size("1.5MiB").has_value());
  EXPECT_FALSE(parse_size("KiB").has_value());
  EXPECT_FALSE(parse_size("").has_value());
  EXPECT_FALSE(parse_size("-1").has_value());
  EXPECT_FALSE(parse_size("99999999999GiB").has_value());
  EXPECT_FALSE(parse_size("010").has_value());
}

TEST(UnitsTest, Durations) {
  EXPECT_EQ(parse_duration("500ms").value(), milliseconds(500));
  EXPECT_EQ(parse_duration("10s").value(), milliseconds(10'000));
  EXPECT_EQ(parse_duration("2m").value(), milliseconds(120'000));
  EXPECT_EQ(parse_duration("1h").value(), milliseconds(3'600'000));
  EXPECT_EQ(parse_duration("1m30s").value(), milliseconds(90'000));
  EXPECT_EQ(parse_duration("0s").value(), milliseconds(0));
}

TEST(UnitsTest, DurationErrors) {
  const auto bare = parse_duration("10");
  ASSERT_FALSE(bare.has_value());
  EXPECT_EQ(bare.error().message, "the duration '10' has no unit");
  EXPECT_EQ(bare.error().hint, "write 10s for seconds or 10ms for milliseconds");
  EXPECT_FALSE(parse_duration("1.5s").has_value());
  EXPECT_FALSE(parse_duration("1d").has_value());
  EXPECT_FALSE(parse_duration("10us").has_value());
  EXPECT_FALSE(parse_duration("1m30").has_value());
  EXPECT_FALSE(parse_duration("s").has_value());
  EXPECT_FALSE(parse_duration("").has_value());
  EXPECT_FALSE(parse_duration("99999999999999999999h").has_value());
}

TEST(UnitsTest, Formatting) {
  EXPECT_EQ(format_size(16 * 1024), "16KiB");
  EXPECT_EQ(format_size(1000), "1000B");
  EXPECT_EQ(format_size(0), "0B");
  EXPECT_EQ(format_size(1ULL << 30), "1GiB");
  EXPECT_EQ(format_duration(milliseconds(1500)), "1500ms");
  EXPECT_EQ(format_duration(milliseconds(90'000)), "1m30s");
  EXPECT_EQ(format_duration(milliseconds(3'600'000)), "1h");
  EXPECT_EQ(format_duration(milliseconds(0)), "0s");
}

}  // namespace
}  // namespace bulwark::config
