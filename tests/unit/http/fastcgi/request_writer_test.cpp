#include "http/fastcgi/request_writer.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace bulwark::http::fastcgi {
namespace {

struct Parsed {
  std::string begin_body;
  std::vector<std::pair<std::string, std::string>> params;
  std::size_t params_records = 0;
  bool stdin_ended = false;
};

// Reads back what the writer produced, checking every record's framing on the way.
Parsed parse(std::string_view bytes) {
  Parsed out;
  std::string stream;
  bool params_ended = false;
  while (!bytes.empty()) {
    EXPECT_GE(bytes.size(), kHeaderSize);
    auto header = decode_header(std::span<const char, kHeaderSize>(bytes.data(), kHeaderSize));
    EXPECT_TRUE(header.has_value());
    EXPECT_EQ(header->request_id, kRequestId);
    EXPECT_EQ((header->content_length + header->padding_length) % 8, 0);
    const std::string_view content = bytes.substr(kHeaderSize, header->content_length);
    bytes.remove_prefix(kHeaderSize + header->content_length + header->padding_length);
    switch (header->type) {
      case RecordType::kBeginRequest:
        out.begin_body = std::string(content);
        break;
      case RecordType::kParams:
        EXPECT_FALSE(params_ended);
        if (content.empty()) {
          params_ended = true;
        } else {
          ++out.params_records;
          stream.append(content);
        }
        break;
      case RecordType::kStdin:
        EXPECT_TRUE(params_ended);
        EXPECT_TRUE(content.empty());
        out.stdin_ended = true;
        break;
      default:
        ADD_FAILURE() << "unexpected record type";
    }
  }
  EXPECT_TRUE(params_ended);
  std::string_view rest = stream;
  while (!rest.empty()) {
    const DecodedPair pair = decode_pair(rest);
    EXPECT_NE(pair.consumed, 0U);
    if (pair.consumed == 0) break;
    out.params.emplace_back(pair.pair.name, pair.pair.value);
    rest.remove_prefix(pair.consumed);
  }
  return out;
}

TEST(FastCgiRequestWriterTest, BeginRequestIsResponderWithKeepConn) {
  std::vector<char> buffer(256);
  RequestWriter writer(buffer);
  const std::size_t size = writer.finish(true);
  ASSERT_NE(size, 0U);
  const Parsed parsed = parse({buffer.data(), size});
  EXPECT_EQ(parsed.begin_body, std::string("\x00\x01\x01\x00\x00\x00\x00\x00", 8));
  EXPECT_TRUE(parsed.params.empty());
  EXPECT_TRUE(parsed.stdin_ended);
}

TEST(FastCgiRequestWriterTest, ParamsInPiecesAndHeaderNames) {
  std::vector<char> buffer(512);
  RequestWriter writer(buffer);
  writer.param("SCRIPT_FILENAME", {"/srv/app", "/index.php"});
  writer.header_param("x-Forwarded-For", 9);
  writer.value_bytes("1.2.");
  writer.value_bytes("3.4.5");
  const std::size_t size = writer.finish(false);
  ASSERT_NE(size, 0U);
  const Parsed parsed = parse({buffer.data(), size});
  ASSERT_EQ(parsed.params.size(), 2U);
  EXPECT_EQ(parsed.params[0].first, "SCRIPT_FILENAME");
  EXPECT_EQ(parsed.params[0].second, "/srv/app/index.php");
  EXPECT_EQ(parsed.params[1].first, "HTTP_X_FORWARDED_FOR");
  EXPECT_EQ(parsed.params[1].second, "1.2.3.4.5");
  EXPECT_FALSE(parsed.stdin_ended);  // the body follows
}

TEST(FastCgiRequestWriterTest, LongParamsSpanSeveralRecords) {
  std::vector<char> buffer(256 * 1024);
  RequestWriter writer(buffer);
  const std::string big(100'000, 'x');
  writer.param("BIG", big);
  writer.param("SMALL", "y");
  const std::size_t size = writer.finish(true);
  ASSERT_NE(size, 0U);
  const Parsed parsed = parse({buffer.data(), size});
  EXPECT_EQ(parsed.params_records, 2U);
  ASSERT_EQ(parsed.params.size(), 2U);
  EXPECT_EQ(parsed.params[0].second, big);
  EXPECT_EQ(parsed.params[1].second, "y");
}

TEST(FastCgiRequestWriterTest, TooSmallABufferGivesZero) {
  std::vector<char> buffer(64);
  RequestWriter writer(buffer);
  writer.param("NAME", std::string(100, 'v'));
  EXPECT_EQ(writer.finish(true), 0U);
  std::vector<char> tiny(8);
  RequestWriter nothing(tiny);
  EXPECT_EQ(nothing.finish(true), 0U);
}

TEST(FastCgiRequestWriterTest, StdinHeaderAndEnd) {
  std::array<char, kHeaderSize> header{};
  stdin_header(13, header);
  EXPECT_EQ(std::string(header.data(), header.size()),
            std::string("\x01\x05\x00\x01\x00\x0D\x03\x00", 8));
  EXPECT_EQ(kStdinEnd, std::string_view("\x01\x05\x00\x01\x00\x00\x00\x00", 8));
}

}  // namespace
}  // namespace bulwark::http::fastcgi
