#pragma once
// Memory for body runs a filter rewrites, bounded however long the stream. The relay hands the
// filters the runs decoded from one read, writes them in one gathered write, and only reads
// again after that write: a rewritten run must stay valid until then, and no longer. The ring
// reuses its memory in order, so a run is overwritten only after more bytes than one write can
// hold were taken after it.

#include <cstddef>

#include "core/arena.h"

namespace bulwark::filters::grpc_web {

class RunRing {
 public:
  // `per_write`: the most bytes the runs of one write can take (rewritten runs from one buffer).
  explicit RunRing(std::size_t per_write) noexcept : per_write_(per_write) {}

  // Room for up to `size` bytes, contiguous; commit() says how many were used. The memory comes
  // from `arena` at the first call (the stream's: it is freed when the stream ends).
  [[nodiscard]] char* reserve(std::size_t size, core::Arena& arena);
  void commit(std::size_t used) noexcept { head_ += used; }

 private:
  std::size_t per_write_;
  char* memory_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t head_ = 0;
};

}  // namespace bulwark::filters::grpc_web
