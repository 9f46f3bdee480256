#include "filters/obfuscation/obfuscation_filter.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "../proxy/fake_context.h"
#include "http/message.h"

namespace bulwark::filters {
namespace {

using proxy::fakes::FakeContext;
using Fields = std::vector<std::pair<std::string, std::string>>;

Fields fields_of(const http::HeaderMap& headers) {
  Fields out;
  for (const http::HeaderField& f : headers)
    out.emplace_back(f.name, f.value);
  return out;
}

ObfuscationSettings settings() {
  return {.strip_headers = {"server", "x-powered-by", "x-aspnet-version"},
          .server = "bulwark",
          .rewrite_redirects = true,
          .rewrite_cookies = true,
          .backends = {{"10.0.0.5", 8080}}};
}

class ObfuscationFilterTest : public ::testing::Test {
 protected:
  ObfuscationFilterTest() {
    request_.headers.add("Host", "www.example.com");
    ctx_.info().scheme = "https";
    response_.headers.add("Server", "Apache/2.4.1 (Unix)");
    response_.headers.add("X-Powered-By", "PHP/5.6");
    response_.headers.add("x-aspnet-version", "4.0.30319");
    response_.headers.add("Content-Type", "text/html");
    response_.headers.add("Location", "http://10.0.0.5:8080/next");
    response_.headers.add("Content-Location", "http://10.0.0.5:8080/doc");
    response_.headers.add("Refresh", "2; url=http://10.0.0.5:8080/later");
    response_.headers.add("Set-Cookie", "a=1; Domain=10.0.0.5; Path=/");
    response_.headers.add("Set-Cookie", "b=2; Domain=example.org");
  }

  Fields run(ObfuscationSettings s, bool request_hook = true) {
    // The factory outlives the run: the fields it sets point into its settings.
    const ObfuscationFilterFactory& factory = factory_.emplace(std::move(s));
    proxy::Filter* filter = factory.create(ctx_.arena());
    if (request_hook) {
      EXPECT_EQ(filter->on_request_headers(request_, true, ctx_), proxy::Verdict::kContinue);
    }
    EXPECT_EQ(filter->on_response_headers(response_, true, ctx_), proxy::Verdict::kContinue);
    std::destroy_at(filter);
    return fields_of(response_.headers);
  }

  std::optional<ObfuscationFilterFactory> factory_;
  FakeContext ctx_;
  http::RequestHead request_;
  http::ResponseHead response_;
};

TEST_F(ObfuscationFilterTest, StripsIdentifyingFieldsSetsServerAndRewritesBackendReferences) {
  EXPECT_EQ(run(settings()), (Fields{{"Content-Type", "text/html"},
                                     {"Location", "https://www.example.com/next"},
                                     {"Content-Location", "https://www.example.com/doc"},
                                     {"Refresh", "2; url=https://www.example.com/later"},
                                     {"Set-Cookie", "a=1; Domain=www.example.com; Path=/"},
                                     {"Set-Cookie", "b=2; Domain=example.org"},
                                     {"server", "bulwark"}}));
}

TEST_F(ObfuscationFilterTest, EmptyServerMeansNone) {
  ObfuscationSettings s = settings();
  s.server.clear();
  const Fields fields = run(std::move(s));
  for (const auto& [name, value] : fields)
    EXPECT_FALSE(http::iequals(name, "server")) << value;
}

TEST_F(ObfuscationFilterTest, ServerIsSetEvenWhenTheStripListKeepsTheBackends) {
  ObfuscationSettings s = settings();
  s.strip_headers = {"x-powered-by"};
  run(std::move(s));
  EXPECT_EQ(response_.headers.count("server"), 1U);
  EXPECT_EQ(response_.headers.get("server"), "bulwark");
  EXPECT_EQ(response_.headers.get("x-aspnet-version"), "4.0.30319");
}

TEST_F(ObfuscationFilterTest, RewritesCanBeTurnedOff) {
  ObfuscationSettings s = settings();
  s.rewrite_redirects = false;
  s.rewrite_cookies = false;
  run(std::move(s));
  EXPECT_EQ(response_.headers.get("location"), "http://10.0.0.5:8080/next");
  EXPECT_EQ(response_.headers.get("refresh"), "2; url=http://10.0.0.5:8080/later");
  EXPECT_EQ(response_.headers.get("set-cookie"), "a=1; Domain=10.0.0.5; Path=/");
}

TEST_F(ObfuscationFilterTest, CookiesOnlyWhenRedirectsAreOff) {
  ObfuscationSettings s = settings();
  s.rewrite_redirects = false;
  run(std::move(s));
  EXPECT_EQ(response_.headers.get("location"), "http://10.0.0.5:8080/next");
  EXPECT_EQ(response_.headers.get("set-cookie"), "a=1; Domain=www.example.com; Path=/");
}

TEST_F(ObfuscationFilterTest, ALocalReplyBeforeTheRequestHookGetsAPath) {
  // No request hook ran (a request refused before routing): the public host is unknown.
  run(settings(), false);
  EXPECT_EQ(response_.headers.get("location"), "/next");
  EXPECT_EQ(response_.headers.get("set-cookie"), "a=1; Path=/");
}

}  // namespace
}  // namespace bulwark::filters
