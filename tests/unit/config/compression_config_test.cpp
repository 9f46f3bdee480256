// The loader on the compression filter: defaults, every key, and each mistake at its exact
// position with its message.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "config/loader.h"
#include "config/quick_config.h"
#include "load_results.h"

namespace bulwark::config {
namespace {

using test_support::errors_of;

using ::testing::ElementsAre;

// The lines under test (from line 1), then a listener whose virtual host runs the filter
// named "squeeze".
std::string with_tail(std::string_view head) {
  return std::string(head) + R"(listeners:
  - name: public
    listen: 127.0.0.1:8080
    virtual_hosts:
      - domains: ["*"]
        filters: [squeeze]
        routes:
          - proxy: { cluster: demo }
clusters:
  - name: demo
    endpoints: [127.0.0.1:8081]
)";
}

Compression load_compression(const std::string& head) {
  const LoadResult result = load_config_string(with_tail(head), "t.yaml");
  EXPECT_TRUE(result.errors.empty()) << (result.errors.empty() ? "" : result.errors[0].format());
  if (!result.config) return {};
  const FilterSpec& spec = result.config->listeners.at(0).virtual_hosts.at(0).filters.at(0);
  EXPECT_EQ(spec.type, "compression");
  return std::get<Compression>(spec.settings);
}

std::vector<std::string> codings_text(const Compression& compression) {
  std::vector<std::string> out;
  for (const CompressionCoding& coding : compression.codings)
    out.push_back(std::string(compress::coding_token(coding.coding)) + " " +
                  std::to_string(coding.level));
  return out;
}

TEST(CompressionConfigTest, DefaultsOfAnEmptyMap) {
  const Compression compression =
      load_compression("filters:\n  - name: squeeze\n    compression: {}\n");
  EXPECT_THAT(codings_text(compression), ElementsAre("zstd 3", "br 5", "gzip 6"));
  EXPECT_EQ(compression.min_length, 1024U);
  EXPECT_THAT(compression.content_types, ::testing::Contains("text/*"));
  EXPECT_THAT(compression.content_types, ::testing::Contains("application/json"));
  EXPECT_THAT(compression.content_types, ::testing::Contains("image/svg+xml"));
  EXPECT_THAT(compression.content_types, ::testing::Contains("application/wasm"));
  EXPECT_THAT(compression.content_types, ::testing::Contains("application/javascript"));
}

TEST(CompressionConfigTest, EveryKey) {
  const Compression compression = load_compression(R"(filters:
  - name: squeeze
    compression:
      encodings: [gzip, br]
      levels: { gzip: 9, br: 0 }
      content_types: [Text/HTML, "application/*+json", "*/*"]
      min_length: 2KiB
)");
  EXPECT_THAT(codings_text(compression), ElementsAre("gzip 9", "br 0"));
  EXPECT_THAT(compression.content_types, ElementsAre("text/html", "application/*+json", "*/*"));
  EXPECT_EQ(compression.min_length, 2048U);
}

TEST(CompressionConfigTest, QuickModeCompressTurnsOnTheDefaults) {
  QuickOptions options{.listen = "127.0.0.1:8080", .to = {"http://127.0.0.1:8081"}};
  options.compress = true;
  const LoadResult result = build_quick_config(options);
  ASSERT_TRUE(result.config);
  const auto& filters = result.config->listeners.at(0).virtual_hosts.at(0).filters;
  ASSERT_EQ(filters.size(), 1U);
  EXPECT_EQ(filters[0].type, "compression");
  EXPECT_THAT(codings_text(std::get<Compression>(filters[0].settings)),
              ElementsAre("zstd 3", "br 5", "gzip 6"));

  options.compress = false;
  const LoadResult plain = build_quick_config(options);
  ASSERT_TRUE(plain.config);
  EXPECT_TRUE(plain.config->listeners.at(0).virtual_hosts.at(0).filters.empty());
}

TEST(CompressionConfigErrorsTest, Encodings) {
  EXPECT_THAT(errors_of(with_tail(R"(filters:
  - name: squeeze
    compression:
      encodings: [gzip, deflate, gzip, zstd]
)")),
              ElementsAre("t.yaml:4:25: encodings[1]: unknown value 'deflate'\n  hint: the "
                          "choices are: zstd, br, gzip",
                          "t.yaml:4:34: encodings[2]: gzip is listed twice"));
  EXPECT_THAT(
      errors_of(with_tail("filters:\n  - name: squeeze\n    compression: { encodings: [] }\n")),
      ElementsAre("t.yaml:3:31: encodings: at least one encoding is needed\n  hint: leave "
                  "the compression filter out to send responses as they are"));
}

TEST(CompressionConfigErrorsTest, Levels) {
  EXPECT_THAT(errors_of(with_tail(R"(filters:
  - name: squeeze
    compression:
      encodings: [gzip, zstd]
      levels: { gzip: 10, br: 4, zstd: 0, lz4: 1 }
)")),
              ElementsAre("t.yaml:5:23: gzip: 10 is out of range (from 1 to 9)",
                          "t.yaml:5:27: br: br is not among the encodings\n  hint: add it to "
                          "encodings, or leave its level out",
                          "t.yaml:5:40: zstd: 0 is out of range (from 1 to 9)",
                          "t.yaml:5:43: unknown key 'lz4' in levels\n  hint: the keys in levels "
                          "are: zstd, br, gzip"));
  EXPECT_THAT(errors_of(with_tail(R"(filters:
  - name: squeeze
    compression: { levels: { br: 11 } }
)")),
              ElementsAre("t.yaml:3:34: br: 11 is out of range (from 0 to 9)"));
}

TEST(CompressionConfigErrorsTest, ContentTypesAndMinLength) {
  EXPECT_THAT(errors_of(with_tail(R"(filters:
  - name: squeeze
    compression:
      content_types: [text/html, "text html", "application/json; charset=utf-8", "*", "text/"]
      min_length: 1KB
)")),
              ElementsAre("t.yaml:4:34: content_types[1]: 'text html' is not a media type or "
                          "range\n  hint: write type/subtype, type/*, or type/*+suffix, without "
                          "parameters (text/html, text/*, application/*+json)",
                          "t.yaml:4:47: content_types[2]: 'application/json; charset=utf-8' is "
                          "not a media type or range\n  hint: write type/subtype, type/*, or "
                          "type/*+suffix, without parameters (text/html, text/*, "
                          "application/*+json)",
                          "t.yaml:4:82: content_types[3]: '*' is not a media type or range\n  "
                          "hint: write type/subtype, type/*, or type/*+suffix, without parameters "
                          "(text/html, text/*, application/*+json)",
                          "t.yaml:4:87: content_types[4]: 'text/' is not a media type or range\n  "
                          "hint: write type/subtype, type/*, or type/*+suffix, without parameters "
                          "(text/html, text/*, application/*+json)",
                          "t.yaml:5:19: min_length: unknown size unit 'KB' in '1KB'\n  hint: "
                          "write KiB (1024 bytes); decimal units are not accepted"));
}

// A listener with one static route whose settings are `files` (line 6).
std::string static_route(std::string_view files) {
  return std::string(R"(listeners:
  - name: public
    listen: 127.0.0.1:8080
    virtual_hosts:
      - domains: ["*"]
        routes: [ { static: )") +
         std::string(files) + " } } ]\n";
}

TEST(PrecompressedConfigTest, CodingsInTheirOrder) {
  const LoadResult result =
      load_config_string(static_route("{ root: /tmp, precompressed: [br, zstd, gzip]"), "t.yaml");
  ASSERT_TRUE(result.config) << (result.errors.empty() ? "" : result.errors[0].format());
  const auto& action = std::get<StaticAction>(
      result.config->listeners.at(0).virtual_hosts.at(0).routes.at(0).action);
  EXPECT_EQ(action.precompressed, (std::vector{compress::Coding::kBrotli, compress::Coding::kZstd,
                                               compress::Coding::kGzip}));
}

TEST(PrecompressedConfigTest, UnknownAndRepeatedCodings) {
  EXPECT_THAT(
      errors_of(static_route("{ root: /tmp, precompressed: [br, deflate, br]")),
      ElementsAre("t.yaml:6:63: precompressed[1]: unknown value 'deflate'\n  hint: the choices "
                  "are: zstd, br, gzip",
                  "t.yaml:6:72: precompressed[2]: br is listed twice"));
}

}  // namespace
}  // namespace bulwark::config
