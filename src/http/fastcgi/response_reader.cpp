#include "http/fastcgi/response_reader.h"

#include <algorithm>

namespace bulwark::http::fastcgi {
namespace {

using core::ErrorKind;
using core::fail;

constexpr std::size_t kEndRequestBody = 8;

}  // namespace

void ResponseReader::reset() noexcept {
  stderr_.clear();
  state_ = State::kHeader;
  remaining_ = 0;
  padding_ = 0;
  stdout_closed_ = false;
  stderr_truncated_ = false;
  app_status_ = 0;
  stdout_bytes_ = 0;
}

core::Result<void> ResponseReader::start_record(const RecordHeader& header) {
  if (header.request_id != kRequestId) {
    return fail(ErrorKind::kUpstreamProtocol, "a FastCGI record has a wrong request id");
  }
  padding_ = header.padding_length;
  remaining_ = header.content_length;
  switch (header.type) {
    case RecordType::kStdout:
      if (stdout_closed_) {
        return fail(ErrorKind::kUpstreamProtocol, "FastCGI STDOUT continued after its end");
      }
      stdout_closed_ = header.content_length == 0;
      state_ = State::kStdout;
      return {};
    case RecordType::kStderr:
      state_ = State::kStderr;
      return {};
    case RecordType::kEndRequest:
      if (header.content_length != kEndRequestBody) {
        return fail(ErrorKind::kUpstreamProtocol, "a FastCGI END_REQUEST has a wrong length");
      }
      state_ = State::kEndRequest;
      return {};
    default:
      return fail(ErrorKind::kUpstreamProtocol, "an unexpected FastCGI record type");
  }
}

core::Result<void> ResponseReader::end_request(std::string_view body) {
  const auto at = [&](std::size_t i) { return static_cast<std::uint8_t>(body[i]); };
  app_status_ = (std::uint32_t{at(0)} << 24U) | (std::uint32_t{at(1)} << 16U) |
                (std::uint32_t{at(2)} << 8U) | at(3);
  switch (static_cast<ProtocolStatus>(at(4))) {
    case ProtocolStatus::kRequestComplete:
      return {};
    case ProtocolStatus::kCantMpxConn:
      return fail(ErrorKind::kUpstreamProtocol, "the FastCGI server cannot multiplex");
    case ProtocolStatus::kOverloaded:
      return fail(ErrorKind::kUpstreamProtocol, "the FastCGI server is overloaded");
    case ProtocolStatus::kUnknownRole:
      return fail(ErrorKind::kUpstreamProtocol, "the FastCGI server does not take the role");
  }
  return fail(ErrorKind::kUpstreamProtocol, "a FastCGI END_REQUEST has an unknown status");
}

void ResponseReader::keep_stderr(std::string_view text) {
  const std::size_t room = max_stderr_ - stderr_.size();
  if (text.size() > room) stderr_truncated_ = true;
  stderr_.append(text.substr(0, room));
}

core::Result<ResponseReader::Step> ResponseReader::read(std::string_view in, std::size_t max_data) {
  std::size_t pos = 0;
  for (;;) {
    const std::string_view rest = in.substr(pos);
    switch (state_) {
      case State::kDone:
        return Step{pos, {}};
      case State::kHeader: {
        if (rest.size() < kHeaderSize) return Step{pos, {}};
        auto header = decode_header(std::span<const char>(rest).first<kHeaderSize>());
        if (!header) return std::unexpected(header.error());
        if (auto started = start_record(*header); !started) {
          return std::unexpected(started.error());
        }
        pos += kHeaderSize;
        break;
      }
      case State::kStdout: {
        if (remaining_ == 0) {
          state_ = State::kPadding;
          remaining_ = padding_;
          break;
        }
        const std::size_t n = std::min({remaining_, rest.size(), max_data});
        if (n == 0) return Step{pos, {}};
        remaining_ -= n;
        stdout_bytes_ += n;
        return Step{pos + n, rest.substr(0, n)};
      }
      case State::kStderr: {
        const std::size_t n = std::min(remaining_, rest.size());
        keep_stderr(rest.substr(0, n));
        pos += n;
        remaining_ -= n;
        if (remaining_ != 0) return Step{pos, {}};
        state_ = State::kPadding;
        remaining_ = padding_;
        break;
      }
      case State::kPadding: {
        const std::size_t n = std::min(remaining_, rest.size());
        pos += n;
        remaining_ -= n;
        if (remaining_ != 0) return Step{pos, {}};
        state_ = State::kHeader;
        break;
      }
      case State::kEndRequest: {
        // END_REQUEST's padding belongs to it: taken with it, else it would look like bytes
        // after the response.
        if (rest.size() < kEndRequestBody + padding_) return Step{pos, {}};
        if (auto ended = end_request(rest.substr(0, kEndRequestBody)); !ended) {
          return std::unexpected(ended.error());
        }
        state_ = State::kDone;
        return Step{pos + kEndRequestBody + padding_, {}};
      }
    }
  }
}

}  // namespace bulwark::http::fastcgi
