#pragma once
// The media type of a file by its name's extension, from a built-in table like nginx's mime.types
// (mime_types.cpp lists it). Text types carry "; charset=utf-8". Case-insensitive.

#include <string_view>

namespace bulwark::http {

inline constexpr std::string_view kDefaultMimeType = "application/octet-stream";

// kDefaultMimeType for a name without an extension or with an unknown one. `file_name` may be a
// path: only its last segment counts.
std::string_view mime_type(std::string_view file_name) noexcept;

}  // namespace bulwark::http
