// ServerSession against hand-built frames: malformed requests (RFC 9113 §8.1.1, §8.2, §8.3)
// and the floods of RFC 9113 §10.5 (rapid reset, PING/SETTINGS/empty DATA, CONTINUATION,
// HPACK bombs), each with its counter.

#include <gtest/gtest.h>

#include <string>

#include "h2_test_peers.h"

namespace bulwark::http::h2 {
namespace {

using testing::Fields;
using testing::find_field;
using testing::get_request;
using testing::goaway_code;
using testing::RawClient;
using testing::rst_code;
using testing::ServerRecorder;

class H2ServerRaw : public ::testing::Test {
 protected:
  explicit H2ServerRaw(SessionSettings settings = {}) : server_(settings, handler_) {
    handler_.session = &server_;
    EXPECT_TRUE(server_.feed(RawClient::preface()));
    testing::drain(server_);
  }

  // Feeds one request's HEADERS on stream 1; returns the server's answer.
  std::string send(const Fields& fields, bool end_stream = true, std::string more = "") {
    const std::string bytes = raw_.headers(1, fields, end_stream) + more;
    feed_result_ = server_.feed(bytes);
    EXPECT_TRUE(feed_result_.has_value()) << feed_result_.error().detail;
    return testing::drain(server_);
  }

  void expect_malformed(const Fields& fields) {
    const std::string out = send(fields);
    EXPECT_EQ(rst_code(out, 1), NGHTTP2_PROTOCOL_ERROR);
    EXPECT_TRUE(handler_.requests.empty());
    EXPECT_EQ(server_.stats().malformed_requests, 1U);
    EXPECT_EQ(handler_.closed, std::vector<std::int32_t>{1}) << "the stream's arena is returned";
  }

