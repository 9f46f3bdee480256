#include "core/error.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::core {
namespace {

struct KindExpectation {
  ErrorKind kind;
  int status;
  Fault fault;
  std::string_view name;
};

// Every ErrorKind, in declaration order. A new kind must be added here.
const std::vector<KindExpectation>& all_kinds() {
  static const std::vector<KindExpectation> kinds = {
      {ErrorKind::kBadRequest, 400, Fault::kClient, "bad_request"},
      {ErrorKind::kUriTooLong, 414, Fault::kClient, "uri_too_long"},
      {ErrorKind::kHeadersTooLarge, 431, Fault::kClient, "headers_too_large"},
      {ErrorKind::kBodyTooLarge, 413, Fault::kClient, "body_too_large"},
      {ErrorKind::kRequestTimeout, 408, Fault::kClient, "request_timeout"},
      {ErrorKind::kNotImplemented, 501, Fault::kClient, "not_implemented"},
      {ErrorKind::kNoRoute, 404, Fault::kClient, "no_route"},
      {ErrorKind::kTooManyConnections, 429, Fault::kClient, "too_many_connections"},
      {ErrorKind::kUpstreamConnectFailed, 502, Fault::kUpstream, "upstream_connect_failed"},
      {ErrorKind::kUpstreamProtocol, 502, Fault::kUpstream, "upstream_protocol_error"},
      {ErrorKind::kUpstreamReset, 502, Fault::kUpstream, "upstream_reset"},
      {ErrorKind::kUpstreamRefused, 502, Fault::kUpstream, "upstream_refused"},
      {ErrorKind::kUpstreamTimeout, 504, Fault::kUpstream, "upstream_timeout"},
      {ErrorKind::kNoHealthyUpstream, 503, Fault::kUpstream, "no_healthy_upstream"},
      {ErrorKind::kUpstreamOverflow, 503, Fault::kUpstream, "upstream_overflow"},
      {ErrorKind::kDownstreamClosed, 499, Fault::kClient, "downstream_closed"},
      {ErrorKind::kInternal, 500, Fault::kInternal, "internal_error"},
  };
  return kinds;
}

class ErrorKindTest : public ::testing::TestWithParam<KindExpectation> {};

TEST_P(ErrorKindTest, HttpStatus) {
  const Error error{GetParam().kind, "detail"};
  EXPECT_EQ(error.http_status(), GetParam().status);
}

TEST_P(ErrorKindTest, Fault) {
  const Error error{GetParam().kind, "detail"};
  EXPECT_EQ(error.fault(), GetParam().fault);
}

TEST_P(ErrorKindTest, Name) {
  const Error error{GetParam().kind, "detail"};
  EXPECT_EQ(error.name(), GetParam().name);
}

INSTANTIATE_TEST_SUITE_P(AllKinds, ErrorKindTest, ::testing::ValuesIn(all_kinds()),
                         [](const ::testing::TestParamInfo<KindExpectation>& param_info) {
                           return std::string(param_info.param.name);
                         });

TEST(ErrorTest, TableCoversEveryKind) {
  // kInternal is the last enumerator: the table must hold one row per value up to it.
  ASSERT_EQ(all_kinds().size(), static_cast<std::size_t>(ErrorKind::kInternal) + 1);
  for (std::size_t i = 0; i < all_kinds().size(); ++i)
    EXPECT_EQ(static_cast<std::size_t>(all_kinds()[i].kind), i);
}

TEST(ErrorTest, NamesAreUnique) {
  std::set<std::string_view> names;
  for (const auto& k : all_kinds())
    names.insert(Error{k.kind, ""}.name());
  EXPECT_EQ(names.size(), all_kinds().size());
}

TEST(ErrorTest, ErrorStatusesAreClientOrServerErrors) {
  for (const auto& k : all_kinds()) {
    const int status = Error{k.kind, ""}.http_status();
    EXPECT_GE(status, 400) << k.name;
    EXPECT_LT(status, 600) << k.name;
  }
}

TEST(ErrorTest, UnknownKindFallsBackToInternal) {
  const Error error{static_cast<ErrorKind>(200), ""};
  EXPECT_EQ(error.http_status(), 500);
  EXPECT_EQ(error.fault(), Fault::kInternal);
  EXPECT_EQ(error.name(), "internal_error");
}

TEST(ErrorTest, FailBuildsAnUnexpectedWithAllFields) {
  const Result<int> result = fail(ErrorKind::kUpstreamReset, "reset before response", true);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().kind, ErrorKind::kUpstreamReset);
  EXPECT_EQ(result.error().detail, "reset before response");
  EXPECT_TRUE(result.error().retry_safe);
}

TEST(ErrorTest, FailIsNotRetrySafeByDefault) {
  const Result<void> result = fail(ErrorKind::kBadRequest, "bad");
  ASSERT_FALSE(result.has_value());
  EXPECT_FALSE(result.error().retry_safe);
  EXPECT_EQ(result.error().http_status(), 400);
}

TEST(ErrorTest, ResultCarriesAValue) {
  const Result<int> result = 7;
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(*result, 7);
}

}  // namespace
}  // namespace bulwark::core
