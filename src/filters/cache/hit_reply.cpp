// Answers from a stored response (CacheFilter::answer_from): the stored fields with a current
// Age and the cache's status fields; the client's preconditions evaluated against the stored
// validators (304, 412); and for a complete stored body, Range requests (206, multipart, 416).

#include <array>
#include <charconv>
#include <chrono>

#include "cache/policy/freshness.h"
#include "cache/policy/reuse.h"
#include "filters/cache/cache_filter.h"
#include "http/conditional.h"
#include "http/http_date.h"
#include "http/range.h"

namespace bulwark::filters {
namespace {

namespace policy = cache::policy;
using proxy::Verdict;

// A collapsed request may wait this long for the next bytes of a body the origin is still
// sending before its own client is given up on.
constexpr std::chrono::seconds kStallTimeout{60};
constexpr std::string_view kBoundary = "bulwark-cache-8c1f2e5a7d";

std::string_view number_text(std::int64_t value, core::Arena& arena) {
  std::array<char, 24> text{};
  const auto [end, ec] = std::to_chars(text.data(), text.data() + text.size(), value);
  return arena.copy({text.data(), static_cast<std::size_t>(end - text.data())});
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Verdict CacheFilter::answer_from(const cache::ObjectPtr& object, proxy::Context& ctx) {
  core::Arena& arena = ctx.arena();
  const http::HeaderMap& stored = object->headers();
  const bool validated = status_.forward_status == 304;
  const std::int64_t age = policy::current_age(stored, object->times(), now_seconds());
  if (status_.forward == policy::Forward::kNone) status_.ttl = lifetime_of(*object) - age;

  http::HeaderMap fields(arena.resource());
  fields.reserve(stored.size() + 5);
  for (const http::HeaderField& field : stored) {
    if (http::iequals(field.name, "age")) continue;
    if (!validated && policy::withheld_without_revalidation(field.name, object->cache_control())) {
      continue;
    }
    fields.add(field.name, field.value);
  }
  fields.add("age", number_text(age, arena));
  add_status_fields(fields, ctx);

  std::uint16_t status = object->status();
  // While bulwark's validators stand in the request, the client's own were set aside.
  const http::HeaderMap& conditions =
      role_ == Role::kRevalidate ? client_conditions_ : request_->headers;
  const http::Validators validators{
      .etag = stored.get("etag"),
      .last_modified = http::parse_http_date(stored.get("last-modified"))};
  const std::shared_ptr<cache::StoredBody>& body = object->body();
  const bool complete = body->state() == cache::BodyState::kComplete;
  // A body still arriving has the length the origin announced, if it announced one.
  std::optional<std::uint64_t> length;
  if (complete) {
    length = body->size();
  } else if (body->expected_length() != 0) {
    length = body->expected_length();
  }

  std::span<ReplyPiece> pieces;
  const auto make_pieces = [&](std::size_t count) {
    pieces = {
        static_cast<ReplyPiece*>(arena.allocate(sizeof(ReplyPiece) * count, alignof(ReplyPiece))),
        count};
    std::uninitialized_default_construct(pieces.begin(), pieces.end());
  };
  if (status == 200) {
    switch (http::evaluate_preconditions(request_->method, conditions, validators)) {
      case http::Precondition::kProceed:
        break;
      case http::Precondition::kNotModified:
        return ctx.respond(
            {.status = 304, .headers = {fields.begin(), fields.end()}, .verbatim = true});
      case http::Precondition::kFailed:
        return ctx.respond({.status = 412, .detail = "a precondition failed"});
    }
    const std::string_view range = request_->headers.get("range");
    if (!range.empty() && length && request_->method == http::Method::kGet &&
        http::if_range_holds(conditions, validators)) {
      const http::RangeSet ranges = http::parse_range(range, *length);
      std::array<char, http::kContentRangeSize> text{};
      if (ranges.outcome == http::RangeOutcome::kUnsatisfiable) {
        fields.set("content-range", arena.copy(http::unsatisfiable_content_range(*length, text)));
        return ctx.respond(
            {.status = 416, .headers = {fields.begin(), fields.end()}, .verbatim = true});
      }
      if (ranges.outcome == http::RangeOutcome::kSatisfiable && ranges.count == 1) {
        const http::ByteRange only = ranges.ranges[0];
        status = 206;
        fields.set("content-range", arena.copy(http::content_range(only, *length, text)));
        make_pieces(1);
        pieces[0] = {.offset = only.offset, .length = only.length};
        length = only.length;
      } else if (ranges.outcome == http::RangeOutcome::kSatisfiable) {
        const auto* kept = arena.make<http::RangeSet>(ranges);
        const http::MultipartByteranges multipart(kept->view(), *length, stored.get("content-type"),
                                                  kBoundary);
        status = 206;
        fields.set("content-type", arena.copy(multipart.content_type()));
        make_pieces(ranges.count * 2 + 1);
        for (std::size_t i = 0; i < ranges.count; ++i) {
          pieces[2 * i].text = arena.copy(multipart.part_head(i));
          pieces[2 * i + 1] = {.offset = kept->ranges[i].offset, .length = kept->ranges[i].length};
        }
        pieces[ranges.count * 2].text = arena.copy(multipart.closing());
        length = multipart.body_length();
      }
    }
  }
  if (pieces.empty()) {
    make_pieces(1);
    pieces[0] = {.offset = 0, .length = length ? *length : kToEnd};
  }
  reply_.emplace(body, pieces, kStallTimeout);
  return ctx.respond({.status = status,
                      .headers = {fields.begin(), fields.end()},
                      .verbatim = true,
                      .streamed = &*reply_,
                      .streamed_length = length});
}

void CacheFilter::add_status_fields(http::HeaderMap& headers, proxy::Context& ctx) {
  core::Arena& arena = ctx.arena();
  if (!settings_.status_header.empty()) {
    headers.set(settings_.status_header,
                arena.copy(policy::format_cache_status("bulwark", status_)));
  }
  if (!settings_.hit_header.empty()) headers.set(settings_.hit_header, label_);
}

}  // namespace bulwark::filters
