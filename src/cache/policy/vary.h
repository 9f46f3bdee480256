#pragma once
// Vary (RFC 9111 §4.1): the secondary key of a stored response is the request's values of the
// fields its Vary names. Values are normalised so that requests that mean the same share an
// entry: list elements trimmed (commas inside quoted strings do not separate), empty elements
// dropped, joined with ", ", several field lines combined in order; the case of values is kept.
// Accept-Encoding is the set of acceptable codings (q > 0), lower-cased and sorted, "x-gzip" as
// "gzip", identity left out (it is acceptable unless refused) and weights other than 0 ignored;
// refusals that change what is acceptable (identity;q=0, *;q=0, and any q=0 next to an accepting
// "*") are kept as "-coding". A field absent from the request, a field present but empty and a
// field with a value give three different keys; absent in both requests matches.

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
