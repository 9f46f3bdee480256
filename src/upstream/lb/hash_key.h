#pragma once
// Extracts the key a consistent-hash cluster balances on from a request.

#include <string_view>

#include "config/config.h"
#include "http/message.h"

namespace bulwark::upstream {

// The key `spec` names in `request`, a view into the request; empty when the request lacks it.
std::string_view extract_hash_key(const config::HashKey& spec, const http::RequestHead& request,
                                  std::string_view client_address) noexcept;

// The value of the first cookie called `name` in the request's Cookie fields; empty when none.
std::string_view cookie_value(const http::HeaderMap& headers, std::string_view name) noexcept;

}  // namespace bulwark::upstream
