#include "http/h2/header_block.h"

#include <algorithm>

namespace bulwark::http::h2 {
namespace {

constexpr char to_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// nghttp2's nv holds non-const pointers although it never writes through them.
std::uint8_t* bytes(std::string_view text) noexcept {
  return reinterpret_cast<std::uint8_t*>(const_cast<char*>(text.data()));
}

}  // namespace

bool is_connection_specific(std::string_view name) noexcept {
  return iequals(name, "connection") || iequals(name, "keep-alive") ||
         iequals(name, "proxy-connection") || iequals(name, "transfer-encoding") ||
         iequals(name, "upgrade");
}

void HeaderBlock::clear() noexcept {
  nva_.clear();
  names_.clear();
  name_offsets_.clear();
}

void HeaderBlock::add(std::string_view name, std::string_view value) {
  nva_.push_back(nghttp2_nv{bytes(name), bytes(value), name.size(), value.size(),
                            NGHTTP2_NV_FLAG_NONE});
  name_offsets_.push_back(kExternal);
}

void HeaderBlock::add_status(std::uint16_t status) {
  status_ = {static_cast<char>('0' + status / 100 % 10), static_cast<char>('0' + status / 10 % 10),
             static_cast<char>('0' + status % 10)};
  add(":status", std::string_view(status_.data(), status_.size()));
}

void HeaderBlock::add_fields(const HeaderMap& fields, Kind kind) {
  const std::string_view connection = fields.get("connection");
  for (const HeaderField& field : fields) {
    if (field.name.empty() || field.name.front() == ':' || is_connection_specific(field.name)) {
      continue;
    }
    // HTTP/1.1 hop-by-hop fields named by Connection (RFC 9110 §7.6.1).
    if (!connection.empty() && has_token(connection, field.name)) continue;
    if (iequals(field.name, "te")) {
      if (kind != Kind::kRequest || !iequals(trim_ows(field.value), "trailers")) continue;
    }
    if (kind == Kind::kRequest && iequals(field.name, "host")) continue;
    const bool lower = std::ranges::none_of(field.name, [](char c) { return c >= 'A' && c <= 'Z'; });
    if (lower) {
      add(field.name, field.value);
      continue;
    }
    name_offsets_.push_back(names_.size());
    std::ranges::transform(field.name, std::back_inserter(names_), to_lower);
    nva_.push_back(nghttp2_nv{nullptr, bytes(field.value), field.name.size(), field.value.size(),
                              NGHTTP2_NV_FLAG_NONE});
  }
}

const nghttp2_nv* HeaderBlock::data() {
  for (std::size_t i = 0; i < nva_.size(); ++i) {
    if (name_offsets_[i] != kExternal) {
      nva_[i].name = reinterpret_cast<std::uint8_t*>(names_.data() + name_offsets_[i]);
    }
  }
  return nva_.data();
}

}  // namespace bulwark::http::h2
