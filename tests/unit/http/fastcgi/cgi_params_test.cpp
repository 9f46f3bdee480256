#include "http/fastcgi/cgi_params.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace bulwark::http::fastcgi {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

// The parameters as written, in order, read back from the PARAMS records.
Params params_of(std::string_view bytes) {
  std::string stream;
  while (bytes.size() >= kHeaderSize) {
    auto header = decode_header(std::span<const char, kHeaderSize>(bytes.data(), kHeaderSize));
    if (header->type == RecordType::kParams) {
      stream.append(bytes.substr(kHeaderSize, header->content_length));
    }
    bytes.remove_prefix(kHeaderSize + header->content_length + header->padding_length);
  }
  Params out;
  std::string_view rest = stream;
  while (!rest.empty()) {
    const DecodedPair pair = decode_pair(rest);
    if (pair.consumed == 0) break;
    out.emplace_back(pair.pair.name, pair.pair.value);
    rest.remove_prefix(pair.consumed);
  }
  return out;
}

std::map<std::string, std::string> as_map(const Params& params) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : params)
    out[name] = value;  // the last one wins, as in PHP-FPM
  return out;
}

class CgiParamsTest : public ::testing::Test {
 protected:
  core::Result<Params> write(const RequestHead& request) {
    std::vector<char> buffer(64 * 1024);
    RequestWriter writer(buffer);
    std::string scratch;
    if (auto r = write_cgi_params(request, context_, writer, scratch); !r) {
      return std::unexpected(r.error());
    }
    const std::size_t size = writer.finish(true);
    EXPECT_NE(size, 0U);
    return params_of({buffer.data(), size});
  }

  RequestHead get(std::string_view path) {
    RequestHead request;
    request.method_token = "GET";
    request.method = Method::kGet;
    request.path = path;
    request.headers.add("host", "app.example:8080");
    return request;
  }

  std::vector<std::pair<std::string, std::string>> extra_{{"APP_ENV", "test"},
                                                          {"SERVER_NAME", "override"}};
  CgiContext context_{.root = "/srv/app",
                      .index = "index.php",
                      .extra_params = extra_,
                      .remote_address = "192.0.2.7",
                      .remote_port = 51000,
                      .server_address = "127.0.0.1",
                      .server_port = 8080,
                      .scheme = "http"};
};

TEST_F(CgiParamsTest, StandardVariables) {
  context_.extra_params = {};
  auto params = write(get("/shop/cart.php?item=3&x=%20"));
  ASSERT_TRUE(params.has_value());
  auto vars = as_map(*params);
  EXPECT_EQ(vars["GATEWAY_INTERFACE"], "CGI/1.1");
  EXPECT_EQ(vars["SERVER_SOFTWARE"], "bulwark");
  EXPECT_EQ(vars["SERVER_PROTOCOL"], "HTTP/1.1");
  EXPECT_EQ(vars["REQUEST_METHOD"], "GET");
  EXPECT_EQ(vars["REQUEST_URI"], "/shop/cart.php?item=3&x=%20");
  EXPECT_EQ(vars["SCRIPT_NAME"], "/shop/cart.php");
  EXPECT_EQ(vars["SCRIPT_FILENAME"], "/srv/app/shop/cart.php");
  EXPECT_EQ(vars["DOCUMENT_ROOT"], "/srv/app");
  EXPECT_EQ(vars["DOCUMENT_URI"], "/shop/cart.php");
  EXPECT_EQ(vars["QUERY_STRING"], "item=3&x=%20");
  EXPECT_EQ(vars["REMOTE_ADDR"], "192.0.2.7");
  EXPECT_EQ(vars["REMOTE_PORT"], "51000");
  EXPECT_EQ(vars["SERVER_NAME"], "app.example");
  EXPECT_EQ(vars["SERVER_ADDR"], "127.0.0.1");
  EXPECT_EQ(vars["SERVER_PORT"], "8080");
  EXPECT_EQ(vars["REQUEST_SCHEME"], "http");
  EXPECT_EQ(vars["HTTP_HOST"], "app.example:8080");
  EXPECT_FALSE(vars.contains("HTTPS"));
  EXPECT_FALSE(vars.contains("PATH_INFO"));
  EXPECT_FALSE(vars.contains("CONTENT_LENGTH"));
  EXPECT_FALSE(vars.contains("CONTENT_TYPE"));
}

