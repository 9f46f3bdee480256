#include "cache/policy/header_update.h"

#include <algorithm>

#include "cache/policy/cache_control.h"
#include "cache/policy/storability.h"

namespace bulwark::cache::policy {
namespace {

// §3.2: besides what is never stored, the fields that describe the stored body's bytes (a 304
// or a HEAD response says nothing about them).
bool describes_stored_body(std::string_view name) noexcept {
  return http::iequals(name, "content-length") || http::iequals(name, "content-encoding") ||
         http::iequals(name, "content-range");
}

}  // namespace

std::vector<http::HeaderField> updated_fields(const http::HeaderMap& stored,
                                              const http::HeaderMap& update) {
  const CacheControl update_cc = parse_cache_control(update);
  const auto updating = [&](std::string_view name) {
    return !describes_stored_body(name) && stored_field(name, update, update_cc);
  };
  const auto names = [](std::string_view name) {
    return [name](const http::HeaderField& field) { return http::iequals(field.name, name); };
  };

  std::vector<http::HeaderField> result;
  result.reserve(stored.size() + update.size());
  // Each updated name takes the place of its first stored field, with every line of the update.
  for (auto it = stored.begin(); it != stored.end(); ++it) {
    const bool replaced = update.has(it->name) && updating(it->name);
    if (!replaced) {
      result.push_back(*it);
      continue;
    }
    if (std::any_of(stored.begin(), it, names(it->name))) continue;
    std::ranges::copy_if(update, std::back_inserter(result), names(it->name));
  }
  // The names that were not stored at all follow, in the update's order.
  for (const http::HeaderField& field : update) {
    if (updating(field.name) && !stored.has(field.name)) result.push_back(field);
  }
  return result;
}

}  // namespace bulwark::cache::policy
