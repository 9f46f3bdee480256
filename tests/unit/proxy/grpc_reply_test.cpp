// gRPC errors made by bulwark: which calls are gRPC, the status mapping, grpc-message encoding.

#include "proxy/grpc_reply.h"

#include <gtest/gtest.h>

namespace bulwark::proxy {
namespace {

http::RequestHead with_type(std::string_view type) {
  http::RequestHead request;
  request.headers.add("content-type", type);
  return request;
}

TEST(GrpcReplyTest, RecognisesGrpcContentTypes) {
  EXPECT_TRUE(is_grpc_request(with_type("application/grpc")));
  EXPECT_TRUE(is_grpc_request(with_type("application/grpc+proto")));
  EXPECT_TRUE(is_grpc_request(with_type("Application/GRPC;charset=x")));
  EXPECT_FALSE(is_grpc_request(with_type("application/grpc-web")));  // answered as HTTP
  EXPECT_FALSE(is_grpc_request(with_type("application/json")));
  EXPECT_FALSE(is_grpc_request(http::RequestHead{}));
}

TEST(GrpcReplyTest, MapsHttpStatusesAsGrpcDoes) {
  EXPECT_EQ(grpc_status_for(400), 13U);  // INTERNAL
  EXPECT_EQ(grpc_status_for(401), 16U);  // UNAUTHENTICATED
  EXPECT_EQ(grpc_status_for(403), 7U);   // PERMISSION_DENIED
  EXPECT_EQ(grpc_status_for(404), 12U);  // UNIMPLEMENTED
  EXPECT_EQ(grpc_status_for(429), 14U);  // UNAVAILABLE
  EXPECT_EQ(grpc_status_for(502), 14U);
  EXPECT_EQ(grpc_status_for(503), 14U);
  EXPECT_EQ(grpc_status_for(504), 4U);  // DEADLINE_EXCEEDED
  EXPECT_EQ(grpc_status_for(413), 8U);  // RESOURCE_EXHAUSTED
  EXPECT_EQ(grpc_status_for(500), 2U);  // UNKNOWN
}

TEST(GrpcReplyTest, PercentEncodesTheMessage) {
  EXPECT_EQ(grpc_message("no upstream server"), "no upstream server");
  EXPECT_EQ(grpc_message("100% bad\n\xc3\xa9"), "100%25 bad%0A%C3%A9");
}

}  // namespace
}  // namespace bulwark::proxy
