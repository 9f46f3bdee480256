#pragma once
// Header fields as views (DESIGN.md §5: zero-copy). Parsed fields point into the connection's
// read buffer; fields a filter adds point into the stream's arena (core::Arena::copy). The map
// never owns bytes, so whoever adds a field guarantees it outlives the map.
//
// Order and duplicates are preserved as received. Lookups are case-insensitive (RFC 9110 §5.1);
// the linear scan beats hashing for the 5-30 fields of a real message.

#include <cstddef>
#include <memory_resource>
#include <string_view>
#include <vector>

namespace bulwark::http {

struct HeaderField {
  std::string_view name;
  std::string_view value;
};

// Without the optional whitespace (spaces and tabs) around a field value or list element.
std::string_view trim_ows(std::string_view s) noexcept;

// ASCII case-insensitive equality, for header names and tokens.
bool iequals(std::string_view a, std::string_view b) noexcept;

// True when the comma-separated list `value` contains `token` (case-insensitive, OWS trimmed),
// e.g. has_token("keep-alive, Upgrade", "upgrade").
bool has_token(std::string_view value, std::string_view token) noexcept;

class HeaderMap {
 public:
  explicit HeaderMap(std::pmr::memory_resource* memory = std::pmr::get_default_resource())
      : fields_(memory) {}

  void add(std::string_view name, std::string_view value) { fields_.push_back({name, value}); }
  // Replaces every field named `name` with one field (appended if there was none).
  void set(std::string_view name, std::string_view value);
  // Removes every field named `name`; returns how many were removed.
  std::size_t remove(std::string_view name);

  // The first field named `name`, or nullptr.
  [[nodiscard]] const HeaderField* find(std::string_view name) const noexcept;
  // The value of the first field named `name`, or an empty view.
  [[nodiscard]] std::string_view get(std::string_view name) const noexcept;
  [[nodiscard]] bool has(std::string_view name) const noexcept { return find(name) != nullptr; }
  [[nodiscard]] std::size_t count(std::string_view name) const noexcept;

  [[nodiscard]] std::size_t size() const noexcept { return fields_.size(); }
  [[nodiscard]] bool empty() const noexcept { return fields_.empty(); }
  void clear() noexcept { fields_.clear(); }
  void reserve(std::size_t n) { fields_.reserve(n); }

  [[nodiscard]] auto begin() const noexcept { return fields_.begin(); }
  [[nodiscard]] auto end() const noexcept { return fields_.end(); }
  [[nodiscard]] auto begin() noexcept { return fields_.begin(); }
  [[nodiscard]] auto end() noexcept { return fields_.end(); }
  // Removes the fields for which pred(field) is true.
  template <class Pred>
  std::size_t remove_if(Pred pred) {
    return std::erase_if(fields_, pred);
  }

 private:
  std::pmr::vector<HeaderField> fields_;
};

}  // namespace bulwark::http
