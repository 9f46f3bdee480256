// The PROXY protocol parser on every accepted form and every class of rejection, fed whole and
// byte by byte; and the writer's output read back by the parser.

#include "net/proxy_protocol.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace bulwark::net {
namespace {

using Status = ProxyParse::Status;

ProxyParse parse(std::string_view bytes) {
  return parse_proxy_header(std::span<const char>(bytes.data(), bytes.size()));
}

// Every proper prefix of a header needs more bytes (or is already an error, never a success).
void expect_incremental(std::string_view header) {
  for (std::size_t n = 0; n < header.size(); ++n) {
    EXPECT_EQ(parse(header.substr(0, n)).status, Status::kNeedMore) << "prefix of " << n;
  }
}

std::string error_of(std::string_view bytes) {
  const ProxyParse result = parse(bytes);
  EXPECT_EQ(result.status, Status::kError) << "for " << bytes.size() << " bytes";
  return std::string(result.error);
}

std::string v2(std::uint8_t command, std::uint8_t family, std::string_view body) {
  std::string header("\r\n\r\n\0\r\nQUIT\n", 12);
  header.push_back(static_cast<char>(command));
  header.push_back(static_cast<char>(family));
  header.push_back(static_cast<char>(body.size() >> 8));
  header.push_back(static_cast<char>(body.size() & 0xFF));
  header.append(body);
  return header;
}

const std::string kInet4Block("\xC0\x00\x02\x01\x0A\x00\x00\x01\x30\x39\x01\xBB", 12);

TEST(ProxyProtocolTest, V1Tcp4) {
  const std::string header = "PROXY TCP4 192.0.2.1 10.0.0.1 12345 443\r\n";
  expect_incremental(header);
  const ProxyParse result = parse(header + "GET / HTTP/1.1\r\n");
  ASSERT_EQ(result.status, Status::kDone);
  EXPECT_EQ(result.consumed, header.size());
  EXPECT_FALSE(result.header.local);
  EXPECT_EQ(result.header.source.address().to_string(), "192.0.2.1");
  EXPECT_EQ(result.header.source.port(), 12345);
  EXPECT_EQ(result.header.destination.address().to_string(), "10.0.0.1");
  EXPECT_EQ(result.header.destination.port(), 443);
}

TEST(ProxyProtocolTest, V1Tcp6AndUnknown) {
  const ProxyParse six = parse("PROXY TCP6 2001:db8::1 ::1 0 65535\r\n");
  ASSERT_EQ(six.status, Status::kDone);
  EXPECT_EQ(six.header.source.address().to_string(), "2001:db8::1");
  EXPECT_EQ(six.header.destination.port(), 65535);
  const ProxyParse unknown = parse("PROXY UNKNOWN ffff::1 whatever\r\nrest");
  ASSERT_EQ(unknown.status, Status::kDone);
  EXPECT_TRUE(unknown.header.local);
  EXPECT_EQ(unknown.consumed, 32U);
  EXPECT_EQ(parse("PROXY UNKNOWN\r\n").status, Status::kDone);
}

TEST(ProxyProtocolTest, V1Rejections) {
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\n"), "not a PROXY protocol header");
  EXPECT_EQ(error_of("PROXZ"), "not a PROXY protocol header (bad v1 signature)");
  EXPECT_EQ(error_of("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"), "a PROXY v1 header must end in CRLF");
  EXPECT_EQ(error_of("PROXY TCP4 1.2.3.4\rX"), "a PROXY v1 header must end in CRLF");
  EXPECT_EQ(error_of(std::string_view("PROXY TCP4 1.2.3.4\0", 19)),
            "a PROXY v1 header is printable ASCII");
  EXPECT_EQ(error_of("PROXY " + std::string(101, 'A')), "the PROXY v1 header is over 107 bytes");
  EXPECT_EQ(error_of("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n"),
            "the PROXY v1 protocol must be TCP4, TCP6 or UNKNOWN");
  EXPECT_EQ(error_of("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n"),
            "a PROXY v1 TCP header has a source, a destination and two ports");
  EXPECT_EQ(error_of("PROXY TCP4\r\n"),
            "a PROXY v1 TCP header has a source, a destination and two ports");
  EXPECT_EQ(error_of("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n"),
            "the PROXY v1 header has too many fields");
  EXPECT_EQ(error_of("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n"),
            "the PROXY v1 header has too many fields");
  EXPECT_EQ(error_of("PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n"),
            "the PROXY v1 header has an invalid IPv4 address");
  EXPECT_EQ(error_of("PROXY TCP4 ::1 5.6.7.8 1 2\r\n"),
            "the PROXY v1 header has an invalid IPv4 address");
  EXPECT_EQ(error_of("PROXY TCP6 1.2.3.4 ::1 1 2\r\n"),
            "the PROXY v1 header has an invalid IPv6 address");
  EXPECT_EQ(error_of("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n"),
            "the PROXY v1 header has an invalid port");
  EXPECT_EQ(error_of("PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n"),
            "the PROXY v1 header has an invalid port");
  EXPECT_EQ(error_of("PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n"),
            "the PROXY v1 header has an invalid port");
  EXPECT_EQ(error_of("PROXY TCP4 1.2.3.4 5.6.7.8 1 \r\n"),
            "the PROXY v1 header has an invalid port");
}

TEST(ProxyProtocolTest, V1AtTheLengthLimit) {
  // 107 bytes with the CRLF is the longest header allowed.
  const std::string longest = "PROXY UNKNOWN " + std::string(91, 'x') + "\r\n";
  ASSERT_EQ(longest.size(), kProxyV1MaxBytes);
  EXPECT_EQ(parse(longest).status, Status::kDone);
  EXPECT_EQ(error_of("PROXY UNKNOWN " + std::string(92, 'x') + "\r\n"),
            "the PROXY v1 header is over 107 bytes");
}

TEST(ProxyProtocolTest, V2Inet4WithTlvs) {
  const std::string tlvs("\x04\x00\x02xy\x05\x00\x00", 8);
  const std::string header = v2(0x21, 0x11, kInet4Block + tlvs);
  expect_incremental(header);
  const ProxyParse result = parse(header + "\x16\x03\x01");
  ASSERT_EQ(result.status, Status::kDone);
  EXPECT_EQ(result.consumed, header.size());
  EXPECT_EQ(result.header.source.address().to_string(), "192.0.2.1");
  EXPECT_EQ(result.header.source.port(), 12345);
  EXPECT_EQ(result.header.destination.address().to_string(), "10.0.0.1");
  EXPECT_EQ(result.header.destination.port(), 443);
}

TEST(ProxyProtocolTest, V2Inet6LocalAndUnspec) {
  std::string block(36, '\0');
  block[15] = 1;  // ::1
  block[16] = 0x20;
  block[17] = 0x01;  // 2001::
  block[33] = 80;
  block[35] = 81;
  const ProxyParse six = parse(v2(0x21, 0x21, block));
  ASSERT_EQ(six.status, Status::kDone);
  EXPECT_EQ(six.header.source.address().to_string(), "::1");
  EXPECT_EQ(six.header.destination.address().to_string(), "2001::");
  EXPECT_EQ(six.header.source.port(), 80);
  EXPECT_EQ(six.header.destination.port(), 81);
  // LOCAL ignores whatever family and block it carries.
  const ProxyParse local = parse(v2(0x20, 0x31, "anything"));
  ASSERT_EQ(local.status, Status::kDone);
  EXPECT_TRUE(local.header.local);
  EXPECT_EQ(local.consumed, 24U);
  EXPECT_TRUE(parse(v2(0x21, 0x00, "")).header.local);
}

TEST(ProxyProtocolTest, V2Rejections) {
  std::string bad_signature = v2(0x21, 0x11, kInet4Block);
  bad_signature[6] = 'X';
  EXPECT_EQ(error_of(bad_signature), "not a PROXY protocol header (bad v2 signature)");
  EXPECT_EQ(error_of(std::string("\r\n\r\n\0\r", 6) + "Z"),
            "not a PROXY protocol header (bad v2 signature)");
  EXPECT_EQ(error_of(v2(0x11, 0x11, kInet4Block)), "unsupported PROXY v2 version");
  EXPECT_EQ(error_of(v2(0x22, 0x11, kInet4Block)), "unknown PROXY v2 command");
  EXPECT_EQ(error_of(v2(0x21, 0x31, std::string(216, 'x'))),
            "unsupported PROXY v2 address family (AF_UNIX)");
  EXPECT_EQ(error_of(v2(0x21, 0x41, kInet4Block)), "unknown PROXY v2 address family");
  EXPECT_EQ(error_of(v2(0x21, 0x12, kInet4Block)), "unsupported PROXY v2 transport (not STREAM)");
  EXPECT_EQ(error_of(v2(0x21, 0x11, kInet4Block.substr(0, 11))),
            "the PROXY v2 address block is too short for its family");
  EXPECT_EQ(error_of(v2(0x21, 0x21, kInet4Block)),
            "the PROXY v2 address block is too short for its family");
  EXPECT_EQ(error_of(v2(0x21, 0x11, kInet4Block + std::string("\x01\x00", 2))),
            "a PROXY v2 TLV overruns the header");
  EXPECT_EQ(error_of(v2(0x21, 0x11, kInet4Block + std::string("\x01\x00\x05xy", 5))),
            "a PROXY v2 TLV overruns the header");
}

TEST(ProxyProtocolTest, V2OversizeIsRejectedFromTheFixedPart) {
  // The length field alone decides: the rest need not arrive.
  std::string fixed = v2(0x21, 0x11, "").substr(0, 14);
  fixed += std::string("\x08\x00", 2);  // 2048 bytes follow: 16 + 2048 is the limit
  EXPECT_EQ(parse(fixed).status, Status::kNeedMore);
  fixed[15] = 1;
  EXPECT_EQ(error_of(fixed), "the PROXY v2 header is too long");
}

TEST(ProxyProtocolTest, WriterRoundTrips) {
  const asio::ip::tcp::endpoint client(asio::ip::make_address("192.0.2.7"), 40000);
  const asio::ip::tcp::endpoint server(asio::ip::make_address("10.1.2.3"), 8443);
  const asio::ip::tcp::endpoint client6(asio::ip::make_address("2001:db8::7"), 1);
  for (const ProxyHeaderVersion version : {ProxyHeaderVersion::kV1, ProxyHeaderVersion::kV2}) {
    ProxyHeaderBytes bytes{};
    const std::size_t size = write_proxy_header(version, client, server, bytes);
    const ProxyParse four = parse({bytes.data(), size});
    ASSERT_EQ(four.status, Status::kDone);
    EXPECT_EQ(four.consumed, size);
    EXPECT_EQ(four.header.source, client);
    EXPECT_EQ(four.header.destination, server);
    // Mixed families go as IPv6, the IPv4 side mapped.
    const std::size_t mixed_size = write_proxy_header(version, client6, server, bytes);
    const ProxyParse mixed = parse({bytes.data(), mixed_size});
    ASSERT_EQ(mixed.status, Status::kDone);
    EXPECT_EQ(mixed.header.source, client6);
    EXPECT_EQ(mixed.header.destination.address().to_string(), "::ffff:10.1.2.3");
  }
  ProxyHeaderBytes bytes{};
  const std::size_t size = write_proxy_header(ProxyHeaderVersion::kV1, client, server, bytes);
  EXPECT_EQ(std::string_view(bytes.data(), size), "PROXY TCP4 192.0.2.7 10.1.2.3 40000 8443\r\n");
  // A v4-mapped client on a dual-stack socket is sent as the IPv4 address it is.
  const asio::ip::tcp::endpoint mapped(asio::ip::make_address("::ffff:192.0.2.7"), 40000);
  const std::size_t mapped_size =
      write_proxy_header(ProxyHeaderVersion::kV1, mapped, server, bytes);
  EXPECT_EQ(std::string_view(bytes.data(), mapped_size),
            "PROXY TCP4 192.0.2.7 10.1.2.3 40000 8443\r\n");
}

}  // namespace
}  // namespace bulwark::net
