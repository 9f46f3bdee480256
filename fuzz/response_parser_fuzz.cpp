// libFuzzer target for ResponseParser and the response serializer. Besides memory and UB errors
// it checks that the verdict does not depend on how the bytes are split, that lengths and views
// stay inside the input, and that a head bulwark accepted and re-serialized parses again to the
// same response.
//
// Input layout: byte 0 picks the limits, the step size and whether the request was HEAD; the rest
// is what the backend sent.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <source_location>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "http/h1/response_parser.h"
#include "http/h1/serializer.h"

namespace {

using bulwark::fuzz::check;
using bulwark::fuzz::inside;
using namespace bulwark;
using namespace bulwark::http;

h1::ParserLimits limits_for(std::uint8_t control) {
  if ((control & 1) == 0) return {};
  return h1::ParserLimits{.max_request_line = 40, .max_header_bytes = 160, .max_header_count = 6};
}

core::Result<std::size_t> parse_in_steps(std::string_view input, std::size_t step,
                                         const h1::ParserLimits& limits, bool request_was_head,
                                         ResponseHead& head) {
  h1::ResponseParser parser(limits);
  core::Result<std::size_t> result = 0;
  for (std::size_t n = std::min(step, input.size());; n = std::min(n + step, input.size())) {
    result = parser.parse(input.substr(0, n), head, request_was_head);
    if (!result || *result != 0 || n == input.size()) return result;
  }
}

void check_round_trip(const ResponseHead& head, bool request_was_head) {
  std::vector<char> wire(16 * 1024);
  const std::size_t size = h1::write_response_head(head, wire);
  if (size == 0) return;  // only when the head grew past the buffer
  h1::ResponseParser parser(h1::ParserLimits{
      .max_request_line = 1 << 20, .max_header_bytes = 1 << 20, .max_header_count = 1 << 20});
  ResponseHead again;
  auto result = parser.parse(std::string_view(wire.data(), size), again, request_was_head);
  check(result.has_value(), "a serialized head parses");
  check(*result == size, "the whole serialized head is the head");
  check(again.status == head.status, "round trip keeps the status");
  check(head.reason.empty() || again.reason == head.reason, "round trip keeps the reason");
  check(again.framing == head.framing, "round trip keeps the framing");
  if (head.framing == BodyFraming::kContentLength) {
    check(again.content_length == head.content_length, "round trip keeps the length");
  }
  // An HTTP/1.0 head is written for an HTTP/1.0 client, whose defaults differ; after a 101 the
  // connection is a tunnel and persistence means nothing.
  if (head.version_minor == 1 && head.status != 101) {
    check(again.keep_alive == head.keep_alive, "round trip keeps persistence");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t control = data[0];
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  const h1::ParserLimits limits = limits_for(control);
  const bool request_was_head = (control & 2) != 0;
  const std::size_t step = static_cast<std::size_t>((control >> 2) % 16) + 1;

  ResponseHead head;
  h1::ResponseParser parser(limits);
  const auto whole = parser.parse(input, head, request_was_head);
  ResponseHead stepped_head;
  const auto stepped = parse_in_steps(input, step, limits, request_was_head, stepped_head);

  check(whole.has_value() == stepped.has_value(), "verdict does not depend on the split");
  if (!whole) {
    check(whole.error().kind == core::ErrorKind::kUpstreamProtocol, "backend errors are upstream");
    check(whole.error().detail == stepped.error().detail, "same error however split");
    check(!whole.error().detail.empty(), "errors have a detail");
    return 0;
  }
  check(*whole == *stepped, "same head length however split");
  if (*whole == 0) return 0;

  check(*whole <= input.size(), "head length stays inside the input");
  check(head.status >= 100 && head.status <= 999, "status has three digits");
  check(inside(head.reason, input), "reason points into the input");
  check(head.headers.size() == stepped_head.headers.size(), "same fields however split");
  for (const HeaderField& field : head.headers) {
    check(inside(field.name, input) && inside(field.value, input), "field views");
  }
  check(head.framing != BodyFraming::kUntilClose || !head.keep_alive, "until-close never persists");
  check_round_trip(head, request_was_head);
  return 0;
}
