#pragma once
// Normalises a request path before routing (RFC 3986 §6.2.2), so that a route cannot be missed
// by spelling its path differently: "/%61dmin" and "/x/../admin" are "/admin" to the router, the
// filters and the backend alike, as nginx does before it matches a location.
//
// - percent-encoded unreserved characters (ALPHA, DIGIT, "-", ".", "_", "~") are decoded; other
//   escapes keep their meaning and get upper-case hex digits ("%2f" -> "%2F": an encoded slash
//   stays data, never a separator);
// - "." and ".." segments are removed (RFC 3986 §5.2.4), including ones spelt "%2e";
// - the query is left as it is.
// A path whose ".." segments climb above the root is refused: no file or route lies there, and
// a backend that resolves it itself might escape its own root.

#include <string>
#include <string_view>

namespace bulwark::http {

enum class PathNormalization : unsigned char {
  kUnchanged,  // already normal: `out` is untouched (the common case allocates nothing)
  kChanged,    // `out` holds the normal form, query included
  kInvalid,    // a malformed escape ("%zz", "%4") or ".." above the root
};

// `target` is an origin-form path with an optional query.
PathNormalization normalize_path(std::string_view target, std::string& out);

}  // namespace bulwark::http
