// A cluster's sticky sessions: the cookie bulwark issues and signs.

#include <fmt/format.h>

#include <array>
#include <fstream>
#include <iterator>

#include "config/schema.h"

namespace bulwark::config::schema {
namespace {

constexpr std::array<std::string_view, 3> kSameSite{"Strict", "Lax", "None"};
constexpr std::size_t kMinSecret = 32;  // bytes: as long as the HMAC-SHA256 output

// RFC 6265 §4.1.1: a cookie name is a token.
bool is_cookie_name(std::string_view name) {
  constexpr std::string_view kSeparators = "()<>@,;:\\\"/[]?={} \t";
  if (name.empty()) return false;
  for (const char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f || kSeparators.find(c) != std::string_view::npos) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<StickySessions> read_sticky(YamlReader& reader, const Value& value) {
  static constexpr std::array<std::string_view, 7> kKeys{
      "cookie", "max_age", "path", "secure", "http_only", "same_site", "secret_file"};
  std::optional<MapView> map = reader.map(value, kKeys);
  if (!map) return std::nullopt;
  StickySessions sticky;
  if (std::optional<Value> cookie = map->get("cookie")) {
    if (std::optional<std::string> name = reader.string(*cookie)) {
      if (is_cookie_name(*name)) {
        sticky.cookie = *name;
      } else {
        reader.error(cookie->mark, fmt::format("cookie: '{}' is not a valid cookie name", *name),
                     "use letters, digits and - _ . only");
      }
    }
  }
  if (std::optional<Value> max_age = map->get("max_age")) {
    sticky.max_age = reader.duration(*max_age, Duration{1'000}, Duration{400LL * 24 * 3'600'000});
  }
  if (std::optional<Value> path = map->get("path")) {
    if (std::optional<std::string> text = reader.string(*path)) {
      if (text->starts_with('/') && text->find_first_of(";\r\n") == std::string::npos) {
        sticky.path = *text;
      } else {
        reader.error(path->mark, fmt::format("path: '{}' is not a cookie path", *text),
                     "write an absolute path such as / or /app");
      }
    }
  }
  if (std::optional<Value> secure = map->get("secure")) {
    if (auto flag = reader.boolean(*secure)) sticky.secure = *flag;
  }
  if (std::optional<Value> http_only = map->get("http_only")) {
    if (auto flag = reader.boolean(*http_only)) sticky.http_only = *flag;
  }
  if (std::optional<Value> same_site = map->get("same_site")) {
    if (auto index = reader.choice(*same_site, kSameSite)) {
      sticky.same_site = std::string(kSameSite[*index]);
      // Browsers drop SameSite=None cookies without Secure.
      if (sticky.same_site == "None" && !sticky.secure) {
        reader.error(same_site->mark, "same_site: None needs secure: true",
                     "browsers refuse SameSite=None cookies that are not Secure");
      }
    }
  }
  if (std::optional<Value> secret = map->get("secret_file")) {
    if (std::optional<std::string> path = reader.string(*secret)) {
      // Read now, so that `bulwark validate` catches a missing or short key; the snapshot
      // reads it again when it is built.
      std::ifstream file(*path, std::ios::binary);
      const std::string key{std::istreambuf_iterator<char>(file), {}};
      if (!file) {
        reader.error(secret->mark, fmt::format("secret_file: cannot read '{}'", *path),
                     "the file holds the cookies' signing key, e.g. 32 bytes from /dev/urandom");
      } else if (key.size() < kMinSecret) {
        reader.error(secret->mark,
                     fmt::format("secret_file: '{}' holds {} bytes; at least {} are needed", *path,
                                 key.size(), kMinSecret),
                     "head -c 32 /dev/urandom > FILE");
      } else {
        sticky.secret_file = *path;
      }
    }
  }
  return sticky;
}

}  // namespace bulwark::config::schema
