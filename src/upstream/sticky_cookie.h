#pragma once
// The cookie of sticky sessions: it names an endpoint by an opaque id (a hash of its identity, so
// the backend's address stays hidden) and carries an HMAC-SHA256 of that id under bulwark's key,
// so a client cannot pick an endpoint by writing its own cookie. One per cluster and snapshot;
// every endpoint's cookie value is computed once, when the snapshot is built.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "http/header_map.h"

namespace bulwark::upstream {

class StickyCookie {
 public:
  // `identities` are the cluster's endpoints; `key` the signing key.
  StickyCookie(const config::StickySessions& settings, std::string_view cluster,
               const std::vector<std::string>& identities, std::string_view key);

  // The endpoint a request's cookies name, when one of them is this cluster's cookie with a valid
  // signature for an endpoint of it.
  [[nodiscard]] std::optional<std::size_t> endpoint_in(const http::HeaderMap& headers) const;
  // The Set-Cookie value that binds a client to endpoint `i`.
  [[nodiscard]] std::string_view set_cookie(std::size_t i) const noexcept {
    return set_cookies_[i];
  }

  // The process's signing key when none is configured: random, made once.
  static std::string_view process_key();

 private:
  [[nodiscard]] std::optional<std::size_t> endpoint_of(std::string_view value) const;

  // Transparent, so that a view into a request can be looked up without a copy.
  struct IdHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view id) const noexcept {
      return std::hash<std::string_view>{}(id);
    }
  };

  std::string name_;
  std::vector<std::string> values_;  // the cookie value per endpoint: id "." signature
  std::unordered_map<std::string, std::size_t, IdHash, std::equal_to<>> by_id_;
  std::vector<std::string> set_cookies_;  // the whole Set-Cookie field value per endpoint
};

// The signing key of `settings`: its secret file's bytes, else the process key. Empty with
// `error` set when the file cannot be read.
std::string sticky_key(const config::StickySessions& settings, std::string& error);

}  // namespace bulwark::upstream
