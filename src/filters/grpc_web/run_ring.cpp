#include "filters/grpc_web/run_ring.h"

#include <algorithm>

namespace bulwark::filters::grpc_web {

char* RunRing::reserve(std::size_t size, core::Arena& arena) {
  // The live runs of the current write (at most per_write_ bytes), the tail left unused when the
  // ring wraps and the new room (each at most `size` or per_write_) never overlap in this much.
  const std::size_t needed = 3 * std::max(per_write_, size);
  if (capacity_ < needed) {
    // Runs handed out from the old memory stay valid: the arena keeps it until the stream ends.
    // A run larger than a whole write is only possible from a relay with larger buffers.
    per_write_ = std::max(per_write_, size);
    capacity_ = needed;
    memory_ = static_cast<char*>(arena.allocate(capacity_, 1));
    head_ = 0;
  }
  if (capacity_ - head_ < size) head_ = 0;
  return memory_ + head_;
}

}  // namespace bulwark::filters::grpc_web
