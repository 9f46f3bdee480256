#pragma once
#include <string_view>

namespace bulwark::proxy {

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
