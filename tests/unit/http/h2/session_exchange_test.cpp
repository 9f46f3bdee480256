// ServerSession against ClientSession in memory: requests, bodies, trailers, flow control,
// GOAWAY and the mapping between HTTP/2 and the codec-neutral heads.

#include <gtest/gtest.h>

#include <string>

#include "h2_test_peers.h"

namespace bulwark::http::h2 {
namespace {

using testing::ClientRecorder;
using testing::find_field;
using testing::pump;
using testing::ServerRecorder;

class H2Exchange : public ::testing::Test {
 protected:
  explicit H2Exchange(SessionSettings server_settings = {}, SessionSettings client_settings = {})
      : server_(server_settings, server_handler_), client_(client_settings, client_handler_) {
    server_handler_.session = &server_;
    client_handler_.session = &client_;
  }

  RequestHead get(std::string_view path = "/", std::string_view host = "example.com") {
    RequestHead head;
    head.method_token = "GET";
    head.method = Method::kGet;
    head.target = head.path = path;
    head.headers.add("Host", host);
    return head;
  }

  std::int32_t submit(const RequestHead& head, bool end_stream) {
    auto id = client_.submit_request(head, "", "https", end_stream,
                                     client_handler_.arena_for_next());
    EXPECT_TRUE(id.has_value());
    return id.value_or(-1);
  }

  ResponseHead ok(std::string_view length = "") {
    ResponseHead head;
    head.status = 200;
    if (!length.empty()) head.headers.add("Content-Length", length);
    return head;
  }

