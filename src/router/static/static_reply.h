#pragma once
// What the static file server decided to answer: status, header fields and the body as pieces,
// each either text (multipart boundaries) or a segment of the open file, which the reply owns.
// The data path writes the head, then the pieces in order (sendfile for the segments).

#include <cstdint>
#include <memory_resource>
#include <string>
#include <string_view>
#include <variant>

#include "router/static/file_handle.h"

namespace bulwark::router {

struct FileSegment {
  int fd = -1;  // the reply's file
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

using BodyPiece = std::variant<std::pmr::string, FileSegment>;

struct ReplyHeader {
  std::string_view name;  // lower case, static text
  std::pmr::string value;
};

class StaticReply {
 public:
  explicit StaticReply(std::pmr::memory_resource* memory = std::pmr::get_default_resource())
      : headers(memory), body(memory) {}

  std::uint16_t status = 500;
  // Why, for a status of 400 and above: the error page and the access log show it.
  std::string_view detail;
  // Content-Type, ETag, Location, Allow...; not Content-Length, which the framing writes.
  std::pmr::vector<ReplyHeader> headers;
  // The body's length, also for a HEAD request (which gets no pieces) and 0 for the statuses that
  // the data path answers with its own (error) page: 3xx other than 304 and 4xx/5xx.
  std::uint64_t content_length = 0;
  std::pmr::vector<BodyPiece> body;
  FileHandle file;  // what the segments read; closed with the reply

  void add_header(std::string_view name, std::string_view value) {
    headers.push_back({name, std::pmr::string(value, headers.get_allocator())});
  }
  // The value of header `name`, or empty.
  [[nodiscard]] std::string_view header(std::string_view name) const noexcept {
    for (const ReplyHeader& field : headers) {
      if (field.name == name) return field.value;
    }
    return {};
  }
};

}  // namespace bulwark::router
