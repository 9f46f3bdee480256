#include "cache/policy/cache_control.h"

#include <algorithm>
#include <cstddef>

namespace bulwark::cache::policy {
namespace {

// tchar (RFC 9110 §5.6.2).
constexpr bool is_tchar(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

constexpr bool is_ows(char c) noexcept {
  return c == ' ' || c == '\t';
}

// One cache-directive as written: `name [ "=" ( token / quoted-string ) ]`.
struct Directive {
  std::string_view name;
  std::string_view value;   // the token, or the quoted-string without its quotes
  bool has_value = false;   // an "=" followed
  bool well_formed = true;  // the value (if any) and what follows it parse
};

// Reads directives off a field value one at a time. Malformed bytes never stop the reader: the
// directive they belong to is marked ill-formed and reading resumes after the next comma that is
// not inside a quoted string.
class DirectiveReader {
 public:
  explicit DirectiveReader(std::string_view text) noexcept : text_(text) {}

  bool next(Directive& out) noexcept {
    while (true) {
      while (pos_ < text_.size() && (is_ows(text_[pos_]) || text_[pos_] == ','))
        ++pos_;
      if (pos_ >= text_.size()) return false;
      const std::size_t name_at = pos_;
      while (pos_ < text_.size() && is_tchar(text_[pos_]))
        ++pos_;
      if (pos_ == name_at) {  // not a directive at all: nothing to apply
        skip_element();
        continue;
      }
      out = Directive{.name = text_.substr(name_at, pos_ - name_at)};
      skip_ows();
      if (pos_ < text_.size() && text_[pos_] == '=') {
        ++pos_;
        skip_ows();
        out.has_value = true;
        out.well_formed = read_value(out.value);
        skip_ows();
      }
      if (pos_ < text_.size() && text_[pos_] != ',') {
        out.well_formed = false;
        skip_element();
      }
      return true;
    }
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;

  void skip_ows() noexcept {
    while (pos_ < text_.size() && is_ows(text_[pos_]))
      ++pos_;
  }

  // Moves past the next comma outside a quoted string (or to the end).
  void skip_element() noexcept {
    bool quoted = false;
    for (; pos_ < text_.size(); ++pos_) {
      const char c = text_[pos_];
      if (quoted && c == '\\') {
        ++pos_;
      } else if (c == '"') {
        quoted = !quoted;
      } else if (!quoted && c == ',') {
        ++pos_;
        return;
      }
    }
  }

  bool read_value(std::string_view& value) noexcept {
    if (pos_ < text_.size() && text_[pos_] == '"') {
      const std::size_t start = ++pos_;
      for (; pos_ < text_.size(); ++pos_) {
        if (text_[pos_] == '\\') {
          ++pos_;
        } else if (text_[pos_] == '"') {
          value = text_.substr(start, pos_ - start);
          ++pos_;
          return true;
        }
      }
      value = text_.substr(start);  // unterminated: the rest of the line
      return false;
    }
    const std::size_t start = pos_;
    while (pos_ < text_.size() && is_tchar(text_[pos_]))
      ++pos_;
    value = text_.substr(start, pos_ - start);
    return !value.empty();
  }
};

// A directive's delta-seconds, in token or quoted form (§5.2: recipients accept both).
std::optional<Seconds> delta_seconds(const Directive& d) noexcept {
  if (!d.has_value || !d.well_formed) return std::nullopt;
  return parse_delta_seconds(d.value);
}

// A freshness directive (max-age, s-maxage): a second, different value or an invalid one makes
// the freshness invalid (§4.2.1); the first valid value is kept for whoever wants it.
void freshness_directive(const Directive& d, std::optional<Seconds>& slot, bool& seen,
                         bool& invalid) noexcept {
  const std::optional<Seconds> value = delta_seconds(d);
  if (!value || (seen && slot && *slot != *value)) invalid = true;
  if (value && !slot) slot = value;
  seen = true;
}

// The other delta-seconds directives: the most restrictive of repeated values wins (§4.2.1: "the
// most restrictive directive should be honored"); invalid values are ignored.
void keep_smallest(const Directive& d, std::optional<Seconds>& slot) noexcept {
  if (const std::optional<Seconds> value = delta_seconds(d))
    slot = slot ? std::min(*slot, *value) : *value;
}

// no-cache and private, with or without a field list. An unqualified occurrence wins over lists;
// a second list cannot be joined into a view, so two lists count as the unqualified directive,
// which is the more restrictive reading.
void qualified_directive(const Directive& d, bool& flag, std::string_view& fields) noexcept {
  const bool listed = d.has_value && d.well_formed && !d.value.empty();
  fields = listed && !flag ? d.value : std::string_view{};
  flag = true;
}

struct Seen {
  bool max_age = false;
  bool s_maxage = false;
};

void apply(const Directive& d, CacheControl& cc, Seen& seen) noexcept {
  using http::iequals;
  if (iequals(d.name, "max-age")) {
    freshness_directive(d, cc.max_age, seen.max_age, cc.invalid_freshness);
  } else if (iequals(d.name, "s-maxage")) {
    freshness_directive(d, cc.s_maxage, seen.s_maxage, cc.invalid_freshness);
  } else if (iequals(d.name, "no-cache")) {
    qualified_directive(d, cc.no_cache, cc.no_cache_fields);
  } else if (iequals(d.name, "private")) {
    qualified_directive(d, cc.is_private, cc.private_fields);
  } else if (iequals(d.name, "no-store")) {
    cc.no_store = true;
  } else if (iequals(d.name, "public")) {
    cc.is_public = true;
  } else if (iequals(d.name, "must-revalidate")) {
    cc.must_revalidate = true;
  } else if (iequals(d.name, "proxy-revalidate")) {
    cc.proxy_revalidate = true;
  } else if (iequals(d.name, "must-understand")) {
    cc.must_understand = true;
  } else if (iequals(d.name, "no-transform")) {
    cc.no_transform = true;
  } else if (iequals(d.name, "immutable")) {
    cc.immutable = true;
  } else if (iequals(d.name, "only-if-cached")) {
    cc.only_if_cached = true;
  } else if (iequals(d.name, "stale-while-revalidate")) {
    keep_smallest(d, cc.stale_while_revalidate);
  } else if (iequals(d.name, "stale-if-error")) {
    keep_smallest(d, cc.stale_if_error);
  } else if (iequals(d.name, "max-stale")) {
    if (d.has_value) {
      keep_smallest(d, cc.max_stale);
    } else {
      cc.max_stale_any = true;
    }
  } else if (iequals(d.name, "min-fresh")) {
    // The larger demand is the more restrictive one.
    if (const std::optional<Seconds> value = delta_seconds(d))
      cc.min_fresh = cc.min_fresh ? std::max(*cc.min_fresh, *value) : *value;
  }
}

}  // namespace

std::optional<Seconds> parse_delta_seconds(std::string_view text) noexcept {
  if (text.empty()) return std::nullopt;
  Seconds result = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    result = std::min(result * 10 + (c - '0'), kMaxDeltaSeconds);
  }
  return result;
}

CacheControl parse_cache_control(const http::HeaderMap& headers, bool request) {
  CacheControl cc;
  Seen seen;
  bool any_field = false;
  for (const http::HeaderField& field : headers) {
    if (!http::iequals(field.name, "cache-control")) continue;
    any_field = true;
    DirectiveReader reader(field.value);
    Directive directive;
    while (reader.next(directive))
      apply(directive, cc, seen);
  }
  // A limited max-stale next to an unlimited one: the limit is the more restrictive.
  if (cc.max_stale) cc.max_stale_any = false;
  if (request && !any_field) {
    for (const http::HeaderField& field : headers) {
      if (http::iequals(field.name, "pragma") && http::has_token(field.value, "no-cache"))
        cc.no_cache = true;
    }
  }
  return cc;
}

}  // namespace bulwark::cache::policy