  ServerRecorder handler_;
  ServerSession server_;
  RawClient raw_;
  core::Result<void> feed_result_;
};

Fields with(Fields fields, std::string name, std::string value) {
  fields.emplace_back(std::move(name), std::move(value));
  return fields;
}

TEST_F(H2ServerRaw, ValidRequestIsDelivered) {
  const std::string out = send(with(get_request("/x"), "te", "trailers"));
  EXPECT_FALSE(rst_code(out, 1));
  ASSERT_EQ(handler_.requests.size(), 1U);
  EXPECT_EQ(find_field(handler_.requests[1].headers, "te"), "trailers");
}

TEST_F(H2ServerRaw, ConnectionHeaderIsMalformed) {
  expect_malformed(with(get_request(), "connection", "keep-alive"));
}
TEST_F(H2ServerRaw, KeepAliveIsMalformed) {
  expect_malformed(with(get_request(), "keep-alive", "timeout=5"));
}
TEST_F(H2ServerRaw, ProxyConnectionIsMalformed) {
  expect_malformed(with(get_request(), "proxy-connection", "keep-alive"));
}
TEST_F(H2ServerRaw, TransferEncodingIsMalformed) {
  expect_malformed(with(get_request(), "transfer-encoding", "chunked"));
}
TEST_F(H2ServerRaw, UpgradeIsMalformed) {
  expect_malformed(with(get_request(), "upgrade", "h2c"));
}
TEST_F(H2ServerRaw, TeOtherThanTrailersIsMalformed) {
  expect_malformed(with(get_request(), "te", "gzip"));
}
TEST_F(H2ServerRaw, UpperCaseNameIsMalformed) {
  expect_malformed(with(get_request(), "X-Upper", "1"));
}
TEST_F(H2ServerRaw, MissingPathIsMalformed) {
  expect_malformed({{":method", "GET"}, {":scheme", "https"}, {":authority", "example.com"}});
}
TEST_F(H2ServerRaw, PathNotStartingWithSlashIsMalformed) {
  expect_malformed(get_request("index.html"));
}
TEST_F(H2ServerRaw, AsteriskOnlyForOptions) {
  expect_malformed(get_request("*"));
}
TEST_F(H2ServerRaw, NeitherAuthorityNorHostIsMalformed) {
  expect_malformed({{":method", "GET"}, {":scheme", "https"}, {":path", "/"}});
}
TEST_F(H2ServerRaw, AuthorityWithUserinfoIsMalformed) {
  expect_malformed({{":method", "GET"}, {":scheme", "https"}, {":authority", "good@evil"},
                    {":path", "/"}});
}
TEST_F(H2ServerRaw, PseudoHeaderAfterRegularFieldIsMalformed) {
  expect_malformed({{":method", "GET"}, {":scheme", "https"}, {"accept", "*/*"},
                    {":authority", "example.com"}, {":path", "/"}});
}
TEST_F(H2ServerRaw, DifferentContentLengthsAreMalformed) {
  const std::string out =
      send(with(with(get_request(), "content-length", "5"), "content-length", "6"), false);
  EXPECT_EQ(rst_code(out, 1), NGHTTP2_PROTOCOL_ERROR);
  EXPECT_TRUE(handler_.requests.empty());
}

TEST_F(H2ServerRaw, ContentLengthLargerThanDataIsMalformed) {
  Fields post = get_request();
  post[0].second = "POST";
  std::string out = send(with(post, "content-length", "10"), false, RawClient::data(1, "12345", true));
  EXPECT_EQ(rst_code(out, 1), NGHTTP2_PROTOCOL_ERROR);
  // The request was delivered before its body proved short: the owner hears of the reset.
  ASSERT_EQ(handler_.requests.count(1), 1U);
  EXPECT_FALSE(handler_.requests[1].body_ended);
  EXPECT_EQ(handler_.requests[1].reset, NGHTTP2_PROTOCOL_ERROR);
  EXPECT_TRUE(handler_.requests[1].closed);
}

TEST_F(H2ServerRaw, DataBeyondContentLengthIsMalformed) {
  Fields post = get_request();
  post[0].second = "POST";
  std::string out =
      send(with(post, "content-length", "3"), false, RawClient::data(1, "12345", true));
  EXPECT_EQ(rst_code(out, 1), NGHTTP2_PROTOCOL_ERROR);
  EXPECT_FALSE(handler_.requests[1].body_ended);
}

TEST_F(H2ServerRaw, AuthorityWinsOverADifferentHost) {
  send(with(get_request(), "host", "other.example"));
  ASSERT_EQ(handler_.requests.size(), 1U);
  const Fields& headers = handler_.requests[1].headers;
  EXPECT_EQ(find_field(headers, "host"), "example.com");
  EXPECT_EQ(std::ranges::count(headers, std::string("host"), &Fields::value_type::first), 1);
}

TEST_F(H2ServerRaw, HostIsKeptWithoutAuthority) {
  send({{":method", "GET"}, {":scheme", "https"}, {":path", "/"}, {"host", "h.example:8443"}});
  ASSERT_EQ(handler_.requests.size(), 1U);
  EXPECT_EQ(find_field(handler_.requests[1].headers, "host"), "h.example:8443");
}

TEST_F(H2ServerRaw, CookiesAreJoined) {
  send(with(with(with(get_request(), "cookie", "a=1"), "accept", "*/*"), "cookie", "b=2"));
  ASSERT_EQ(handler_.requests.size(), 1U);
  const Fields& headers = handler_.requests[1].headers;
  EXPECT_EQ(find_field(headers, "cookie"), "a=1; b=2");
  EXPECT_EQ(std::ranges::count(headers, std::string("cookie"), &Fields::value_type::first), 1);
}

TEST_F(H2ServerRaw, OptionsAsteriskIsAsteriskForm) {
  Fields options = get_request("*");
  options[0].second = "OPTIONS";
  send(options);
  ASSERT_EQ(handler_.requests.size(), 1U);
  EXPECT_EQ(handler_.requests[1].form, TargetForm::kAsterisk);
}

TEST_F(H2ServerRaw, ExpectContinueIsNoted) {
  Fields post = get_request();
  post[0].second = "POST";
  send(with(with(post, "expect", "100-continue"), "content-length", "3"), false);
  ASSERT_EQ(handler_.requests.size(), 1U);
  EXPECT_TRUE(handler_.requests[1].expect_continue);
  EXPECT_EQ(handler_.requests[1].framing, BodyFraming::kContentLength);
}

class H2HeaderLimits : public H2ServerRaw {
 protected:
  H2HeaderLimits() : H2ServerRaw(settings()) {}
  static SessionSettings settings() {
    SessionSettings settings;
    settings.max_header_bytes = 8 * 1024;
    settings.max_header_count = 20;
    settings.connection_window = 65'535;
    return settings;
  }
  static bool answered_431(std::string_view out) {
    for (const auto& frame : testing::parse_frames(out)) {
      // :status 431 is not in the HPACK static table: a literal, with "431" in clear text.
      if (frame.type == NGHTTP2_HEADERS && frame.stream_id == 1 &&
          frame.payload.find("431") != std::string::npos) {
        return true;
      }
    }
    return false;
  }
};

TEST_F(H2HeaderLimits, TooManyBytesIsAnswered431) {
  const std::string out = send(with(get_request(), "x-big", std::string(9000, 'a')));
  EXPECT_TRUE(answered_431(out));
  EXPECT_EQ(server_.stats().oversized_headers, 1U);
  EXPECT_TRUE(handler_.requests.empty());
  EXPECT_EQ(handler_.closed, std::vector<std::int32_t>{1});
}

// RFC 9113 §8.1: the server answered before the request ended; the body the client still sends
// is discarded without the owner seeing it, and the connection window reopens all the same.
TEST_F(H2HeaderLimits, DataForARefusedStreamReopensTheWindow) {
  Fields post = with(get_request(), "x-big", std::string(9000, '~'));
  post[0].second = "POST";
  std::string bytes = raw_.headers(1, post, false);
  for (int i = 0; i < 4; ++i) bytes += RawClient::data(1, std::string(16'000, 'b'), false);
  ASSERT_TRUE(server_.feed(bytes));
  const std::string out = testing::drain(server_);
  EXPECT_TRUE(answered_431(out));
  EXPECT_TRUE(handler_.requests.empty());
  bool window_update = false;
  for (const auto& frame : testing::parse_frames(out)) {
    window_update = window_update || (frame.type == NGHTTP2_WINDOW_UPDATE && frame.stream_id == 0);
  }
  EXPECT_TRUE(window_update);
}

TEST_F(H2HeaderLimits, TooManyFieldsIsAnswered431) {
  Fields fields = get_request();
  for (int i = 0; i < 20; ++i) fields.emplace_back("x-f" + std::to_string(i), "v");
  EXPECT_TRUE(answered_431(send(fields)));
  EXPECT_EQ(server_.stats().oversized_headers, 1U);
}

TEST_F(H2HeaderLimits, HpackBombIsCutOffAndTheConnectionGoesOn) {
  // Hand-encoded, so that our HPACK state and the server's agree: GET https / (static table),
  // :authority example.com (literal, not indexed), then a literal with incremental indexing,
  // new name "x-bomb", a 3000-byte value (HPACK integer 127 + 57 + 22 * 128), then 2,000
  // one-byte references to it (index 62): 5 KiB on the wire, 6 MB decoded.
  const std::string authority("\x01\x0b" "example.com", 13);
  std::string block = std::string("\x82\x87\x84", 3) + authority;
  block += std::string("\x40\x06x-bomb\x7f\xb9\x16", 11) + std::string(3000, 'b');
  block.append(2000, static_cast<char>(0x80 | 62));
  const std::string frame =
      RawClient::frame(NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS | NGHTTP2_FLAG_END_STREAM, 1,
                       block);
  ASSERT_TRUE(server_.feed(frame));
  const std::string out = testing::drain(server_);
  EXPECT_TRUE(answered_431(out));
  EXPECT_EQ(server_.stats().oversized_headers, 1U);
  EXPECT_TRUE(handler_.requests.empty());
  // HPACK state survived: the next request on the same connection decodes and is served.
  const std::string next = std::string("\x82\x87\x04\x05/next", 9) + authority;
  ASSERT_TRUE(server_.feed(RawClient::frame(
      NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS | NGHTTP2_FLAG_END_STREAM, 3, next)));
  ASSERT_EQ(handler_.requests.count(3), 1U);
  EXPECT_EQ(handler_.requests[3].path, "/next");
}

class H2Floods : public H2ServerRaw {
 protected:
  H2Floods() : H2ServerRaw(settings()) {}
  static SessionSettings settings() {
    SessionSettings settings;
    settings.max_resets_per_second = 50;
    settings.max_control_frames_per_second = 100;
    return settings;
  }
  // Feeds `bytes`; expects the session to end with GOAWAY(ENHANCE_YOUR_CALM).
  void expect_calm_goaway(const std::string& bytes) {
    auto result = server_.feed(bytes);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(goaway_code(testing::drain(server_)), NGHTTP2_ENHANCE_YOUR_CALM);
    EXPECT_FALSE(server_.want_read());
    EXPECT_FALSE(server_.feed(RawClient::preface()).has_value()) << "a failed session stays so";
  }
};

TEST_F(H2Floods, RapidResetEndsTheConnection) {
  std::string bytes;
  for (std::int32_t id = 1; id < 2 * 60; id += 2) {
    bytes += raw_.headers(id, get_request(), false) + RawClient::rst(id, NGHTTP2_CANCEL);
  }
  expect_calm_goaway(bytes);
  EXPECT_EQ(server_.stats().rapid_reset_goaways, 1U);
  EXPECT_EQ(server_.stats().resets_received, 51U);
}

TEST_F(H2Floods, ResetsUnderTheLimitAreFine) {
  std::string bytes;
  for (std::int32_t id = 1; id < 2 * 40; id += 2) {
    bytes += raw_.headers(id, get_request(), false) + RawClient::rst(id, NGHTTP2_CANCEL);
  }
  EXPECT_TRUE(server_.feed(bytes));
  EXPECT_EQ(server_.stats().rapid_reset_goaways, 0U);
  EXPECT_EQ(server_.stats().resets_received, 40U);
  // Each delivered request heard of its reset and gave its arena back.
  EXPECT_EQ(handler_.closed.size(), 40U);
  EXPECT_EQ(handler_.requests[1].reset, NGHTTP2_CANCEL);
}

TEST_F(H2Floods, PingFloodEndsTheConnection) {
  std::string bytes;
  for (int i = 0; i < 150; ++i) bytes += RawClient::frame(NGHTTP2_PING, 0, 0, "12345678");
  expect_calm_goaway(bytes);
  EXPECT_EQ(server_.stats().control_flood_goaways, 1U);
}

TEST_F(H2Floods, SettingsFloodEndsTheConnection) {
  std::string bytes;
  for (int i = 0; i < 150; ++i) bytes += RawClient::frame(NGHTTP2_SETTINGS, 0, 0, "");
  expect_calm_goaway(bytes);
  EXPECT_EQ(server_.stats().control_flood_goaways, 1U);
}

TEST_F(H2Floods, PriorityFloodEndsTheConnection) {
  std::string bytes;
  const std::string priority("\x00\x00\x00\x00\x10", 5);
  for (int i = 0; i < 150; ++i) bytes += RawClient::frame(NGHTTP2_PRIORITY, 0, 1 + 2 * i, priority);
  expect_calm_goaway(bytes);
  EXPECT_EQ(server_.stats().control_flood_goaways, 1U);
}

TEST_F(H2Floods, EmptyDataFloodEndsTheConnection) {
  Fields post = get_request();
  post[0].second = "POST";
  std::string bytes = raw_.headers(1, post, false);
  for (int i = 0; i < 150; ++i) bytes += RawClient::data(1, "", false);
  expect_calm_goaway(bytes);
  EXPECT_EQ(server_.stats().empty_data_flood_goaways, 1U);
}

TEST_F(H2Floods, ContinuationFloodEndsTheConnection) {
  // HEADERS without END_HEADERS, then CONTINUATION frames that never end the block.
  std::string bytes = RawClient::frame(NGHTTP2_HEADERS, 0, 1, raw_.block(get_request()));
  for (int i = 0; i < 20; ++i) {
    bytes += RawClient::frame(NGHTTP2_CONTINUATION, 0, 1, raw_.block({{"x-pad", "v"}}));
  }
  expect_calm_goaway(bytes);
  EXPECT_EQ(server_.stats().library_goaways, 1U);
  EXPECT_TRUE(handler_.requests.empty());
}

class H2AckFlood : public H2ServerRaw {
 protected:
  H2AckFlood() : H2ServerRaw(settings()) {}
  static SessionSettings settings() {
    SessionSettings settings;
    settings.max_control_frames_per_second = 1'000'000;  // leave it to nghttp2's ack limit
    return settings;
  }
};

// A client that never reads makes the acknowledgements pile up (CVE-2019-9512, -9515).
TEST_F(H2AckFlood, UnreadAcknowledgementsEndTheConnection) {
  std::string bytes;
  for (int i = 0; i < 1200; ++i) bytes += RawClient::frame(NGHTTP2_PING, 0, 0, "12345678");
  auto result = server_.feed(bytes);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(server_.stats().library_goaways, 1U);
  EXPECT_EQ(server_.stats().control_flood_goaways, 0U);
}

TEST_F(H2ServerRaw, GarbageInsteadOfAPrefaceFails) {
  ServerRecorder handler;
  ServerSession fresh({}, handler);
  EXPECT_FALSE(fresh.feed(std::string_view("GET / HTTP/1.1\r\nHost: x\r\n\r\n")).has_value());
  EXPECT_EQ(fresh.stats().library_goaways, 1U);
}

}  // namespace
}  // namespace bulwark::http::h2
