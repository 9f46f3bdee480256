#include "http/header_map.h"

#include <algorithm>

namespace bulwark::http {
namespace {

constexpr char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

}  // namespace

std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool has_token(std::string_view value, std::string_view token) noexcept {
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    if (iequals(trim_ows(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

void HeaderMap::set(std::string_view name, std::string_view value) {
  auto it = std::find_if(fields_.begin(), fields_.end(),
                         [&](const HeaderField& f) { return iequals(f.name, name); });
  if (it == fields_.end()) {
    fields_.push_back({name, value});
    return;
  }
  *it = {name, value};
  const auto first_dup = std::remove_if(
      it + 1, fields_.end(), [&](const HeaderField& f) { return iequals(f.name, name); });
  fields_.erase(first_dup, fields_.end());
}

std::size_t HeaderMap::remove(std::string_view name) {
  return std::erase_if(fields_, [&](const HeaderField& f) { return iequals(f.name, name); });
}

const HeaderField* HeaderMap::find(std::string_view name) const noexcept {
  for (const HeaderField& f : fields_) {
    if (iequals(f.name, name)) return &f;
  }
  return nullptr;
}

std::string_view HeaderMap::get(std::string_view name) const noexcept {
  const HeaderField* f = find(name);
  return f != nullptr ? f->value : std::string_view{};
}

std::size_t HeaderMap::count(std::string_view name) const noexcept {
  return static_cast<std::size_t>(std::count_if(
      fields_.begin(), fields_.end(), [&](const HeaderField& f) { return iequals(f.name, name); }));
}

}  // namespace bulwark::http
