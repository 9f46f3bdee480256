#pragma once
// Reads what a FastCGI responder sends for one request (request id 1): STDOUT records, whose
// content it returns as runs of bytes (views into the caller's buffer, as h1::BodyDecoder does),
// STDERR records, whose text it keeps up to a bound for the log, and the END_REQUEST record that
// ends the request. Strict: a wrong version, request id or record type, STDOUT after the empty
// STDOUT record that closed it, a malformed END_REQUEST or a protocol status other than
// FCGI_REQUEST_COMPLETE is an error (kUpstreamProtocol), never skipped.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "core/error.h"
#include "http/fastcgi/record.h"

namespace bulwark::http::fastcgi {

class ResponseReader {
 public:
  static constexpr std::size_t kDefaultMaxStderr = 4096;

  explicit ResponseReader(std::size_t max_stderr = kDefaultMaxStderr) : max_stderr_(max_stderr) {}

  // Before the next request on the connection.
  void reset() noexcept;

  struct Step {
    std::size_t consumed;   // bytes of `in` the caller removes
    std::string_view data;  // STDOUT content inside those bytes (a view into `in`)
  };
  // Consumes records from `in` up to and including the next run of STDOUT content (at most
  // `max_data` bytes of it) or the END_REQUEST record. consumed == 0 with empty data: a record
  // header or END_REQUEST body is incomplete, the caller appends bytes and calls again. Bytes
  // after END_REQUEST are not consumed.
  core::Result<Step> read(std::string_view in,
                          std::size_t max_data = std::numeric_limits<std::size_t>::max());

  // END_REQUEST arrived (with FCGI_REQUEST_COMPLETE).
  [[nodiscard]] bool done() const noexcept { return state_ == State::kDone; }
  [[nodiscard]] std::uint32_t app_status() const noexcept { return app_status_; }
  // STDOUT content bytes returned so far.
  [[nodiscard]] std::uint64_t stdout_bytes() const noexcept { return stdout_bytes_; }
  // What the application wrote to STDERR, the first max_stderr bytes of it.
  [[nodiscard]] std::string_view stderr_text() const noexcept { return stderr_; }
  [[nodiscard]] bool stderr_truncated() const noexcept { return stderr_truncated_; }

 private:
  enum class State : std::uint8_t {
    kHeader,      // at a record header
    kStdout,      // inside a STDOUT record's content: remaining_ bytes
    kStderr,      // inside a STDERR record's content: remaining_ bytes
    kPadding,     // remaining_ padding bytes
    kEndRequest,  // at END_REQUEST's 8-byte body
    kDone,
  };

  core::Result<void> start_record(const RecordHeader& header);
  core::Result<void> end_request(std::string_view body);
  void keep_stderr(std::string_view text);

  std::string stderr_;
  std::size_t max_stderr_;
  State state_ = State::kHeader;
  std::size_t remaining_ = 0;
  std::uint8_t padding_ = 0;  // of the record being read
  bool stdout_closed_ = false;
  bool stderr_truncated_ = false;
  std::uint32_t app_status_ = 0;
  std::uint64_t stdout_bytes_ = 0;
};

}  // namespace bulwark::http::fastcgi
