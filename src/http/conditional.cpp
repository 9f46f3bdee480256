#include "http/conditional.h"

#include "http/http_date.h"

namespace bulwark::http {
namespace {

struct EntityTag {
  bool weak = false;
  std::string_view opaque;  // with its quotes
};

// etagc = %x21 / %x23-7E / obs-text
constexpr bool is_etagc(char c) noexcept {
  const auto byte = static_cast<unsigned char>(c);
  return byte == 0x21 || (byte >= 0x23 && byte != 0x7F);
}

// One entity-tag at the start of `text` (consumed), or nullopt.
std::optional<EntityTag> take_entity_tag(std::string_view& text) noexcept {
  EntityTag tag;
  std::string_view rest = text;
  if (rest.starts_with("W/")) {
    tag.weak = true;
    rest.remove_prefix(2);
  }
  if (!rest.starts_with('"')) return std::nullopt;
  std::size_t end = 1;
  while (end < rest.size() && is_etagc(rest[end]))
    ++end;
  if (end == rest.size() || rest[end] != '"') return std::nullopt;
  tag.opaque = rest.substr(0, end + 1);
  text = rest.substr(end + 1);
  return tag;
}

std::optional<EntityTag> whole_entity_tag(std::string_view text) noexcept {
  std::optional<EntityTag> tag = take_entity_tag(text);
  if (!text.empty()) return std::nullopt;
  return tag;
}

void skip_ows(std::string_view& text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
}

enum class ListMatch : std::uint8_t { kAbsent, kMatch, kNoMatch };

// If-Match / If-None-Match: "*" or a list of entity-tags, over every field of that name. Called
// only when there is a selected representation.
ListMatch match_list(const HeaderMap& request, std::string_view name, std::string_view current,
                     bool weak) noexcept {
  bool present = false;
  const std::optional<EntityTag> ours = whole_entity_tag(current);
  for (const HeaderField& field : request) {
    if (!iequals(field.name, name)) continue;
    present = true;
    std::string_view list = field.value;
    for (;;) {
      skip_ows(list);
      if (list.empty()) break;
      if (list.front() == ',') {  // empty list elements are allowed (RFC 9110 §5.6.1)
        list.remove_prefix(1);
        continue;
      }
      // "*": any current representation, and there is one.
      if (list.front() == '*') return ListMatch::kMatch;
      const std::optional<EntityTag> theirs = take_entity_tag(list);
      if (!theirs) break;  // the rest of this field is not a list of entity-tags
      if (ours && theirs->opaque == ours->opaque && (weak || (!theirs->weak && !ours->weak))) {
        return ListMatch::kMatch;
      }
      skip_ows(list);
      if (!list.starts_with(',')) break;
    }
  }
  return present ? ListMatch::kNoMatch : ListMatch::kAbsent;
}

std::optional<std::int64_t> date_field(const HeaderMap& request, std::string_view name) noexcept {
  const HeaderField* field = request.find(name);
  if (field == nullptr || request.count(name) != 1) return std::nullopt;
  return parse_http_date(field->value);
}

}  // namespace

bool strong_match(std::string_view a, std::string_view b) noexcept {
  const std::optional<EntityTag> x = whole_entity_tag(a);
  const std::optional<EntityTag> y = whole_entity_tag(b);
  return x && y && !x->weak && !y->weak && x->opaque == y->opaque;
}

bool weak_match(std::string_view a, std::string_view b) noexcept {
  const std::optional<EntityTag> x = whole_entity_tag(a);
  const std::optional<EntityTag> y = whole_entity_tag(b);
  return x && y && x->opaque == y->opaque;
}

Precondition evaluate_preconditions(Method method, const HeaderMap& request,
                                    const Validators& validators) noexcept {
  const bool get_or_head = method == Method::kGet || method == Method::kHead;
  // Step 1, else step 2.
  const ListMatch if_match = match_list(request, "if-match", validators.etag, false);
  if (if_match == ListMatch::kNoMatch) return Precondition::kFailed;
  if (if_match == ListMatch::kAbsent && validators.last_modified) {
    const std::optional<std::int64_t> date = date_field(request, "if-unmodified-since");
    if (date && *validators.last_modified > *date) return Precondition::kFailed;
  }
  // Step 3, else step 4.
  const ListMatch if_none_match = match_list(request, "if-none-match", validators.etag, true);
  if (if_none_match == ListMatch::kMatch) {
    return get_or_head ? Precondition::kNotModified : Precondition::kFailed;
  }
  if (if_none_match == ListMatch::kAbsent && get_or_head && validators.last_modified) {
    const std::optional<std::int64_t> date = date_field(request, "if-modified-since");
    if (date && *validators.last_modified <= *date) return Precondition::kNotModified;
  }
  return Precondition::kProceed;
}

bool if_range_holds(const HeaderMap& request, const Validators& validators) noexcept {
  const HeaderField* field = request.find("if-range");
  if (field == nullptr) return true;
  if (request.count("if-range") != 1) return false;
  const std::string_view value = field->value;
  if (value.starts_with('"') || value.starts_with("W/")) {
    return strong_match(value, validators.etag);
  }
  const std::optional<std::int64_t> date = parse_http_date(value);
  return date && validators.last_modified && validators.last_modified_strong &&
         *date == *validators.last_modified;
}

}  // namespace bulwark::http
