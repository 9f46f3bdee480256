// The ClientHello peek of TLS passthrough listeners: the server name from one record or several,
// fed byte by byte, and each kind of malformed input refused.

#include "proxy/l4/sni_peek.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace bulwark::proxy {
namespace {

std::string u16(std::size_t n) {
  return {static_cast<char>(n >> 8), static_cast<char>(n & 0xFF)};
}

std::string u24(std::size_t n) {
  return std::string(1, static_cast<char>(n >> 16)) + u16(n & 0xFFFF);
}

std::string server_name_extension(std::string_view name) {
  const std::string entry = std::string(1, '\0') + u16(name.size()) + std::string(name);
  const std::string list = u16(entry.size()) + entry;
  return u16(0) + u16(list.size()) + list;
}

// A ClientHello handshake message with `extensions` (none when nullopt-like empty marker).
std::string client_hello(std::string_view extensions, bool with_extensions = true) {
  std::string body = "\x03\x03" + std::string(32, 'r');
  body += std::string(1, '\x20') + std::string(32, 's');  // session id
  body += u16(4) + std::string("\x13\x01\x13\x02", 4);    // cipher suites
  body += std::string("\x01\x00", 2);                     // compression: null
  if (with_extensions) body += u16(extensions.size()) + std::string(extensions);
  return std::string(1, '\x01') + u24(body.size()) + body;
}

std::string record(std::string_view payload) {
  return std::string("\x16\x03\x01", 3) + u16(payload.size()) + std::string(payload);
}

SniPeek peek(std::string_view bytes) {
  return peek_server_name({bytes.data(), bytes.size()});
}

TEST(SniPeekTest, FindsTheServerNameByteByByte) {
  const std::string other_extension = u16(10) + u16(2) + "xy";
  const std::string hello =
      record(client_hello(other_extension + server_name_extension("Www.A.Example.")));
  for (std::size_t n = 0; n < hello.size(); ++n) {
    ASSERT_EQ(peek(std::string_view(hello).substr(0, n)).status, SniPeek::Status::kNeedMore) << n;
  }
  const SniPeek done = peek(hello + "more bytes");
  ASSERT_EQ(done.status, SniPeek::Status::kDone);
  EXPECT_EQ(done.server_name, "www.a.example");
}

TEST(SniPeekTest, HandshakeSplitAcrossRecords) {
  const std::string message = client_hello(server_name_extension("b.example"));
  const std::string hello =
      record(message.substr(0, 3)) + record(message.substr(3, 50)) + record(message.substr(53));
  const SniPeek done = peek(hello);
  ASSERT_EQ(done.status, SniPeek::Status::kDone);
  EXPECT_EQ(done.server_name, "b.example");
}

TEST(SniPeekTest, NoServerName) {
  EXPECT_EQ(peek(record(client_hello("", false))).server_name, "");
  const SniPeek none = peek(record(client_hello(u16(10) + u16(0))));
  EXPECT_EQ(none.status, SniPeek::Status::kDone);
  EXPECT_EQ(none.server_name, "");
}

TEST(SniPeekTest, Rejections) {
  const auto error_of = [](std::string_view bytes) {
    const SniPeek result = peek(bytes);
    EXPECT_EQ(result.status, SniPeek::Status::kError);
    return std::string(result.error);
  };
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\n"), "not a TLS handshake");
  EXPECT_EQ(error_of("\x16\x02"), "not a TLS handshake");
  EXPECT_EQ(error_of(std::string("\x16\x03\x01\x00\x00", 5)), "a TLS record has an invalid length");
  EXPECT_EQ(error_of(std::string("\x16\x03\x01\x40\x01", 5)), "a TLS record has an invalid length");
  EXPECT_EQ(error_of(record(std::string("\x02\x00\x00\x00", 4))),
            "the first handshake message is not a ClientHello");
  EXPECT_EQ(error_of(record(std::string("\x01\x01\x00\x00", 4))), "the ClientHello is too large");
  EXPECT_EQ(error_of(record(std::string("\x01\x00\x00\x02\x03\x03", 6))),
            "the ClientHello is malformed");
  // The extensions' length says more than there is.
  std::string hello = client_hello(server_name_extension("a.example"));
  hello[hello.size() - server_name_extension("a.example").size() - 1] += 1;
  EXPECT_EQ(error_of(record(hello)), "the ClientHello's extensions are malformed");
  // The server name list says more than the extension holds.
  std::string bad_list = u16(0) + u16(4) + u16(9) + "ab";
  EXPECT_EQ(error_of(record(client_hello(bad_list))),
            "the ClientHello's server_name extension is malformed");
  EXPECT_EQ(error_of(record(client_hello(server_name_extension("a b")))),
            "the ClientHello's server name is invalid");
  EXPECT_EQ(error_of(record(client_hello(server_name_extension("")))),
            "the ClientHello's server name is invalid");
}

}  // namespace
}  // namespace bulwark::proxy
