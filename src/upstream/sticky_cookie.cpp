#include "upstream/sticky_cookie.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <fstream>
#include <iterator>

#include "upstream/lb/hash.h"
#include "upstream/lb/hash_key.h"

namespace bulwark::upstream {
namespace {

constexpr std::size_t kKeyBytes = 32;
constexpr std::size_t kSignatureBytes = 16;  // HMAC-SHA256 truncated (RFC 2104 §5 allows it)

std::string hex(const unsigned char* bytes, std::size_t size) {
  static constexpr std::string_view kDigits = "0123456789abcdef";
  std::string text;
  text.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    text.push_back(kDigits[bytes[i] >> 4U]);
    text.push_back(kDigits[bytes[i] & 0xfU]);
  }
  return text;
}

// id "." HMAC(key, cluster NUL id): the cluster is signed too, so a cookie of one cluster does
// not steer another that shares the key and an endpoint.
std::string cookie_value_for(std::string_view cluster, std::string_view identity,
                             std::string_view key) {
  const std::uint64_t id_hash = hash_bytes(identity, 0x737469636b79);  // "sticky"
  std::array<unsigned char, 8> id_bytes{};
  for (std::size_t i = 0; i < id_bytes.size(); ++i)
    id_bytes[i] = static_cast<unsigned char>(id_hash >> (8 * i));
  const std::string id = hex(id_bytes.data(), id_bytes.size());
  std::string message(cluster);
  message.push_back('\0');
  message += id;
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(),
       &mac_size);
  return id + "." + hex(mac.data(), kSignatureBytes);
}

}  // namespace

std::string_view StickyCookie::process_key() {
  static const std::string key = [] {
    std::string bytes(kKeyBytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), kKeyBytes) != 1) {
      // Without randomness a guessable key would let clients forge cookies: fail loudly.
      fmt::print(stderr, "bulwark: no random bytes for the sticky-session key\n");
      std::abort();
    }
    return bytes;
  }();
  return key;
}

std::string sticky_key(const config::StickySessions& settings, std::string& error) {
  if (settings.secret_file.empty()) return std::string(StickyCookie::process_key());
  std::ifstream file(settings.secret_file, std::ios::binary);
  std::string key{std::istreambuf_iterator<char>(file), {}};
  if (!file || key.size() < kKeyBytes) {
    error = fmt::format("sticky secret_file '{}': cannot read {} bytes", settings.secret_file,
                        kKeyBytes);
    return {};
  }
  return key;
}

StickyCookie::StickyCookie(const config::StickySessions& settings, std::string_view cluster,
                           const std::vector<std::string>& identities, std::string_view key)
    : name_(settings.cookie) {
  std::string attributes = fmt::format("; Path={}", settings.path);
  if (settings.max_age) {
    attributes +=
        fmt::format("; Max-Age={}",
                    std::chrono::duration_cast<std::chrono::seconds>(*settings.max_age).count());
  }
  if (settings.secure) attributes += "; Secure";
  if (settings.http_only) attributes += "; HttpOnly";
  attributes += "; SameSite=" + settings.same_site;
  for (const std::string& identity : identities) {
    values_.push_back(cookie_value_for(cluster, identity, key));
    by_id_.emplace(values_.back().substr(0, values_.back().find('.')), values_.size() - 1);
    set_cookies_.push_back(name_ + "=" + values_.back() + attributes);
  }
}

std::optional<std::size_t> StickyCookie::endpoint_in(const http::HeaderMap& headers) const {
  const std::string_view value = cookie_value(headers, name_);
  if (value.empty()) return std::nullopt;
  return endpoint_of(value);
}

std::optional<std::size_t> StickyCookie::endpoint_of(std::string_view value) const {
  const std::size_t dot = value.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const auto found = by_id_.find(value.substr(0, dot));
  if (found == by_id_.end()) return std::nullopt;
  const std::string& expected = values_[found->second];
  // The signature is compared in constant time: timing must not reveal how much of a forged one
  // was right.
  if (value.size() != expected.size() ||
      CRYPTO_memcmp(value.data(), expected.data(), expected.size()) != 0) {
    return std::nullopt;
  }
  return found->second;
}

}  // namespace bulwark::upstream
