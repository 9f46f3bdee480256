#include "proxy/access_log.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace bulwark::proxy {
namespace {

// nginx-style escaping for the combined format: quotes, backslashes and non-printables as \xHH.
void append_escaped(std::string& out, std::string_view text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\' || byte < 0x20 || byte >= 0x7F) {
      fmt::format_to(std::back_inserter(out), "\\x{:02X}", byte);
    } else {
      out.push_back(c);
    }
  }
}

void append_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (byte < 0x20 || byte == 0x7F) {
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", byte);
    } else {
      out.push_back(c);  // bytes >= 0x80 pass as they are; header values are opaque octets
    }
  }
  out.push_back('"');
}

double to_ms(core::Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

}  // namespace

AccessLogSink::~AccessLogSink() {
  if (owns_fd_ && fd_ >= 0) ::close(fd_);
}

bool AccessLogSink::open(const std::string& path, std::string& error) {
  path_ = path;
  if (path == "-") {
    fd_ = STDOUT_FILENO;
    owns_fd_ = false;
    return true;
  }
  return reopen(error);
}

bool AccessLogSink::reopen(std::string& error) {
  if (path_ == "-") return true;
  const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = fmt::format("cannot open access log '{}': {}", path_, std::strerror(errno));
    return false;
  }
  const std::lock_guard lock(mutex_);
  if (owns_fd_ && fd_ >= 0) ::close(fd_);
  fd_ = fd;
  owns_fd_ = true;
  return true;
}

void AccessLogSink::write(std::string_view bytes) {
  const std::lock_guard lock(mutex_);
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // a full disk must not stop the proxy; the lines are dropped
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

AccessLogWriter::AccessLogWriter(AccessLogSink* sink, config::AccessLogFormat format)
    : sink_(sink), format_(format), last_flush_(core::Clock::now()) {
  if (sink_ != nullptr) buffer_.reserve(kFlushBytes + 4096);
}

void AccessLogWriter::refresh_time() {
  const std::time_t now = std::time(nullptr);
  if (now == cached_second_) return;
  cached_second_ = now;
  std::tm local{};
  localtime_r(&now, &local);
  char text[64];
  std::strftime(text, sizeof text, "%d/%b/%Y:%H:%M:%S %z", &local);
  combined_time_ = text;
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S%z", &local);
  iso_time_ = text;
  // RFC 3339 wants the offset as +hh:mm; strftime's %z writes +hhmm.
  iso_time_.insert(iso_time_.size() - 2, 1, ':');
}

void AccessLogWriter::log(const AccessRecord& record) {
  if (sink_ == nullptr) return;
  refresh_time();
  if (format_ == config::AccessLogFormat::kJson) {
    append_json(record);
  } else {
    append_combined(record);
  }
  if (buffer_.size() >= kFlushBytes) flush();
}

void AccessLogWriter::append_combined(const AccessRecord& r) {
  auto out = std::back_inserter(buffer_);
  fmt::format_to(out, "{} - - [{}] \"", r.remote_addr, combined_time_);
  append_escaped(buffer_, r.method);
  buffer_.push_back(' ');
  append_escaped(buffer_, r.target);
  fmt::format_to(out, " {}\" {} {} \"", r.protocol, r.status, r.bytes_sent);
  append_escaped(buffer_, r.referer.empty() ? "-" : r.referer);
  buffer_ += "\" \"";
  append_escaped(buffer_, r.user_agent.empty() ? "-" : r.user_agent);
  buffer_ += "\" \"";
  append_escaped(buffer_, r.request_id.empty() ? "-" : r.request_id);
  buffer_ += "\"\n";
}

void AccessLogWriter::append_json(const AccessRecord& r) {
  auto out = std::back_inserter(buffer_);
  const auto field = [this](std::string_view name, std::string_view value) {
    buffer_ += ",\"";
    buffer_ += name;
    buffer_ += "\":";
    append_json_string(buffer_, value);
  };
  buffer_ += "{\"time\":";
  append_json_string(buffer_, iso_time_);
  field("remote_addr", r.remote_addr);
  field("method", r.method);
  field("path", r.target);
  fmt::format_to(out, ",\"protocol\":\"{}\",\"status\":{},\"bytes_sent\":{}", r.protocol, r.status,
                 r.bytes_sent);
  fmt::format_to(out, ",\"duration_ms\":{:.3f}", to_ms(r.duration));
  field("request_id", r.request_id);
  field("host", r.host);
  field("listener", r.listener);
  field("upstream_addr", r.upstream_addr);
  if (r.upstream_status != 0) {
    fmt::format_to(out, ",\"upstream_status\":{}", r.upstream_status);
  } else {
    buffer_ += ",\"upstream_status\":null";
  }
  fmt::format_to(out, ",\"upstream_ms\":{:.3f}", to_ms(r.upstream_time));
  field("user_agent", r.user_agent);
  field("referer", r.referer);
  if (!r.failure.empty()) field("failure", r.failure);
  buffer_ += "}\n";
}

void AccessLogWriter::flush() {
  last_flush_ = core::Clock::now();
  if (sink_ == nullptr || buffer_.empty()) return;
  sink_->write(buffer_);
  buffer_.clear();
}

void AccessLogWriter::flush_if_due(core::Clock::time_point now) {
  if (now - last_flush_ >= kFlushInterval) flush();
}

}  // namespace bulwark::proxy
