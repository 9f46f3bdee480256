// libFuzzer target for the FastCGI response side: ResponseReader over the records a backend
// sends, then CgiHeadParser over the STDOUT they carry. Besides memory and UB errors it checks
// that the verdict, the STDOUT bytes and the head do not depend on how the bytes are split, that
// runs are views into the input, that STDERR stays within its bound, and that END_REQUEST ends
// the reading.
//
// Input layout: byte 0 picks the step size, the limits and whether the request was HEAD; the rest
// is what the backend sent.

#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "http/fastcgi/cgi_head_parser.h"
#include "http/fastcgi/response_reader.h"

namespace {

using bulwark::fuzz::check;
using bulwark::fuzz::inside;
using namespace bulwark;
using namespace bulwark::http;

constexpr std::size_t kMaxStderr = 64;

struct Outcome {
  bool ok = true;
  std::string_view error;
  std::string stdout_bytes;
  bool done = false;
  std::size_t left = 0;
};

// Reads `input` as a socket would deliver it, `step` bytes at a time (0: all at once).
Outcome read_in_steps(std::string_view input, std::size_t step, fastcgi::ResponseReader& reader) {
  Outcome out;
  std::size_t start = 0;  // first unconsumed byte
  std::size_t end = step == 0 ? input.size() : std::min(step, input.size());
  while (!reader.done()) {
    const std::string_view buffered = input.substr(start, end - start);
    auto r = reader.read(buffered);
    if (!r) {
      out.ok = false;
      out.error = r.error().detail;
      check(r.error().kind == core::ErrorKind::kUpstreamProtocol, "backend errors are upstream");
      return out;
    }
    check(r->consumed <= buffered.size(), "consumed stays inside the input");
    check(inside(r->data, buffered.substr(0, r->consumed)), "runs are consumed views");
    out.stdout_bytes.append(r->data);
    start += r->consumed;
    if (r->consumed == 0 && r->data.empty()) {
      if (end == input.size()) break;
      end = std::min(end + (step == 0 ? input.size() : step), input.size());
    }
  }
  out.done = reader.done();
  out.left = input.size() - start;
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t control = data[0];
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::size_t step = static_cast<std::size_t>(control % 32) + 1;
  const bool request_was_head = (control & 0x40U) != 0;
  const h1::ParserLimits limits =
      (control & 0x80U) != 0
          ? h1::ParserLimits{.max_request_line = 40, .max_header_bytes = 160, .max_header_count = 6}
          : h1::ParserLimits{};

  fastcgi::ResponseReader whole_reader(kMaxStderr);
  const Outcome whole = read_in_steps(input, 0, whole_reader);
  fastcgi::ResponseReader stepped_reader(kMaxStderr);
  const Outcome stepped = read_in_steps(input, step, stepped_reader);

  check(whole.ok == stepped.ok, "verdict does not depend on the split");
  check(whole.error == stepped.error, "same error however split");
  check(whole.stdout_bytes == stepped.stdout_bytes, "same STDOUT however split");
  check(whole.done == stepped.done && whole.left == stepped.left, "same end however split");
  check(whole_reader.stderr_text() == stepped_reader.stderr_text(), "same STDERR however split");
  check(whole_reader.stderr_text().size() <= kMaxStderr, "STDERR stays bounded");
  check(whole_reader.stdout_bytes() == whole.stdout_bytes.size(), "STDOUT is counted");

  const std::string_view out = whole.stdout_bytes;
  ResponseHead head;
  fastcgi::CgiHeadParser whole_parser(limits);
  const auto parsed = whole_parser.parse(out, head, request_was_head);
  fastcgi::CgiHeadParser stepped_parser(limits);
  ResponseHead stepped_head;
  core::Result<std::size_t> stepped_parsed = 0;
  for (std::size_t n = std::min(step, out.size());; n = std::min(n + step, out.size())) {
    stepped_parsed = stepped_parser.parse(out.substr(0, n), stepped_head, request_was_head);
    if (!stepped_parsed || *stepped_parsed != 0 || n == out.size()) break;
  }
  check(parsed.has_value() == stepped_parsed.has_value(), "head verdict does not depend on split");
  if (!parsed) {
    check(parsed.error().kind == core::ErrorKind::kUpstreamProtocol, "head errors are upstream");
    check(parsed.error().detail == stepped_parsed.error().detail, "same head error however split");
    return 0;
  }
  check(*parsed == *stepped_parsed, "same head length however split");
  if (*parsed == 0) return 0;
  check(*parsed <= out.size(), "head length stays inside STDOUT");
  check(head.status >= 200 && head.status <= 999, "final three-digit status");
  check(head.status == stepped_head.status, "same status however split");
  check(head.headers.size() == stepped_head.headers.size(), "same fields however split");
  check(inside(head.reason, out), "reason points into STDOUT");
  for (const HeaderField& field : head.headers) {
    check(inside(field.name, out.substr(0, *parsed)) && inside(field.value, out),
          "field views point into the head");
    check(!iequals(field.name, "status") && !iequals(field.name, "transfer-encoding"),
          "CGI-only and connection fields are removed");
  }
  check(head.framing != BodyFraming::kChunked, "CGI bodies are never chunked");
  return 0;
}
