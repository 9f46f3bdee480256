#pragma once
// Freshening stored responses (RFC 9111 §3.2, §4.3.4): a 304 (or a HEAD response) updates the
// stored header fields: each field it carries replaces the stored fields of that name, except the
// ones §3.2 excepts: fields not stored at all (§3.1: hop-by-hop; storability.h's stored_field()
// with the update's own Connection and private=), Content-Length, and the fields that describe
// the stored body's bytes (framing, Content-Encoding, Content-Range). Order: every line of an
// updated name takes the place of the first stored line of that name; names new to the stored
// response follow at the end, in the update's order.

#include <vector>

#include "http/header_map.h"

namespace bulwark::cache::policy {

// The stored fields updated with `update`'s. Views point into either input.
std::vector<http::HeaderField> updated_fields(const http::HeaderMap& stored,
                                              const http::HeaderMap& update);

}  // namespace bulwark::cache::policy
