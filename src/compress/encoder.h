#pragma once
// A streaming compressor: runs of a body go in as they arrive and compressed runs come out, each
// decodable up to everything fed so far, so that a slow backend's bytes reach the client without
// waiting for the end. Memory is the codec's window and state, never the body.

#include <memory>
#include <string>
#include <string_view>

#include "compress/content_coding.h"
#include "core/error.h"

namespace bulwark::compress {

// Levels each coding takes; configuration checks against these.
struct LevelRange {
  int min = 0;
  int max = 0;
  int fallback = 0;  // the default
};
[[nodiscard]] LevelRange level_range(Coding coding) noexcept;

class Encoder {
 public:
  Encoder() = default;
  Encoder(const Encoder&) = delete;
  Encoder& operator=(const Encoder&) = delete;
  virtual ~Encoder() = default;

  // Compresses `input` and flushes, appending to `out`: what `out` holds then decodes to all input
  // so far (a sync flush: gzip's Z_SYNC_FLUSH, brotli's FLUSH, zstd's ZSTD_e_flush).
  virtual core::Result<void> encode(std::string_view input, std::string& out) = 0;
  // Ends the stream (trailer, checksum), appending to `out`. Nothing may be encoded after.
  virtual core::Result<void> finish(std::string& out) = 0;
};

// An encoder for `coding` (not kIdentity) at `level` (within level_range). nullptr when the
// library cannot allocate its state.
[[nodiscard]] std::unique_ptr<Encoder> make_encoder(Coding coding, int level);

}  // namespace bulwark::compress
