// Secondary keys: RFC 9111 §4.1 (Vary), RFC 9110 §12.5.3 (Accept-Encoding), §5.3 (field lines).

#include "cache/policy/vary.h"

#include <gtest/gtest.h>

#include "../../optional_value.h"
#include "fields.h"

namespace bulwark::cache::policy {
namespace {

using bulwark::testing::value_of;
using testing::FieldList;
using testing::fields;

std::string key(std::string_view vary, FieldList request) {
  return value_of(secondary_key(vary, fields(request)));
}

TEST(Vary, FieldsJoinedAndLowerCased_9111_4_1) {
  EXPECT_EQ(vary_fields(fields({{"Vary", "Accept-Encoding ,  Accept-Language"},
                                {"content-type", "text/html"},
                                {"vary", "Origin"}})),
            "accept-encoding, accept-language, origin");
  EXPECT_EQ(vary_fields(fields({{"vary", " , "}})), "");
  EXPECT_EQ(vary_fields(fields({})), "");
}

TEST(Vary, StarNeverMatches_9111_4_1) {
  EXPECT_EQ(secondary_key("*", fields({})), std::nullopt);
  EXPECT_EQ(secondary_key("accept, *", fields({{"accept", "text/html"}})), std::nullopt);
}

TEST(Vary, NoVaryAllRequestsShareAKey_9111_4_1) {
  EXPECT_EQ(key("", {{"accept", "a"}}), key("", {{"accept", "b"}}));
  EXPECT_EQ(key("", {}), "");
}

TEST(Vary, DifferentValuesDifferentKeys_9111_4_1) {
  EXPECT_NE(key("accept-language", {{"accept-language", "en"}}),
            key("accept-language", {{"accept-language", "fr"}}));
}

TEST(Vary, OtherFieldsDoNotMatter_9111_4_1) {
  EXPECT_EQ(key("accept-language", {{"accept-language", "en"}, {"user-agent", "a"}}),
            key("accept-language", {{"accept-language", "en"}, {"user-agent", "b"}}));
}

TEST(Vary, FieldNameMatchingIsCaseInsensitive_9111_4_1) {
  EXPECT_EQ(key("Accept-Language", {{"ACCEPT-LANGUAGE", "en"}}),
            key("accept-language", {{"accept-language", "en"}}));
}

TEST(Vary, AbsentInBothMatches_9111_4_1) {
  EXPECT_EQ(key("origin", {}), key("origin", {{"accept", "x"}}));
}

TEST(Vary, AbsentDiffersFromEmptyAndPresent_9111_4_1) {
  const std::string absent = key("origin", {});
  const std::string empty = key("origin", {{"origin", ""}});
  const std::string present = key("origin", {{"origin", "https://a"}});
  EXPECT_NE(absent, empty);
  EXPECT_NE(absent, present);
  EXPECT_NE(empty, present);
  EXPECT_NE(key("accept-encoding", {}), key("accept-encoding", {{"accept-encoding", ""}}));
}

TEST(Vary, WhitespaceNormalised_9111_4_1) {
  EXPECT_EQ(key("accept-language", {{"accept-language", "en,  fr ;q=0.5"}}),
            key("accept-language", {{"accept-language", " en , fr ;q=0.5 "}}));
}

TEST(Vary, FieldLinesCombined_9111_4_1) {
  EXPECT_EQ(key("accept-language", {{"accept-language", "en"}, {"accept-language", "fr"}}),
            key("accept-language", {{"accept-language", "en, fr"}}));
  // Order is significant for list values in general.
  EXPECT_NE(key("accept-language", {{"accept-language", "fr, en"}}),
            key("accept-language", {{"accept-language", "en, fr"}}));
}

TEST(Vary, QuotedCommasAreNotSeparators_9110_5_6_4) {
  EXPECT_NE(key("if-none-match", {{"if-none-match", R"("a, b")"}}),
            key("if-none-match", {{"if-none-match", R"("a,b")"}}));
}

TEST(Vary, ValueCaseKept_9111_4_1) {
  EXPECT_NE(key("x-tenant", {{"x-tenant", "A"}}), key("x-tenant", {{"x-tenant", "a"}}));
}

TEST(Vary, KeyNamesFieldsInOrder_9111_4_1) {
  EXPECT_EQ(key("accept-language, origin", {{"origin", "https://a"}, {"accept-language", "en"}}),
            "accept-language=en\norigin=https://a\n");
  EXPECT_EQ(key("origin", {}), "origin\n");
  EXPECT_EQ(key("origin", {{"origin", ""}}), "origin=\n");
}

TEST(Vary, ValuesCannotForgeAnotherField_9111_4_1) {
  // Values that look like the next field's part of the key (parsers never let a line feed
  // through, but the key does not rely on it).
  EXPECT_NE(key("a, b", {{"a", "1\nb=2"}}), key("a, b", {{"a", "1"}, {"b", "2\nb"}}));
  EXPECT_NE(key("a, b", {{"a", "1\\nb=2"}}), key("a, b", {{"a", "1\nb=2"}}));
}

TEST(Vary, AcceptEncodingIsASet_9110_12_5_3) {
  EXPECT_EQ(key("accept-encoding", {{"accept-encoding", "gzip, br"}}),
            key("accept-encoding", {{"accept-encoding", "BR ,GZIP"}}));
  EXPECT_EQ(key("accept-encoding", {{"accept-encoding", "gzip;q=0.5, br;q=1.0"}}),
            key("accept-encoding", {{"accept-encoding", "br, gzip"}}));
  EXPECT_EQ(key("accept-encoding", {{"accept-encoding", "gzip, deflate, br, zstd"}}),
            "accept-encoding=br, deflate, gzip, zstd\n");
}

TEST(Vary, AcceptEncodingZeroWeightDropped_9110_12_4_2) {
  EXPECT_EQ(key("accept-encoding", {{"accept-encoding", "gzip, br;q=0"}}),
            key("accept-encoding", {{"accept-encoding", "gzip"}}));
  EXPECT_EQ(key("accept-encoding", {{"accept-encoding", "gzip, br;q=0.000"}}),
            key("accept-encoding", {{"accept-encoding", "gzip"}}));
  EXPECT_NE(key("accept-encoding", {{"accept-encoding", "gzip, br;q=0.001"}}),
            key("accept-encoding", {{"accept-encoding", "gzip"}}));
}

TEST(Vary, AcceptEncodingIdentityImplied_9110_12_5_3) {
  EXPECT_EQ(key("accept-encoding", {{"accept-encoding", "gzip, identity"}}),
            key("accept-encoding", {{"accept-encoding", "gzip"}}));
  EXPECT_EQ(key("accept-encoding", {{"accept-encoding", "identity"}}),
            key("accept-encoding", {{"accept-encoding", ""}}));
  // Refusing identity is kept: it changes what the origin may send.
  EXPECT_EQ(key("accept-encoding", {{"accept-encoding", "gzip, identity;q=0"}}),
            "accept-encoding=-identity, gzip\n");
}

TEST(Vary, AcceptEncodingRefusalKeptUnderStar_9110_12_5_3) {
  EXPECT_NE(key("accept-encoding", {{"accept-encoding", "*, br;q=0"}}),
            key("accept-encoding", {{"accept-encoding", "*"}}));
  // "*;q=0" refuses identity too.
  EXPECT_EQ(key("accept-encoding", {{"accept-encoding", "gzip, *;q=0"}}),
            "accept-encoding=-*, gzip\n");
}

TEST(Vary, AcceptEncodingFirstMentionWins_9110_12_5_3) {
  EXPECT_EQ(key("accept-encoding", {{"accept-encoding", "gzip, gzip;q=0"}}),
            key("accept-encoding", {{"accept-encoding", "gzip"}}));
}

TEST(Vary, AcceptEncodingXGzipIsGzip_9110_8_4_1_3) {
  EXPECT_EQ(key("accept-encoding", {{"accept-encoding", "x-gzip"}}),
            key("accept-encoding", {{"accept-encoding", "gzip"}}));
}

TEST(Vary, AcceptEncodingLinesCombined_9110_5_3) {
  EXPECT_EQ(key("accept-encoding", {{"accept-encoding", "gzip"}, {"accept-encoding", "br"}}),
            key("accept-encoding", {{"accept-encoding", "br, gzip"}}));
}

}  // namespace
}  // namespace bulwark::cache::policy
