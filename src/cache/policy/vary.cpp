#include "cache/policy/vary.h"

#include <algorithm>
#include <cstddef>
#include <vector>

namespace bulwark::cache::policy {
namespace {

constexpr char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
}

void append_lower(std::string& out, std::string_view text) {
  for (const char c : text)
    out.push_back(lower(c));
}

// Field values never hold a line feed (the parsers reject it), but the key must not depend on
// that: a backslash and a line feed are escaped, so a value cannot end its line early.
void append_escaped(std::string& out, std::string_view text, bool lower_case = false) {
  for (const char c : text) {
    if (c == '\\' || c == '\n') {
      out += '\\';
      out += c == '\n' ? 'n' : '\\';
    } else {
      out += lower_case ? lower(c) : c;
    }
  }
}

// Calls `each` with every non-empty element of the comma-separated list `value`, trimmed; commas
// inside quoted strings do not separate.
template <class Each>
void for_each_element(std::string_view value, Each each) {
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= value.size(); ++i) {
    if (i < value.size()) {
      const char c = value[i];
      if (quoted && c == '\\') {
        ++i;
        continue;
      }
      if (c == '"') quoted = !quoted;
      if (quoted || c != ',') continue;
    }
    const std::string_view element = http::trim_ows(value.substr(start, i - start));
    if (!element.empty()) each(element);
    start = i + 1;
  }
}

// A coding of Accept-Encoding (RFC 9110 §12.5.3) and whether it is acceptable (q > 0).
struct Coding {
  std::string_view name;
  bool accepted = true;
};

// The qvalue (RFC 9110 §12.4.2) is zero: "0", "0." or "0.000". Anything else, even malformed,
// counts as acceptance: a malformed weight must not merge a request into a refusing one.
bool zero_weight(std::string_view params) {
  std::size_t at = 0;
  while ((at = params.find(';', at)) != std::string_view::npos) {
    ++at;
    const std::string_view rest = http::trim_ows(params.substr(at));
    if (rest.size() < 2 || lower(rest[0]) != 'q' || rest[1] != '=') continue;
    std::string_view q = rest.substr(2);
    q = http::trim_ows(q.substr(0, q.find(';')));
    if (q.empty() || q[0] != '0') return false;
    q.remove_prefix(1);
    if (q.empty()) return true;
    if (q[0] != '.') return false;
    return std::ranges::all_of(q.substr(1), [](char c) { return c == '0'; });
  }
  return false;
}

// Accept-Encoding as the set of codings it accepts: weights other than zero do not change which
// representation an origin may choose often enough to split the cache by them. "x-gzip" is gzip
// (RFC 9110 §8.4.1.3). identity is acceptable unless refused, so naming it changes nothing. A
// refusal (q=0) of a coding is the same as not naming it, except for identity, for "*" (which
// refuses identity when not named) and under an accepting "*"; those are kept as "-coding".
void normalise_accept_encoding(std::string& out, const std::vector<std::string_view>& lines) {
  std::vector<Coding> codings;
  for (const std::string_view line : lines) {
    for_each_element(line, [&](std::string_view element) {
      const std::size_t semicolon = element.find(';');
      Coding coding{.name = http::trim_ows(element.substr(0, semicolon))};
      if (http::iequals(coding.name, "x-gzip")) coding.name = "gzip";
      if (http::iequals(coding.name, "x-compress")) coding.name = "compress";
      if (semicolon != std::string_view::npos)
        coding.accepted = !zero_weight(element.substr(semicolon));
      // The first element naming a coding is the one that counts.
      if (std::ranges::none_of(codings,
                               [&](const Coding& c) { return http::iequals(c.name, coding.name); }))
        codings.push_back(coding);
    });
  }
  const bool star_accepts =
      std::ranges::any_of(codings, [](const Coding& c) { return c.name == "*" && c.accepted; });
  std::erase_if(codings, [&](const Coding& c) {
    return c.accepted ? http::iequals(c.name, "identity")
                      : !star_accepts && !http::iequals(c.name, "identity") && c.name != "*";
  });
  // Refusals first, then by name, ignoring case.
  std::ranges::sort(codings, [](const Coding& a, const Coding& b) {
    if (a.accepted != b.accepted) return !a.accepted;
    return std::ranges::lexicographical_compare(a.name, b.name,
                                                [](char x, char y) { return lower(x) < lower(y); });
  });
  for (std::size_t i = 0; i < codings.size(); ++i) {
    if (i != 0) out += ", ";
    if (!codings[i].accepted) out += '-';
    append_escaped(out, codings[i].name, /*lower_case=*/true);
  }
}

// The elements of every line, trimmed and joined with ", ".
void normalise_list(std::string& out, const std::vector<std::string_view>& lines) {
  bool first = true;
  for (const std::string_view line : lines) {
    for_each_element(line, [&](std::string_view element) {
      if (!first) out += ", ";
      append_escaped(out, element);
      first = false;
    });
  }
}

}  // namespace

std::string vary_fields(const http::HeaderMap& response) {
  std::string fields;
  for (const http::HeaderField& field : response) {
    if (!http::iequals(field.name, "vary")) continue;
    for_each_element(field.value, [&](std::string_view name) {
      if (!fields.empty()) fields += ", ";
      append_lower(fields, name);
    });
  }
  return fields;
}

// The key is "name" for an absent field and "name=value" for a present one (a present but empty
// field is "name="), one line each: field names are tokens and values are escaped, so no two
// different requests give the same key.
std::optional<std::string> secondary_key(std::string_view fields, const http::HeaderMap& request) {
  std::string key;
  bool star = false;
  std::vector<std::string_view> lines;
  for_each_element(fields, [&](std::string_view name) {
    if (name == "*") star = true;
    if (star) return;
    lines.clear();
    for (const http::HeaderField& field : request) {
      if (http::iequals(field.name, name)) lines.push_back(field.value);
    }
    append_lower(key, name);
    if (!lines.empty()) {
      key += '=';
      if (http::iequals(name, "accept-encoding")) {
        normalise_accept_encoding(key, lines);
      } else {
        normalise_list(key, lines);
      }
    }
    key += '\n';
  });
  if (star) return std::nullopt;
  return key;
}

}  // namespace bulwark::cache::policy
