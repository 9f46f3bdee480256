#pragma once
// Conditional requests (RFC 9110 §13): whether a request's preconditions hold for the selected
// representation, known only by its validators, so that the file server and the cache share it.

#include <cstdint>
#include <optional>
#include <string_view>

#include "http/header_map.h"
#include "http/message.h"

namespace bulwark::http {

// The validators of the selected representation.
struct Validators {
  std::string_view etag;  // an entity-tag with its quotes, "W/" if weak; or empty
  std::optional<std::int64_t> last_modified;  // seconds since the epoch
  // Whether last_modified may serve as a strong validator (RFC 9110 §8.8.2.2): false when the
  // representation may change again within the same second. Only If-Range cares.
  bool last_modified_strong = true;
};

enum class Precondition : std::uint8_t {
  kProceed,      // carry on with the request
  kNotModified,  // 304 (GET and HEAD only)
  kFailed,       // 412
};

// The precondition steps of RFC 9110 §13.2.2, in their order: If-Match, else If-Unmodified-Since;
// then If-None-Match, else If-Modified-Since (GET and HEAD). Invalid dates are ignored, as the RFC
// says; an unparsable entity-tag list matches nothing.
Precondition evaluate_preconditions(Method method, const HeaderMap& request,
                                    const Validators& validators) noexcept;

// Step 5: whether a Range request may be answered with ranges. True without If-Range; with it,
// true only for a strong match of the entity-tag or an exact match of a strong Last-Modified
// (RFC 9110 §13.1.5); false sends the whole representation instead.
bool if_range_holds(const HeaderMap& request, const Validators& validators) noexcept;

// Entity-tag comparison (RFC 9110 §8.8.3.2): strong needs both strong and the same opaque tag,
// weak only the same opaque tag. False when either is not a valid entity-tag.
bool strong_match(std::string_view a, std::string_view b) noexcept;
bool weak_match(std::string_view a, std::string_view b) noexcept;

}  // namespace bulwark::http
