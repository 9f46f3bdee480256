#pragma once
// What an HTTP/2 session advertises and enforces. The http module sits to the right of config
// (DESIGN.md §3), so the proxy fills this from config::Http2Settings and config::Limits.

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace bulwark::http::h2 {

struct SessionSettings {
  std::uint32_t max_concurrent_streams = 128;
  std::uint32_t initial_stream_window = 1U << 16;  // SETTINGS_INITIAL_WINDOW_SIZE we advertise
  std::uint32_t connection_window = 1U << 20;      // our receive window for the whole connection
  std::uint32_t max_frame_size = 1U << 14;         // largest DATA frame we send
  // Decoded header section (pseudo-headers included, each field counted as name + value + 4,
  // as the HTTP/1.1 parser counts ": " and CRLF) and field count; more is refused with 431.
  std::size_t max_header_bytes = std::size_t{32} * 1024;
  std::size_t max_header_count = 100;
  // Flood limits per second; over them the connection ends with GOAWAY(ENHANCE_YOUR_CALM).
  std::uint32_t max_resets_per_second = 200;
  std::uint32_t max_control_frames_per_second = 1000;
  std::chrono::milliseconds stall_timeout{30'000};
  // A stream's queued outbound body at or above this is "full"; on_window_open tells the owner
  // when it fell below again.
  std::size_t send_low_water = std::size_t{64} * 1024;
};

}  // namespace bulwark::http::h2