  ServerRecorder server_handler_;
  ClientRecorder client_handler_;
  ServerSession server_;
  ClientSession client_;
};

TEST_F(H2Exchange, GetIsDeliveredAsTheHttp1ParserWouldFillIt) {
  RequestHead head = get("/a?b=1");
  head.headers.add("Accept", "text/html");
  const std::int32_t id = submit(head, true);
  ASSERT_FALSE(pump(client_, server_));

  ASSERT_EQ(server_handler_.requests.count(id), 1U);
  const auto& seen = server_handler_.requests[id];
  EXPECT_EQ(seen.method, "GET");
  EXPECT_EQ(seen.method_enum, Method::kGet);
  EXPECT_EQ(seen.target, "/a?b=1");
  EXPECT_EQ(seen.path, "/a?b=1");
  EXPECT_EQ(seen.form, TargetForm::kOrigin);
  EXPECT_EQ(find_field(seen.headers, "host"), "example.com");
  EXPECT_EQ(find_field(seen.headers, "accept"), "text/html");
  EXPECT_TRUE(seen.http2);
  EXPECT_TRUE(seen.end_at_headers);
  EXPECT_EQ(seen.framing, BodyFraming::kNone);
  EXPECT_EQ(server_.stats().requests, 1U);

  ResponseHead response = ok("5");
  response.headers.add("X-Backend-Thing", "1");
  ASSERT_TRUE(server_.submit_response(id, response, false));
  ASSERT_TRUE(server_.send_data(id, std::span<const char>("hello", 5), true));
  pump(client_, server_);

  const auto& got = client_handler_.responses[id];
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(find_field(got.headers, "content-length"), "5");
  EXPECT_EQ(find_field(got.headers, "x-backend-thing"), "1");
  EXPECT_EQ(got.framing, BodyFraming::kContentLength);
  EXPECT_EQ(got.body, "hello");
  EXPECT_TRUE(got.body_ended);
  ASSERT_TRUE(got.closed.has_value());
  EXPECT_EQ(*got.closed, NGHTTP2_NO_ERROR);
  EXPECT_EQ(server_handler_.closed, std::vector<std::int32_t>{id});
  EXPECT_FALSE(server_handler_.requests[id].reset.has_value());
}

TEST_F(H2Exchange, PostBodyInSeveralDataFramesArrivesWhole) {
  RequestHead head = get("/upload");
  head.method_token = "POST";
  head.method = Method::kPost;
  head.headers.add("Content-Length", "11");
  const std::int32_t id = submit(head, false);
  ASSERT_TRUE(client_.send_data(id, std::span<const char>("hello", 5), false));
  pump(client_, server_);
  ASSERT_TRUE(client_.send_data(id, std::span<const char>(" ", 1), false));
  pump(client_, server_);
  ASSERT_TRUE(client_.send_data(id, std::span<const char>("world", 5), true));
  ASSERT_FALSE(pump(client_, server_));

  const auto& seen = server_handler_.requests[id];
  EXPECT_EQ(seen.method_enum, Method::kPost);
  EXPECT_EQ(seen.framing, BodyFraming::kContentLength);
  EXPECT_EQ(seen.content_length, 11U);
  EXPECT_FALSE(seen.end_at_headers);
  EXPECT_EQ(seen.body, "hello world");
  EXPECT_TRUE(seen.body_ended);
}

TEST_F(H2Exchange, BodyWithoutContentLengthEndsWithTheStream) {
  RequestHead head = get("/upload");
  head.method_token = "PUT";
  head.method = Method::kPut;
  const std::int32_t id = submit(head, false);
  ASSERT_TRUE(client_.send_data(id, std::span<const char>("abc", 3), true));
  pump(client_, server_);
  EXPECT_EQ(server_handler_.requests[id].framing, BodyFraming::kChunked);
  EXPECT_EQ(server_handler_.requests[id].body, "abc");
  EXPECT_TRUE(server_handler_.requests[id].body_ended);
}

TEST_F(H2Exchange, TrailersGoBothWays) {
  RequestHead head = get("/grpc");
  head.method_token = "POST";
  head.method = Method::kPost;
  head.headers.add("TE", "trailers");
  const std::int32_t id = submit(head, false);
  ASSERT_TRUE(client_.send_data(id, std::span<const char>("req", 3), false));
  HeaderMap request_trailers;
  request_trailers.add("X-Checksum", "abc");
  ASSERT_TRUE(client_.submit_trailers(id, request_trailers));
  pump(client_, server_);

  const auto& seen = server_handler_.requests[id];
  EXPECT_EQ(find_field(seen.headers, "te"), "trailers");
  EXPECT_EQ(seen.body, "req");
  ASSERT_TRUE(seen.trailers.has_value());
  EXPECT_EQ(find_field(*seen.trailers, "x-checksum"), "abc");

  ASSERT_TRUE(server_.submit_response(id, ok(), false));
  ASSERT_TRUE(server_.send_data(id, std::span<const char>("resp", 4), false));
  HeaderMap response_trailers;
  response_trailers.add("Grpc-Status", "0");
  ASSERT_TRUE(server_.submit_trailers(id, response_trailers));
  pump(client_, server_);

  const auto& got = client_handler_.responses[id];
  EXPECT_EQ(got.body, "resp");
  ASSERT_TRUE(got.trailers.has_value());
  EXPECT_EQ(find_field(*got.trailers, "grpc-status"), "0");
  ASSERT_TRUE(got.closed.has_value());
  EXPECT_EQ(*got.closed, NGHTTP2_NO_ERROR);
}

TEST_F(H2Exchange, ConnectionSpecificFieldsAreDroppedAndNamesLowerCased) {
  RequestHead head = get("/");
  head.headers.add("Connection", "keep-alive, X-Hop");
  head.headers.add("Keep-Alive", "timeout=5");
  head.headers.add("X-Hop", "1");
  head.headers.add("TE", "gzip");
  head.headers.add("Upgrade", "websocket");
  head.headers.add("X-Kept", "yes");
  const std::int32_t id = submit(head, true);
  pump(client_, server_);
  const auto& seen = server_handler_.requests[id];
  ASSERT_EQ(server_.stats().requests, 1U) << "nghttp2 would have reset a stream with them";
  EXPECT_EQ(seen.headers, (testing::Fields{{"x-kept", "yes"}, {"host", "example.com"}}));

  ResponseHead response = ok("0");
  response.headers.add("Connection", "close");
  response.headers.add("Transfer-Encoding", "chunked");
  response.headers.add("Proxy-Connection", "x");
  response.headers.add("Server-Timing", "db;dur=1");
  ASSERT_TRUE(server_.submit_response(id, response, true));
  pump(client_, server_);
  const auto& got = client_handler_.responses[id];
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.headers,
            (testing::Fields{{"content-length", "0"}, {"server-timing", "db;dur=1"}}));
}

TEST_F(H2Exchange, InformationalResponsesComeBeforeTheFinalOne) {
  const std::int32_t id = submit(get(), true);
  pump(client_, server_);
  ResponseHead early;
  early.status = 103;
  early.headers.add("Link", "</style.css>; rel=preload");
  ASSERT_TRUE(server_.submit_informational(id, early));
  ResponseHead switching;
  switching.status = 101;
  EXPECT_FALSE(server_.submit_informational(id, switching));
  ASSERT_TRUE(server_.submit_response(id, ok("0"), true));
  pump(client_, server_);
  const auto& got = client_handler_.responses[id];
  EXPECT_EQ(got.informational, std::vector<std::uint16_t>{103});
  EXPECT_EQ(got.status, 200);
}

TEST_F(H2Exchange, ExtendedConnectCarriesTheProtocol) {
  RequestHead head = get("/chat");
  head.method_token = "CONNECT";
  head.method = Method::kConnect;
  head.protocol = "websocket";
  const std::int32_t id = submit(head, false);
  pump(client_, server_);
  // nghttp2 resets :protocol unless the server advertised SETTINGS_ENABLE_CONNECT_PROTOCOL.
  ASSERT_EQ(server_handler_.requests.count(id), 1U);
  const auto& seen = server_handler_.requests[id];
  EXPECT_EQ(seen.method_enum, Method::kConnect);
  EXPECT_EQ(seen.protocol, "websocket");
  EXPECT_TRUE(seen.upgrade);
  EXPECT_EQ(seen.path, "/chat");
  EXPECT_EQ(seen.form, TargetForm::kOrigin);
}

TEST_F(H2Exchange, PlainConnectIsAuthorityForm) {
  RequestHead head;
  head.method_token = "CONNECT";
  head.method = Method::kConnect;
  head.target = head.path = "db.internal:5432";
  head.target_form = TargetForm::kAuthority;
  const std::int32_t id = submit(head, false);
  pump(client_, server_);
  ASSERT_EQ(server_handler_.requests.count(id), 1U);
  const auto& seen = server_handler_.requests[id];
  EXPECT_EQ(seen.form, TargetForm::kAuthority);
  EXPECT_EQ(seen.target, "db.internal:5432");
  EXPECT_EQ(find_field(seen.headers, "host"), "db.internal:5432");
}

class H2FlowControl : public H2Exchange {
 protected:
  H2FlowControl() : H2Exchange({}, client_settings()) {}
  static SessionSettings client_settings() {
    SessionSettings settings;
    settings.initial_stream_window = 65'535;
    settings.connection_window = 65'535;
    return settings;
  }
};

TEST_F(H2FlowControl, ResponseLargerThanTheWindowWaitsForConsumption) {
  client_handler_.auto_consume = false;
  const std::int32_t id = submit(get(), true);
  pump(client_, server_);
  const std::string body(200'000, 'x');
  ASSERT_TRUE(server_.submit_response(id, ok(), false));
  ASSERT_TRUE(server_.send_data(id, body, true));
  pump(client_, server_);
  EXPECT_EQ(client_handler_.responses[id].body.size(), 65'535U);
  EXPECT_EQ(server_.queued_bytes(id), 200'000U - 65'535U);
  EXPECT_TRUE(server_handler_.window_opened.empty());

  // The client forwards what it has: WINDOW_UPDATE, and the rest follows.
  for (int i = 0; i < 10 && !client_handler_.responses[id].body_ended; ++i) {
    client_.consume(id, client_handler_.responses[id].body.size());
    pump(client_, server_);
  }
  EXPECT_EQ(client_handler_.responses[id].body, body);
  EXPECT_TRUE(client_handler_.responses[id].body_ended);
  EXPECT_EQ(server_handler_.window_opened, std::vector<std::int32_t>{id});
}

TEST_F(H2FlowControl, UnconsumedRequestBodyHoldsTheClientBack) {
  server_handler_.auto_consume = false;
  RequestHead head = get("/upload");
  head.method_token = "POST";
  head.method = Method::kPost;
  const std::int32_t id = submit(head, false);
  const std::string body(100'000, 'y');
  ASSERT_TRUE(client_.send_data(id, body, true));
  pump(client_, server_);
  // The server advertised 64 KiB per stream by default; nothing more moves until it consumes.
  EXPECT_EQ(server_handler_.requests[id].body.size(), 65'536U);
  EXPECT_EQ(client_.queued_bytes(id), 100'000U - 65'536U);
  server_.consume(id, 65'536);
  pump(client_, server_);
  EXPECT_EQ(server_handler_.requests[id].body, body);
}

TEST_F(H2FlowControl, ZeroWindowStallIsResetAfterTheTimeout) {
  client_handler_.auto_consume = false;
  const std::int32_t id = submit(get(), true);
  pump(client_, server_);
  ASSERT_TRUE(server_.submit_response(id, ok(), false));
  ASSERT_TRUE(server_.send_data(id, std::string(100'000, 'z'), false));
  pump(client_, server_);
  const Clock::time_point start = Clock::now();
  EXPECT_EQ(server_.check_stalls(start), 0U);
  ASSERT_TRUE(server_.stalled_since(id).has_value());
  EXPECT_EQ(*server_.stalled_since(id), start);
  EXPECT_EQ(server_.check_stalls(start + std::chrono::seconds(29)), 0U);
  EXPECT_EQ(server_.check_stalls(start + std::chrono::seconds(30)), 1U);
  pump(client_, server_);
  EXPECT_EQ(server_.stats().stalled_resets, 1U);
  ASSERT_TRUE(client_handler_.responses[id].closed.has_value());
  EXPECT_EQ(*client_handler_.responses[id].closed, NGHTTP2_CANCEL);
  EXPECT_EQ(server_handler_.requests[id].reset, NGHTTP2_CANCEL);
  EXPECT_TRUE(server_handler_.requests[id].closed);
}

TEST_F(H2FlowControl, StreamThatMovesIsNotStalled) {
  const std::int32_t id = submit(get(), true);
  pump(client_, server_);
  ASSERT_TRUE(server_.submit_response(id, ok(), false));
  ASSERT_TRUE(server_.send_data(id, std::string(1000, 'z'), false));
  pump(client_, server_);
  EXPECT_EQ(server_.check_stalls(Clock::now()), 0U);
  EXPECT_FALSE(server_.stalled_since(id).has_value());
}

TEST_F(H2Exchange, GracefulGoawayLetsStreamsInFlightFinish) {
  const std::int32_t id = submit(get(), true);
  pump(client_, server_);
  server_.goaway(true);
  pump(client_, server_);
  ASSERT_EQ(client_handler_.goaways.size(), 2U);
  EXPECT_EQ(client_handler_.goaways[0].first, 0x7FFFFFFF);
  EXPECT_EQ(client_handler_.goaways[1].first, id);
  EXPECT_EQ(client_handler_.goaways[1].second, NGHTTP2_NO_ERROR);
  EXPECT_FALSE(client_.has_capacity());
  EXPECT_TRUE(server_.want_read()) << "stream " << id << " is still open";

  ASSERT_TRUE(server_.submit_response(id, ok("2"), false));
  ASSERT_TRUE(server_.send_data(id, std::span<const char>("ok", 2), true));
  pump(client_, server_);
  EXPECT_EQ(client_handler_.responses[id].body, "ok");
  EXPECT_FALSE(server_.want_read());
  EXPECT_FALSE(server_.want_write());
}

TEST_F(H2Exchange, ImmediateGoawayEndsTheSession) {
  submit(get(), true);
  pump(client_, server_);
  server_.goaway(false);
  pump(client_, server_);
  ASSERT_EQ(client_handler_.goaways.size(), 1U);
  EXPECT_FALSE(server_.want_read());
  EXPECT_FALSE(server_.want_write());
}

class H2FewStreams : public H2Exchange {
 protected:
  H2FewStreams() : H2Exchange(settings()) {}
  static SessionSettings settings() {
    SessionSettings settings;
    settings.max_concurrent_streams = 2;
    return settings;
  }
};

TEST_F(H2FewStreams, ClientKnowsWhenTheConnectionIsFull) {
  pump(client_, server_);
  EXPECT_EQ(client_.max_streams(), 2U);
  EXPECT_TRUE(client_.has_capacity());
  const std::int32_t first = submit(get("/1"), true);
  submit(get("/2"), true);
  EXPECT_FALSE(client_.has_capacity());
  EXPECT_EQ(client_.open_streams(), 2U);
  pump(client_, server_);
  ASSERT_TRUE(server_.submit_response(first, ok("0"), true));
  pump(client_, server_);
  EXPECT_TRUE(client_.has_capacity());
}

TEST_F(H2Exchange, PingIsAnswered) {
  client_.ping();
  pump(client_, server_);
  EXPECT_EQ(client_handler_.ping_acks, 1);
}

TEST_F(H2Exchange, ManyStreamsAreMultiplexed) {
  std::vector<std::int32_t> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(submit(get("/" + std::to_string(i)), true));
  pump(client_, server_);
  ASSERT_EQ(server_handler_.requests.size(), 20U);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(server_handler_.requests[ids[i]].path, "/" + std::to_string(i));
    ASSERT_TRUE(server_.submit_response(ids[i], ok("0"), true));
  }
  pump(client_, server_);
  for (const std::int32_t id : ids) EXPECT_EQ(client_handler_.responses[id].status, 200);
  EXPECT_EQ(server_handler_.closed.size(), 20U);
  EXPECT_EQ(client_.open_streams(), 0U);
}

TEST_F(H2Exchange, ServerResetReachesTheClient) {
  const std::int32_t id = submit(get(), true);
  pump(client_, server_);
  server_.reset_stream(id, NGHTTP2_REFUSED_STREAM);
  pump(client_, server_);
  ASSERT_TRUE(client_handler_.responses[id].closed.has_value());
  EXPECT_EQ(*client_handler_.responses[id].closed, NGHTTP2_REFUSED_STREAM);
  EXPECT_EQ(server_handler_.requests[id].reset, NGHTTP2_REFUSED_STREAM);
  EXPECT_FALSE(server_.send_data(id, std::span<const char>("x", 1), true));
}

}  // namespace
}  // namespace bulwark::http::h2
