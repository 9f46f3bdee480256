// libFuzzer target for the gRPC-Web codec (src/filters/grpc_web/grpc_web_codec.h): the streamed
// base64 decoder that reads -text request bodies from clients, and the trailer frame and base64
// encoder that write responses. Besides memory and UB errors (ASan, UBSan) it checks that:
//  - decoding never writes more than max_output() promises,
//  - the result does not depend on how the text is split into runs (first byte: the run size),
//  - accepted text is exactly what encoding some bytes run by run gives (it re-encodes the same),
//  - encoding then decoding any bytes gives them back,
//  - a trailer frame's length field matches its payload, which is CRLF-terminated lines of
//    "name: value" with lower-case names, one per field that can be carried.
//
// Input: byte 0 the run size; the rest is the -text body, and also bytes to encode and trailer
// fields ("name\0value" per line).

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "filters/grpc_web/grpc_web_codec.h"
#include "fuzz_check.h"

namespace {

using bulwark::fuzz::check;
using namespace bulwark::filters::grpc_web;

std::optional<std::string> decode(std::string_view text, std::size_t run) {
  Base64Decoder decoder;
  std::string out;
  std::string room;
  for (std::size_t at = 0; at < text.size(); at += run) {
    const std::string_view piece = text.substr(at, run);
    const std::size_t limit = Base64Decoder::max_output(piece.size());
    // A guard byte after the promised room: decode must not touch it.
    room.assign(limit + 1, '\x5a');
    const std::optional<std::size_t> size = decoder.decode(piece, room.data());
    if (!size) return std::nullopt;
    check(*size <= limit && room[limit] == '\x5a', "decode stays within max_output");
    out.append(room.data(), *size);
  }
  if (!decoder.at_boundary()) return std::nullopt;
  return out;
}

std::string encode(std::string_view bytes) {
  std::string out(base64_size(bytes.size()) + 1, '\x5a');
  check(base64_encode(bytes, out.data()) == out.size() - 1, "encode writes base64_size");
  check(out.back() == '\x5a', "encode stays within base64_size");
  out.pop_back();
  return out;
}

void check_text(std::string_view text, std::size_t run) {
  const std::optional<std::string> whole = decode(text, text.size() + 1);
  check(decode(text, run) == whole, "the split does not change the result");
  check(decode(text, 1) == whole, "byte by byte gives the same");
  if (!whole) return;
  // Accepted text re-encodes to itself, quantum by quantum (each quantum decoded on its own).
  std::string again;
  for (std::size_t at = 0; at < text.size(); at += 4) {
    const std::optional<std::string> quantum = decode(text.substr(at, 4), 4);
    check(quantum.has_value(), "every quantum of accepted text decodes");
    again += encode(*quantum);
  }
  check(again == text, "accepted text is canonical base64");
}

void check_frame(std::string_view input) {
  bulwark::http::HeaderMap trailers;
  std::vector<std::string> lines;
  for (std::size_t start = 0; start < input.size();) {
    const std::size_t end = std::min(input.find('\n', start), input.size());
    const std::string_view line = input.substr(start, end - start);
    const std::size_t nul = line.find('\0');
    trailers.add(line.substr(0, nul), nul == std::string_view::npos ? "" : line.substr(nul + 1));
    start = end + 1;
  }
  std::string out(trailer_frame_size(trailers) + 1, '\x5a');
  check(write_trailer_frame(trailers, out.data()) == out.size() - 1, "frame size as announced");
  check(out.back() == '\x5a', "the frame stays within its size");
  out.pop_back();
  check(static_cast<unsigned char>(out[0]) == kTrailerFlag, "the trailer flag");
  const std::string_view payload = std::string_view(out).substr(kFrameHeaderSize);
  const auto byte = [&](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(out[i]));
  };
  check((byte(1) << 24 | byte(2) << 16 | byte(3) << 8 | byte(4)) == payload.size(),
        "the length field is the payload's");
  for (std::size_t start = 0; start < payload.size();) {
    const std::size_t end = payload.find("\r\n", start);
    check(end != std::string_view::npos, "every line ends with CRLF");
    const std::string_view line = payload.substr(start, end - start);
    const std::size_t colon = line.find(": ");
    check(colon != std::string_view::npos && colon > 0, "name: value");
    const std::string_view name = line.substr(0, colon);
    check(std::ranges::none_of(name, [](char c) { return c >= 'A' && c <= 'Z'; }),
          "lower-case names");
    check(name.find(':') == std::string_view::npos, "no colon in a name");
    check(line.find('\r') == std::string_view::npos && line.find('\n') == std::string_view::npos,
          "no line break inside a line");
    start = end + 2;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t run = 1 + data[0] % 16;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  check_text(input, run);
  // Bytes encoded run by run (padding inside) decode back in any split.
  std::string text;
  for (std::size_t at = 0; at < input.size(); at += run * 2)
    text += encode(input.substr(at, run * 2));
  check(decode(text, run) == std::string(input), "encode then decode gives the bytes back");
  check_frame(input);
  return 0;
}
