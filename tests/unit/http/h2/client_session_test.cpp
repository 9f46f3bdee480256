// ClientSession against hand-built server frames: what a misbehaving backend can send.

#include <gtest/gtest.h>

#include <string>

#include "h2_test_peers.h"

namespace bulwark::http::h2 {
namespace {

using testing::ClientRecorder;
using testing::Fields;
using testing::RawClient;

class H2ClientRaw : public ::testing::Test {
 protected:
  H2ClientRaw() : client_(settings(), handler_) {
    handler_.session = &client_;
    RequestHead head;
    head.method_token = "GET";
    head.target = head.path = "/";
    head.headers.add("Host", "backend");
    auto id = client_.submit_request(head, "", "http", true, handler_.arena_for_next());
    EXPECT_EQ(id, 1);
    testing::drain(client_);
    // The server's preface is its SETTINGS frame.
    EXPECT_TRUE(client_.feed(RawClient::preface().substr(24)));
  }
  static SessionSettings settings() {
    SessionSettings settings;
    settings.max_header_bytes = 1024;
    return settings;
  }
  // The frame writer encodes any fields; a server's HEADERS looks the same on the wire.
  void respond(const Fields& fields, bool end_stream = true) {
    ASSERT_TRUE(client_.feed(raw_.headers(1, fields, end_stream)));
    testing::drain(client_);
  }

  ClientRecorder handler_;
  ClientSession client_;
  RawClient raw_;
};

TEST_F(H2ClientRaw, ValidResponseIsDelivered) {
  respond({{":status", "204"}, {"x-a", "1"}});
  EXPECT_EQ(handler_.responses[1].status, 204);
  EXPECT_EQ(handler_.responses[1].headers, (Fields{{"x-a", "1"}}));
  EXPECT_TRUE(handler_.responses[1].end_at_headers);
  EXPECT_EQ(handler_.responses[1].framing, BodyFraming::kNone);  // 204 has no body at all
  EXPECT_EQ(handler_.responses[1].closed, std::optional<std::uint32_t>(NGHTTP2_NO_ERROR));
}

TEST_F(H2ClientRaw, HeadThatEndsTheStreamIsAnEmptyBody) {
  respond({{":status", "200"}});
  EXPECT_EQ(handler_.responses[1].framing, BodyFraming::kContentLength);  // Content-Length: 0
}

TEST_F(H2ClientRaw, ConnectionSpecificFieldFromTheBackendResetsTheStream) {
  respond({{":status", "200"}, {"connection", "close"}});
  EXPECT_EQ(handler_.responses[1].status, 0) << "no response delivered";
  EXPECT_EQ(handler_.responses[1].closed, std::optional<std::uint32_t>(NGHTTP2_PROTOCOL_ERROR));
}

TEST_F(H2ClientRaw, SwitchingProtocolsIsNotHttp2) {
  respond({{":status", "101"}});
  EXPECT_EQ(handler_.responses[1].status, 0);
  EXPECT_TRUE(handler_.responses[1].informational.empty());
  EXPECT_EQ(handler_.responses[1].closed, std::optional<std::uint32_t>(NGHTTP2_PROTOCOL_ERROR));
}

TEST_F(H2ClientRaw, OversizedResponseHeadResetsTheStream) {
  respond({{":status", "200"}, {"x-big", std::string(2000, 'a')}});
  EXPECT_EQ(handler_.responses[1].status, 0);
  EXPECT_EQ(handler_.responses[1].closed, std::optional<std::uint32_t>(NGHTTP2_PROTOCOL_ERROR));
}

TEST_F(H2ClientRaw, InformationalThenFinalThenTrailers) {
  respond({{":status", "100"}}, false);
  respond({{":status", "200"}}, false);
  ASSERT_TRUE(client_.feed(RawClient::data(1, "body", false)));
  respond({{"grpc-status", "0"}}, true);
  const auto& got = handler_.responses[1];
  EXPECT_EQ(got.informational, std::vector<std::uint16_t>{100});
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.framing, BodyFraming::kChunked);
  EXPECT_EQ(got.body, "body");
  EXPECT_EQ(got.trailers, std::optional<Fields>(Fields{{"grpc-status", "0"}}));
}

TEST_F(H2ClientRaw, GoawayClosesTheConnectionToNewRequests) {
  EXPECT_TRUE(client_.has_capacity());
  std::string payload(8, '\0');  // last stream id 0, NO_ERROR
  ASSERT_TRUE(client_.feed(RawClient::frame(NGHTTP2_GOAWAY, 0, 0, payload)));
  ASSERT_EQ(handler_.goaways.size(), 1U);
  EXPECT_EQ(handler_.goaways[0].first, 0);
  EXPECT_FALSE(client_.has_capacity());
  // Stream 1 was above the last stream id: the backend never saw it, so it may be retried.
  EXPECT_EQ(handler_.responses[1].closed, std::optional<std::uint32_t>(NGHTTP2_REFUSED_STREAM));
}

TEST_F(H2ClientRaw, AbandonedStreamIsCancelledAndWhatArrivesLaterIsDropped) {
  client_.abandon(1);
  EXPECT_EQ(testing::rst_code(testing::drain(client_), 1), std::optional<std::uint32_t>(0x8));
  // The backend answered before it saw the reset: nothing reaches the gone owner's arena.
  respond({{":status", "200"}}, false);
  ASSERT_TRUE(client_.feed(RawClient::data(1, "late", true)));
  EXPECT_EQ(handler_.responses[1].status, 0);
  EXPECT_EQ(handler_.responses[1].body, "");
  EXPECT_EQ(handler_.responses[1].closed, std::optional<std::uint32_t>(NGHTTP2_CANCEL));
  client_.abandon(1);  // closed already: nothing to do
}

}  // namespace
}  // namespace bulwark::http::h2
