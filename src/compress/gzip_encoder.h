#pragma once
// gzip (RFC 1952) through zlib's deflate.

#include <zlib.h>

#include "compress/encoder.h"

namespace bulwark::compress {

class GzipEncoder final : public Encoder {
 public:
  GzipEncoder() = default;
  ~GzipEncoder() override;
  // False when zlib cannot allocate its state.
  bool init(int level) noexcept;

  core::Result<void> encode(std::string_view input, std::string& out) override;
  core::Result<void> finish(std::string& out) override;

 private:
  core::Result<void> run(std::string_view input, int flush, std::string& out);

  z_stream stream_{};
  bool initialized_ = false;
};

}  // namespace bulwark::compress
