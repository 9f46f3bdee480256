#pragma once
// Brotli (RFC 7932) through libbrotlienc's streaming interface.

#include <brotli/encode.h>

#include "compress/encoder.h"

namespace bulwark::compress {

class BrotliEncoder final : public Encoder {
 public:
  BrotliEncoder() = default;
  ~BrotliEncoder() override;
  // False when the library cannot allocate its state.
  bool init(int level) noexcept;

  core::Result<void> encode(std::string_view input, std::string& out) override;
  core::Result<void> finish(std::string& out) override;

 private:
  core::Result<void> run(std::string_view input, BrotliEncoderOperation operation,
                         std::string& out);

  BrotliEncoderState* state_ = nullptr;
};

}  // namespace bulwark::compress
