#include "filters/headers/headers_filter.h"

#include <gtest/gtest.h>

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

HeaderOperation op(HeaderAction action, std::string name, std::string_view value = {}) {
  HeaderOperation operation;
  operation.action = action;
  operation.name = std::move(name);
  if (action == HeaderAction::kRename) {
    operation.new_name = std::string(value);
  } else if (action != HeaderAction::kRemove) {
    operation.value = http::HeaderTemplate::parse(value).value();
  }
  return operation;
}

class HeadersFilterTest : public ::testing::Test {
 protected:
  HeadersFilterTest() {
    request_.method_token = "GET";
    request_.path = "/shop/cart?item=7";
    request_.headers.add("Host", "www.example.com");
    proxy::StreamInfo& info = ctx_.info();
    info.client_address_text = "192.0.2.10";
    info.client_port = 51234;
    info.scheme = "https";
    info.listener_name = "public";
    info.route_name = "shop";
    info.request_id = "rid-1";
  }

  // Runs the request hook, then the response hook, with these rules.
  void run(HeaderRuleSet rules) {
    rules_ = std::move(rules);
    HeadersFilter filter(rules_);
    EXPECT_EQ(filter.on_request_headers(request_, true, ctx_), proxy::Verdict::kContinue);
    ctx_.info().upstream_address = "10.0.0.5:8080";
    EXPECT_EQ(filter.on_response_headers(response_, true, ctx_), proxy::Verdict::kContinue);
  }

  FakeContext ctx_;
  http::RequestHead request_;
  http::ResponseHead response_;
  HeaderRuleSet rules_;
};

TEST_F(HeadersFilterTest, AddAppendsAField) {
  request_.headers.add("X-Tag", "one");
  HeaderRuleSet rules;
  rules.request.push_back(op(HeaderAction::kAdd, "x-tag", "two"));
  run(std::move(rules));
  EXPECT_EQ(fields_of(request_.headers),
            (Fields{{"Host", "www.example.com"}, {"X-Tag", "one"}, {"x-tag", "two"}}));
}

TEST_F(HeadersFilterTest, SetReplacesEveryFieldOfTheName) {
  request_.headers.add("X-Real-IP", "spoofed");
  request_.headers.add("x-real-ip", "spoofed too");
  HeaderRuleSet rules;
  rules.request.push_back(op(HeaderAction::kSet, "x-real-ip", "{client_address}"));
  run(std::move(rules));
  EXPECT_EQ(fields_of(request_.headers),
            (Fields{{"Host", "www.example.com"}, {"x-real-ip", "192.0.2.10"}}));
}

TEST_F(HeadersFilterTest, RemoveTakesEveryFieldOfTheNameInAnyCase) {
  response_.headers.add("X-Debug", "1");
  response_.headers.add("Content-Type", "text/plain");
  response_.headers.add("x-debug", "2");
  HeaderRuleSet rules;
  rules.response.push_back(op(HeaderAction::kRemove, "x-debug"));
  run(std::move(rules));
  EXPECT_EQ(fields_of(response_.headers), (Fields{{"Content-Type", "text/plain"}}));
}

TEST_F(HeadersFilterTest, RenameKeepsValuesAndPositions) {
  request_.headers.add("X-Old", "a");
  request_.headers.add("Accept", "*/*");
  request_.headers.add("x-old", "b");
  HeaderRuleSet rules;
  rules.request.push_back(op(HeaderAction::kRename, "x-old", "x-new"));
  run(std::move(rules));
  EXPECT_EQ(
      fields_of(request_.headers),
      (Fields{{"Host", "www.example.com"}, {"x-new", "a"}, {"Accept", "*/*"}, {"x-new", "b"}}));
}

TEST_F(HeadersFilterTest, SetWithAnEmptyValueRemovesAndAddWithOneAddsNothing) {
  request_.headers.add("X-TLS", "forged");
  HeaderRuleSet rules;
  rules.request.push_back(op(HeaderAction::kSet, "x-tls", "{tls_version}"));
  rules.request.push_back(op(HeaderAction::kAdd, "x-cipher", "{tls_cipher}"));
  run(std::move(rules));
  EXPECT_EQ(fields_of(request_.headers), (Fields{{"Host", "www.example.com"}}));
}

TEST_F(HeadersFilterTest, RequestVariables) {
  HeaderRuleSet rules;
  rules.request.push_back(
      op(HeaderAction::kSet, "x-info",
         "{method} {scheme}://{host}{path} q={query} from "
         "{client_address}:{client_port} via {listener}/{route} id={request_id} "
         "up={upstream_address}"));
  run(std::move(rules));
  EXPECT_EQ(request_.headers.get("x-info"),
            "GET https://www.example.com/shop/cart q=item=7 from 192.0.2.10:51234 via "
            "public/shop id=rid-1 up=");
}

TEST_F(HeadersFilterTest, ResponseRulesSeeTheRequestAsTheClientSentIt) {
  HeaderRuleSet rules;
  rules.response.push_back(
      op(HeaderAction::kAdd, "x-served", "{host}{path} by {upstream_address}"));
  rules_ = std::move(rules);
  HeadersFilter filter(rules_);
  filter.on_request_headers(request_, true, ctx_);
  // What the proxy does after the filters: rewrite the path and the Host.
  request_.path = "/internal/cart";
  request_.headers.set("host", "backend.internal");
  ctx_.info().upstream_address = "10.0.0.5:8080";
  filter.on_response_headers(response_, true, ctx_);
  EXPECT_EQ(response_.headers.get("x-served"), "www.example.com/shop/cart by 10.0.0.5:8080");
}

TEST_F(HeadersFilterTest, ResponseRulesRunOnALocalReplyWithoutARequestHook) {
  // A reply made before the request hooks ran (413, say): request variables are empty.
  HeaderRuleSet rules;
  rules.response.push_back(op(HeaderAction::kSet, "x-where", "[{host}] {client_address}"));
  rules_ = std::move(rules);
  HeadersFilter filter(rules_);
  filter.on_response_headers(response_, true, ctx_);
  EXPECT_EQ(response_.headers.get("x-where"), "[] 192.0.2.10");
}

TEST_F(HeadersFilterTest, OperationsRunInTheGivenOrder) {
  response_.headers.add("Server", "backend/1.0");
  response_.headers.add("X-Old", "v");
  HeaderRuleSet rules;
  rules.response.push_back(op(HeaderAction::kRemove, "server"));
  rules.response.push_back(op(HeaderAction::kRename, "x-old", "x-new"));
  rules.response.push_back(op(HeaderAction::kSet, "x-new", "{route}"));
  rules.response.push_back(op(HeaderAction::kAdd, "server", "front"));
  run(std::move(rules));
  EXPECT_EQ(fields_of(response_.headers), (Fields{{"x-new", "shop"}, {"server", "front"}}));
}

TEST_F(HeadersFilterTest, ClientPortIsFormattedInTheArena) {
  HeaderRuleSet rules;
  rules.request.push_back(op(HeaderAction::kSet, "x-port", "{client_port}"));
  run(std::move(rules));
  EXPECT_EQ(request_.headers.get("x-port"), "51234");
}

}  // namespace
}  // namespace bulwark::filters
