#include "http/fastcgi/response_reader.h"

#include <gtest/gtest.h>

#include <string>

#include "record_builder.h"

namespace bulwark::http::fastcgi {
namespace {

using test::end_request;
using test::record;
using test::stderr_record;
using test::stdout_record;

struct ReadAll {
  core::Result<void> result;
  std::string stdout_bytes;
  std::size_t left = 0;  // bytes not consumed
};

// Feeds `wire` to the reader `step` bytes at a time, as a socket would deliver it, keeping the
// unconsumed bytes like a caller's buffer does.
ReadAll read_all(ResponseReader& reader, std::string_view wire, std::size_t step) {
  ReadAll out;
  std::string buffer;
  std::size_t fed = 0;
  while (!reader.done()) {
    auto r = reader.read(buffer);
    if (!r) {
      out.result = std::unexpected(r.error());
      return out;
    }
    out.stdout_bytes.append(r->data);
    buffer.erase(0, r->consumed);
    if (r->consumed == 0 && r->data.empty()) {
      if (fed == wire.size()) break;
      const std::size_t n = std::min(step, wire.size() - fed);
      buffer.append(wire.substr(fed, n));
      fed += n;
    }
  }
  out.left = buffer.size() + (wire.size() - fed);
  return out;
}

std::string error_of(std::string_view wire) {
  ResponseReader reader;
  const ReadAll all = read_all(reader, wire, wire.size());
  EXPECT_FALSE(all.result.has_value());
  if (all.result) return "";
  EXPECT_EQ(all.result.error().kind, core::ErrorKind::kUpstreamProtocol);
  return std::string(all.result.error().detail);
}

TEST(FastCgiResponseReaderTest, StdoutStderrAndEndInAnySplit) {
  const std::string wire = stdout_record("Content-Type: text/plain\r\n\r\nhel", 5) +
                           stderr_record("PHP Notice: x") + stdout_record("lo") +
                           stdout_record("") + end_request(7, 0, 3);
  for (std::size_t step = 1; step <= wire.size(); ++step) {
    ResponseReader reader;
    const ReadAll all = read_all(reader, wire, step);
    ASSERT_TRUE(all.result.has_value()) << "step " << step;
    EXPECT_TRUE(reader.done());
    EXPECT_EQ(all.stdout_bytes, "Content-Type: text/plain\r\n\r\nhello") << "step " << step;
    EXPECT_EQ(reader.stderr_text(), "PHP Notice: x");
    EXPECT_EQ(reader.app_status(), 7U);
    EXPECT_EQ(reader.stdout_bytes(), all.stdout_bytes.size());
    EXPECT_EQ(all.left, 0U);
  }
}

TEST(FastCgiResponseReaderTest, BytesAfterEndRequestAreLeft) {
  ResponseReader reader;
  const ReadAll all = read_all(reader, stdout_record("x") + end_request() + "junk", 1000);
  ASSERT_TRUE(all.result.has_value());
  EXPECT_TRUE(reader.done());
  EXPECT_EQ(all.left, 4U);
}

TEST(FastCgiResponseReaderTest, MaxDataCutsARun) {
  ResponseReader reader;
  const std::string wire = stdout_record("abcdef");
  auto first = reader.read(wire, 4);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->data, "abcd");
  auto second = reader.read(std::string_view(wire).substr(first->consumed), 4);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->data, "ef");
}

TEST(FastCgiResponseReaderTest, StderrIsBounded) {
  ResponseReader reader(10);
  const ReadAll all =
      read_all(reader, stderr_record("0123456") + stderr_record("789abc") + end_request(), 3);
  ASSERT_TRUE(all.result.has_value());
  EXPECT_EQ(reader.stderr_text(), "0123456789");
  EXPECT_TRUE(reader.stderr_truncated());
  reader.reset();
  EXPECT_EQ(reader.stderr_text(), "");
  EXPECT_FALSE(reader.stderr_truncated());
  EXPECT_FALSE(reader.done());
}

TEST(FastCgiResponseReaderTest, EndRequestWithoutClosedStdoutIsAccepted) {
  ResponseReader reader;
  const ReadAll all = read_all(reader, stdout_record("x") + end_request(), 100);
  ASSERT_TRUE(all.result.has_value());
  EXPECT_TRUE(reader.done());
}

TEST(FastCgiResponseReaderTest, Rejections) {
  EXPECT_EQ(error_of(record(6, "x", 0, 1, 0)), "a FastCGI record has a wrong version");
  EXPECT_EQ(error_of(record(6, "x", 0, 2)), "a FastCGI record has a wrong request id");
  EXPECT_EQ(error_of(record(11, "\x05\0\0\0\0\0\0\0", 0, 0)),
            "a FastCGI record has a wrong request id");
  EXPECT_EQ(error_of(record(5, "x")), "an unexpected FastCGI record type");
  EXPECT_EQ(error_of(record(1, std::string(8, '\0'))), "an unexpected FastCGI record type");
  EXPECT_EQ(error_of(record(10, "")), "an unexpected FastCGI record type");
  EXPECT_EQ(error_of(record(200, "")), "an unexpected FastCGI record type");
  EXPECT_EQ(error_of(stdout_record("a") + stdout_record("") + stdout_record("b")),
            "FastCGI STDOUT continued after its end");
  EXPECT_EQ(error_of(record(3, "1234567")), "a FastCGI END_REQUEST has a wrong length");
  EXPECT_EQ(error_of(record(3, "123456789")), "a FastCGI END_REQUEST has a wrong length");
  EXPECT_EQ(error_of(end_request(0, 1)), "the FastCGI server cannot multiplex");
  EXPECT_EQ(error_of(end_request(0, 2)), "the FastCGI server is overloaded");
  EXPECT_EQ(error_of(end_request(0, 3)), "the FastCGI server does not take the role");
  EXPECT_EQ(error_of(end_request(0, 4)), "a FastCGI END_REQUEST has an unknown status");
}

TEST(FastCgiResponseReaderTest, IncompleteInputNeedsMore) {
  ResponseReader reader;
  const std::string wire = stdout_record("abc") + end_request(0, 0, 4);
  // Every strict prefix that ends inside a header or END_REQUEST yields nothing to do yet.
  auto r = reader.read(std::string_view(wire).substr(0, 7));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->consumed, 0U);
  EXPECT_TRUE(r->data.empty());
  r = reader.read(std::string_view(wire).substr(0, 11));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->data, "abc");
  // END_REQUEST is only taken with its padding.
  const std::string_view rest = std::string_view(wire).substr(r->consumed);
  r = reader.read(rest.substr(0, rest.size() - 1));
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(reader.done());
  r = reader.read(rest.substr(r->consumed));
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(reader.done());
}

}  // namespace
}  // namespace bulwark::http::fastcgi
