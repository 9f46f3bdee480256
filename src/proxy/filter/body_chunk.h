#pragma once
#include <cstddef>
#include <string_view>

namespace bulwark::proxy {

// The most runs a relay hands the filters before it writes them, the end of the body included.
// A filter that replaces runs with bytes of its own keeps that many replacements alive (a ring
// of that many buffers is enough): after the write, none of them is looked at again.
inline constexpr std::size_t kMaxRunsPerWrite = 4;

// A run of body bytes on its way through the filter chain. A filter may read it; a transforming
// filter replaces the bytes with ones it owns (for example in the stream's arena) that stay valid
// until the chunk has been written.
class BodyChunk {
 public:
  explicit BodyChunk(std::string_view data) noexcept : data_(data) {}
  [[nodiscard]] std::string_view data() const noexcept { return data_; }
  void replace(std::string_view bytes) noexcept { data_ = bytes; }

 private:
  std::string_view data_;
};

}  // namespace bulwark::proxy
