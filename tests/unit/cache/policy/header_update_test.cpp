// Freshening stored responses: RFC 9111 §3.2 (updating stored header fields) and §4.3.4.

#include "cache/policy/header_update.h"

#include <gtest/gtest.h>

#include <string>

#include "fields.h"

namespace bulwark::cache::policy {
namespace {

using testing::FieldList;
using testing::fields;

// "name: value" lines, for whole-list comparisons.
std::string render(FieldList stored, FieldList update) {
  std::string out;
  for (const http::HeaderField& field : updated_fields(fields(stored), fields(update))) {
    out.append(field.name).append(": ").append(field.value).append("\n");
  }
  return out;
}

TEST(HeaderUpdate, NothingToUpdate_9111_3_2) {
  EXPECT_EQ(render({{"content-type", "text/html"}, {"etag", R"("1")"}}, {}),
            "content-type: text/html\netag: \"1\"\n");
}

TEST(HeaderUpdate, UpdatedFieldReplacesInPlace_9111_3_2) {
  EXPECT_EQ(render({{"date", "old"}, {"content-type", "text/html"}, {"cache-control", "max-age=1"}},
                   {{"Cache-Control", "max-age=60"}, {"Date", "new"}}),
            "Date: new\ncontent-type: text/html\nCache-Control: max-age=60\n");
}

TEST(HeaderUpdate, NewFieldsAppended_9111_3_2) {
  EXPECT_EQ(render({{"content-type", "text/html"}}, {{"expires", "later"}, {"x-new", "1"}}),
            "content-type: text/html\nexpires: later\nx-new: 1\n");
}

TEST(HeaderUpdate, AllLinesOfANameReplaceAllStoredLines_9111_3_2) {
  EXPECT_EQ(render({{"link", "a"}, {"etag", "e"}, {"link", "b"}}, {{"link", "c"}, {"link", "d"}}),
            "link: c\nlink: d\netag: e\n");
}

TEST(HeaderUpdate, ContentLengthNotUpdated_9111_3_2) {
  EXPECT_EQ(render({{"content-length", "100"}}, {{"content-length", "0"}}),
            "content-length: 100\n");
  EXPECT_EQ(render({}, {{"content-length", "0"}}), "");
}

TEST(HeaderUpdate, StoredBodyDescriptionsNotUpdated_9111_3_2) {
  EXPECT_EQ(render({{"content-encoding", "gzip"}},
                   {{"content-encoding", "br"}, {"content-range", "bytes 0-1/2"}}),
            "content-encoding: gzip\n");
}

TEST(HeaderUpdate, HopByHopNotUpdated_9111_3_1) {
  EXPECT_EQ(render({{"etag", "e"}}, {{"connection", "close, x-hop"},
                                     {"keep-alive", "timeout=5"},
                                     {"transfer-encoding", "chunked"},
                                     {"x-hop", "1"},
                                     {"proxy-authenticate", "Basic"},
                                     {"upgrade", "h2c"},
                                     {"x-kept", "2"}}),
            "etag: e\nx-kept: 2\n");
}

TEST(HeaderUpdate, AgeUpdated_9111_4_2_3) {
  // The freshened response's age is computed from the update's Age (and its fetch times).
  EXPECT_EQ(render({{"age", "100"}, {"etag", "e"}}, {{"age", "5"}}), "age: 5\netag: e\n");
}

TEST(HeaderUpdate, PrivateFieldsOfTheUpdateNotStored_9111_5_2_2_7) {
  EXPECT_EQ(
      render({{"x-user", "old"}}, {{"cache-control", R"(private="x-user")"}, {"x-user", "bob"}}),
      "x-user: old\ncache-control: private=\"x-user\"\n");
}

TEST(HeaderUpdate, ViewsPointIntoInputs_9111_3_2) {
  const http::HeaderMap stored = fields({{"a", "1"}});
  const http::HeaderMap update = fields({{"b", "2"}});
  const std::vector<http::HeaderField> result = updated_fields(stored, update);
  ASSERT_EQ(result.size(), 2U);
  EXPECT_EQ(result[0].value.data(), stored.get("a").data());
  EXPECT_EQ(result[1].value.data(), update.get("b").data());
}

}  // namespace
}  // namespace bulwark::cache::policy
