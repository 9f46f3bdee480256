#pragma once
// Zstandard (RFC 8878) through libzstd's streaming interface.

#include <zstd.h>

#include "compress/encoder.h"

namespace bulwark::compress {

class ZstdEncoder final : public Encoder {
 public:
  ZstdEncoder() = default;
  ~ZstdEncoder() override;
  // False when the library cannot allocate its state or refuses the level.
  bool init(int level) noexcept;

  core::Result<void> encode(std::string_view input, std::string& out) override;
  core::Result<void> finish(std::string& out) override;

 private:
  core::Result<void> run(std::string_view input, ZSTD_EndDirective directive, std::string& out);

  ZSTD_CCtx* context_ = nullptr;
};

}  // namespace bulwark::compress
