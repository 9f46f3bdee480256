#pragma once
// Vary (RFC 9111 §4.1): the secondary key of a stored response is the request's values of the
// fields its Vary names. Values are normalised so that requests that mean the same share an
// entry: list elements trimmed and joined with ", ", several field lines combined in order; for
// Accept-Encoding the set of acceptable codings (q > 0), lower-cased and sorted.

#include <optional>
#include <string>
#include <string_view>

#include "http/header_map.h"

namespace bulwark::cache::policy {

// All Vary field values of a response joined with ", " and lower-cased (field names); empty
// without Vary.
std::string vary_fields(const http::HeaderMap& response);

// The secondary key of `request` for a response whose vary_fields() is `fields`; std::nullopt
// when `fields` contains "*" (never matches). Field names in it, in order, each followed by the
// request's normalised value, so that distinct requests never share a key.
std::optional<std::string> secondary_key(std::string_view fields, const http::HeaderMap& request);

}  // namespace bulwark::cache::policy
