#pragma once
// Room at the end of a string for a codec to write into, given back once it has written.

#include <cstddef>
#include <string>

namespace bulwark::compress {

class OutputSpace {
 public:
  // Makes room for at least `want` more bytes after what `out` holds.
  OutputSpace(std::string& out, std::size_t want) : out_(out), used_(out.size()), left_(want) {
    out_.resize(used_ + want);
  }
  OutputSpace(const OutputSpace&) = delete;
  OutputSpace& operator=(const OutputSpace&) = delete;
  // Keeps what the codec wrote (`left` bytes of the room stayed free).
  ~OutputSpace() { out_.resize(out_.size() - left_); }

  [[nodiscard]] char* data() noexcept { return out_.data() + used_; }
  [[nodiscard]] std::size_t size() const noexcept { return out_.size() - used_; }
  void set_left(std::size_t left) noexcept { left_ = left; }

 private:
  std::string& out_;
  std::size_t used_;
  std::size_t left_;  // of the room, what the codec left free
};

// How much room to offer a codec for `input` bytes: about what it needs, at least a page.
[[nodiscard]] inline std::size_t room_for(std::size_t input) noexcept {
  constexpr std::size_t kMinimum = 4096;
  return input / 2 + kMinimum;
}

}  // namespace bulwark::compress
