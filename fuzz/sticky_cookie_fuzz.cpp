// libFuzzer target for the sticky-session cookie a client sends back
// (src/upstream/sticky_cookie.h, StickyCookie::endpoint_in) and the Cookie field reader under it
// (src/upstream/lb/hash_key.h, cookie_value). Besides memory and UB errors (ASan, UBSan) it
// checks that:
//  - cookie_value gives a view into one Cookie field, without ';' or a blank after it,
//  - endpoint_in names an endpoint only when the cookie's value is exactly the one set_cookie()
//    gave that endpoint (a client cannot forge one), and always when it is.
//
// Input: a Cookie field value. It is sent as one field, split on '\n' into several fields, and
// as the value of the sticky cookie itself.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "upstream/lb/hash_key.h"
#include "upstream/sticky_cookie.h"

namespace {

using bulwark::fuzz::check;
using bulwark::fuzz::inside;
using namespace bulwark;

constexpr std::string_view kKey = "0123456789abcdef0123456789abcdef";  // 32 bytes, as required

struct Cluster {
  Cluster() : cookie(settings, "backend", identities, kKey) {
    for (std::size_t i = 0; i < identities.size(); ++i) {
      // "NAME=VALUE; Path=/...": the value the client is to send back.
      std::string_view set = cookie.set_cookie(i);
      set.remove_prefix(settings.cookie.size() + 1);
      values.emplace_back(set.substr(0, set.find(';')));
    }
  }

  config::StickySessions settings;
  std::vector<std::string> identities{"127.0.0.1:8001", "127.0.0.1:8002", "[::1]:80"};
  upstream::StickyCookie cookie;
  std::vector<std::string> values;
};

void check_request(const Cluster& cluster, const http::HeaderMap& headers) {
  const std::string_view value = upstream::cookie_value(headers, cluster.settings.cookie);
  bool in_a_field = value.empty();
  for (const auto& field : headers)
    in_a_field = in_a_field || (http::iequals(field.name, "cookie") && inside(value, field.value));
  check(in_a_field, "the cookie's value is a view into a Cookie field");
  check(value.find(';') == std::string_view::npos, "';' separates cookies");
  // Blanks around a NAME=VALUE pair are trimmed (a blank after '=' is part of the value).
  check(value.empty() || (value.back() != ' ' && value.back() != '\t'), "blanks are trimmed");

  const std::optional<std::size_t> endpoint = cluster.cookie.endpoint_in(headers);
  if (endpoint) {
    check(*endpoint < cluster.values.size(), "an endpoint of the cluster");
    check(value == cluster.values[*endpoint], "only the exact signed value names an endpoint");
  }
  for (std::size_t i = 0; i < cluster.values.size(); ++i) {
    if (value == cluster.values[i]) check(endpoint == i, "the signed value names its endpoint");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Cluster cluster;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  http::HeaderMap one;
  one.add("Cookie", input);
  check_request(cluster, one);

  // Fields of any case, with other fields between them.
  static constexpr std::array<std::string_view, 3> kNames{"cookie", "Cookie", "COOKIE"};
  http::HeaderMap several;
  std::size_t count = 0;
  for (std::size_t start = 0; start <= input.size(); ++count) {
    const std::size_t end = std::min(input.find('\n', start), input.size());
    several.add(kNames[count % kNames.size()], input.substr(start, end - start));
    several.add("Set-Cookie", cluster.cookie.set_cookie(count % cluster.values.size()));
    start = end + 1;
  }
  check_request(cluster, several);

  const std::string pair = cluster.settings.cookie + "=" + std::string(input);
  http::HeaderMap direct;
  direct.add("Cookie", pair);
  check_request(cluster, direct);
  return 0;
}