TEST_F(CgiParamsTest, PathInfoIndexAndDecoding) {
  auto vars = as_map(*write(get("/a/b.php/more/path?q")));
  EXPECT_EQ(vars["SCRIPT_NAME"], "/a/b.php");
  EXPECT_EQ(vars["PATH_INFO"], "/more/path");
  EXPECT_EQ(vars["PATH_TRANSLATED"], "/srv/app/more/path");
  EXPECT_EQ(vars["DOCUMENT_URI"], "/a/b.php/more/path");
  vars = as_map(*write(get("/dir/")));
  EXPECT_EQ(vars["SCRIPT_NAME"], "/dir/index.php");
  EXPECT_EQ(vars["SCRIPT_FILENAME"], "/srv/app/dir/index.php");
  vars = as_map(*write(get("/my%20page.php")));
  EXPECT_EQ(vars["SCRIPT_FILENAME"], "/srv/app/my page.php");
  EXPECT_EQ(vars["REQUEST_URI"], "/my%20page.php");
}

TEST_F(CgiParamsTest, EscapedTraversalAndNulAreRefused) {
  for (const std::string_view path :
       {"/a/..%2Fsecret.php", "/a/%2E%2E/x.php", "/x.php%00.txt", "/a%2F.%2Fb.php", "/bad%zz"}) {
    auto params = write(get(path));
    ASSERT_FALSE(params.has_value()) << path;
    EXPECT_EQ(params.error().kind, core::ErrorKind::kBadRequest);
  }
}

TEST_F(CgiParamsTest, BodyHttpsAndHeaders) {
  RequestHead request = get("/upload.php");
  request.method_token = "POST";
  request.version_minor = 0;
  request.framing = BodyFraming::kContentLength;
  request.content_length = 1048576;
  request.headers.add("content-type", "application/x-www-form-urlencoded");
  request.headers.add("content-length", "1048576");
  request.headers.add("proxy", "http://evil.example:3128");
  request.headers.add("x_forwarded_for", "6.6.6.6");
  request.headers.add("x-forwarded-for", "10.0.0.1");
  request.headers.add("Accept", "text/html");
  request.headers.add("accept", "*/*");
  request.headers.add("cookie", "a=1");
  request.headers.add("Cookie", "b=2");
  context_.scheme = "https";
  auto params = write(request);
  ASSERT_TRUE(params.has_value());
  auto vars = as_map(*params);
  EXPECT_EQ(vars["SERVER_PROTOCOL"], "HTTP/1.0");
  EXPECT_EQ(vars["REQUEST_METHOD"], "POST");
  EXPECT_EQ(vars["CONTENT_LENGTH"], "1048576");
  EXPECT_EQ(vars["CONTENT_TYPE"], "application/x-www-form-urlencoded");
  EXPECT_EQ(vars["HTTPS"], "on");
  EXPECT_EQ(vars["REQUEST_SCHEME"], "https");
  EXPECT_FALSE(vars.contains("HTTP_PROXY"));  // httpoxy
  EXPECT_FALSE(vars.contains("HTTP_CONTENT_TYPE"));
  EXPECT_FALSE(vars.contains("HTTP_CONTENT_LENGTH"));
  EXPECT_EQ(vars["HTTP_X_FORWARDED_FOR"], "10.0.0.1");  // not the '_' spelling
  EXPECT_EQ(vars["HTTP_ACCEPT"], "text/html, */*");
  EXPECT_EQ(vars["HTTP_COOKIE"], "a=1; b=2");
  std::size_t accepts = 0;
  for (const auto& [name, value] : *params)
    accepts += name == "HTTP_ACCEPT" ? 1 : 0;
  EXPECT_EQ(accepts, 1U);
}

TEST_F(CgiParamsTest, ExtraParamsComeLast) {
  auto params = write(get("/x.php"));
  ASSERT_TRUE(params.has_value());
  ASSERT_GE(params->size(), 2U);
  EXPECT_EQ((*params)[params->size() - 2], Params::value_type("APP_ENV", "test"));
  EXPECT_EQ(params->back(), Params::value_type("SERVER_NAME", "override"));
  EXPECT_EQ(as_map(*params)["SERVER_NAME"], "override");
}

TEST_F(CgiParamsTest, UnknownServerAddressIsLeftOut) {
  context_.extra_params = {};
  context_.server_address = {};
  context_.server_port = 0;
  auto vars = as_map(*write(get("/x.php")));
  EXPECT_FALSE(vars.contains("SERVER_ADDR"));
  EXPECT_FALSE(vars.contains("SERVER_PORT"));
  RequestHead bracketed = get("/x.php");
  bracketed.headers.set("host", "[::1]:8443");
  EXPECT_EQ(as_map(*write(bracketed))["SERVER_NAME"], "[::1]");
}

}  // namespace
}  // namespace bulwark::http::fastcgi
