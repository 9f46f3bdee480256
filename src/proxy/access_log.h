#pragma once
// Access log (combined or JSON lines). Each worker formats into its own buffer and writes it out
// when it is large or a second old, so the file sees one write per many requests and workers
// never contend per request. The file is shared and reopened on SIGUSR1 (log rotation).

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "config/config.h"
#include "core/timeout_list.h"

namespace bulwark::proxy {

// What one line says. Views stay valid only during AccessLogWriter::log().
struct AccessRecord {
  std::string_view remote_addr;
  std::string_view method;
  std::string_view target;
  std::string_view protocol = "HTTP/1.1";  // as the request line names it: HTTP/1.0, 1.1, 2.0
  std::uint16_t status = 0;
  std::uint64_t bytes_sent = 0;
  std::string_view referer;
  std::string_view user_agent;
  std::string_view host;
  std::string_view request_id;
  std::string_view listener;
  std::string_view upstream_addr;
  std::uint16_t upstream_status = 0;
  core::Clock::duration upstream_time{};
  core::Clock::duration duration{};
  std::string_view failure;
};

class AccessLogSink {
 public:
  AccessLogSink() = default;
  AccessLogSink(const AccessLogSink&) = delete;
  AccessLogSink& operator=(const AccessLogSink&) = delete;
  ~AccessLogSink();

  // "-" is standard output. False with `error` set when the file cannot be opened.
  bool open(const std::string& path, std::string& error);
  // Opens the path again (after the old file was renamed); keeps the old file on failure.
  bool reopen(std::string& error);
  void write(std::string_view bytes);

 private:
  std::mutex mutex_;  // taken per flush (many lines) and on reopen, never per request
  std::string path_;
  int fd_ = -1;
  bool owns_fd_ = false;
};

class AccessLogWriter {
 public:
  static constexpr std::size_t kFlushBytes = std::size_t{32} * 1024;
  static constexpr std::chrono::seconds kFlushInterval{1};

  AccessLogWriter(AccessLogSink* sink, config::AccessLogFormat format);
  AccessLogWriter(const AccessLogWriter&) = delete;
  AccessLogWriter& operator=(const AccessLogWriter&) = delete;
  ~AccessLogWriter() { flush(); }

  [[nodiscard]] bool enabled() const noexcept { return sink_ != nullptr; }
  void log(const AccessRecord& record);
  void flush();
  void flush_if_due(core::Clock::time_point now);

 private:
  void append_combined(const AccessRecord& record);
  void append_json(const AccessRecord& record);
  void refresh_time();

  AccessLogSink* sink_;
  config::AccessLogFormat format_;
  std::string buffer_;
  core::Clock::time_point last_flush_;
  // Formatting the wall clock per request is costly; it is cached per second.
  std::time_t cached_second_ = 0;
  std::string combined_time_;  // 10/Oct/2000:13:55:36 +0000
  std::string iso_time_;       // 2000-10-10T13:55:36+00:00
};

}  // namespace bulwark::proxy
