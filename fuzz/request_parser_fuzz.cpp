// libFuzzer target for the HTTP/1.1 request path: RequestParser, then BodyDecoder on what follows
// the head, then the serializer. Besides memory and UB errors (ASan, UBSan) it checks that:
//  - the verdict does not depend on how the bytes are split (all at once vs. in steps),
//  - every returned length and view stays inside the input,
//  - the body decoder always makes progress and returns views into the consumed bytes,
//  - a head bulwark accepted and re-serialized parses again to the same request.
//
// Input layout: byte 0 picks the limits and the step size; the rest is the connection's bytes.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <source_location>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "http/h1/body_decoder.h"
#include "http/h1/request_parser.h"
#include "http/h1/serializer.h"

namespace {

using bulwark::fuzz::check;
using bulwark::fuzz::inside;
using namespace bulwark;
using namespace bulwark::http;

bool same_error(const core::Error& a, const core::Error& b) {
  return a.kind == b.kind && a.detail == b.detail;
}

h1::ParserLimits limits_for(std::uint8_t control) {
  if ((control & 1) == 0) return {};
  return h1::ParserLimits{.max_request_line = 40, .max_header_bytes = 160, .max_header_count = 6};
}

core::Result<std::size_t> parse_in_steps(std::string_view input, std::size_t step,
                                         const h1::ParserLimits& limits, RequestHead& head) {
  h1::RequestParser parser(limits);
  core::Result<std::size_t> result = 0;
  for (std::size_t n = std::min(step, input.size());; n = std::min(n + step, input.size())) {
    result = parser.parse(input.substr(0, n), head);
    if (!result || *result != 0 || n == input.size()) return result;
  }
}

struct BodyResult {
  std::string data;
  bool done = false;
  std::string_view error;  // static detail, empty when none
};

// Plays the connection: appends `step` bytes at a time, decodes until the decoder needs more, and
// drops what it consumed.
BodyResult decode_body(const RequestHead& head, std::string_view input, std::size_t step,
                       const h1::ParserLimits& limits) {
  h1::BodyDecoder decoder(limits);
  decoder.start(head.framing, head.content_length);
  BodyResult out;
  std::string buffer;
  std::size_t fed = 0;
  while (!decoder.done()) {
    if (fed == input.size()) break;  // EOF before the body ended
    const std::size_t n = std::min(step, input.size() - fed);
    buffer.append(input.substr(fed, n));
    fed += n;
    while (!decoder.done()) {
      auto result = decoder.decode(buffer);
      if (!result) {
        out.error = result.error().detail;
        check(!out.error.empty(), "errors have a detail");
        return out;
      }
      const std::string_view in = buffer;
      check(result->consumed <= in.size(), "consumed stays inside the input");
      check(inside(result->data, in.substr(0, result->consumed)),
            "data is inside what was consumed");
      out.data.append(result->data);
      if (decoder.done()) {
        for (const HeaderField& field : decoder.trailers()) {
          check(inside(field.name, in) && inside(field.value, in), "trailers point into the input");
        }
      }
      buffer.erase(0, result->consumed);
      if (result->consumed == 0) {
        check(result->data.empty(), "no data without consuming");
        break;
      }
    }
  }
  out.done = decoder.done();
  check(decoder.body_bytes() == out.data.size(), "body_bytes counts the data delivered");
  return out;
}

void check_round_trip(const RequestHead& head) {
  // An HTTP/1.0 request may lack Host; it is forwarded as HTTP/1.1, which needs one.
  if (!head.headers.has("host")) return;
  std::vector<char> wire(16 * 1024);
  std::size_t size = h1::write_request_head(head, wire);
  if (size == 0) return;  // only when the head grew past the buffer
  h1::RequestParser parser(h1::ParserLimits{
      .max_request_line = 1 << 20, .max_header_bytes = 1 << 20, .max_header_count = 1 << 20});
  RequestHead again;
  const std::string_view text(wire.data(), size);
  auto result = parser.parse(text, again);
  check(result.has_value(), "a serialized head parses");
  check(*result == size, "the whole serialized head is the head");
  check(again.method_token == head.method_token, "round trip keeps the method");
  check(again.path == head.path, "round trip keeps the path");
  check(again.framing == head.framing, "round trip keeps the framing");
  check(again.content_length == head.content_length, "round trip keeps the length");
  check(again.keep_alive == head.keep_alive || head.upgrade, "round trip keeps persistence");
  check(again.upgrade == head.upgrade, "round trip keeps upgrade");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t control = data[0];
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  const h1::ParserLimits limits = limits_for(control);
  const std::size_t step = static_cast<std::size_t>((control >> 1) % 16) + 1;

  RequestHead head;
  h1::RequestParser parser(limits);
  const auto whole = parser.parse(input, head);
  RequestHead stepped_head;
  const auto stepped = parse_in_steps(input, step, limits, stepped_head);

  check(whole.has_value() == stepped.has_value(), "verdict does not depend on the split");
  if (!whole) {
    check(same_error(whole.error(), stepped.error()), "same error however split");
    check(!whole.error().detail.empty(), "errors have a detail");
    return 0;
  }
  check(*whole == *stepped, "same head length however split");
  if (*whole == 0) return 0;

  check(*whole <= input.size(), "head length stays inside the input");
  check(inside(head.method_token, input) && inside(head.target, input), "views into the input");
  check(!head.target.empty(), "a target is never empty");
  check(head.headers.size() == stepped_head.headers.size(), "same fields however split");
  for (const HeaderField& field : head.headers) {
    check(inside(field.value, input), "field views");
  }

  const std::string_view rest = input.substr(*whole);
  const BodyResult body = decode_body(head, rest, rest.size() + 1, limits);
  const BodyResult body_in_steps = decode_body(head, rest, step, limits);
  check(body.error == body_in_steps.error, "body verdict does not depend on the split");
  check(body.data == body_in_steps.data, "same body however split");
  check(body.done == body_in_steps.done, "body ends at the same place however split");

  check_round_trip(head);
  return 0;
}
