#include "compress/encoder.h"

#include "compress/brotli_encoder.h"
#include "compress/gzip_encoder.h"
#include "compress/zstd_encoder.h"

namespace bulwark::compress {
namespace {

template <class Codec>
std::unique_ptr<Encoder> make(int level) {
  auto encoder = std::make_unique<Codec>();
  if (!encoder->init(level)) return nullptr;
  return encoder;
}

}  // namespace

LevelRange level_range(Coding coding) noexcept {
  switch (coding) {
    case Coding::kGzip:
      return {.min = 1, .max = 9, .fallback = 6};
    // Higher levels cost too much per response for on-the-fly work: brotli's 10 and 11 take tens
    // of milliseconds per 100 KiB on the event loop, zstd's from 10 up take over 30 MiB of
    // state (13 MiB at 9, 2 MiB at 3, with the 512 KiB window ZstdEncoder sets).
    case Coding::kBrotli:
      return {.min = 0, .max = 9, .fallback = 5};
    case Coding::kZstd:
      return {.min = 1, .max = 9, .fallback = 3};
    case Coding::kIdentity:
      break;
  }
  return {};
}

std::unique_ptr<Encoder> make_encoder(Coding coding, int level) {
  switch (coding) {
    case Coding::kGzip:
      return make<GzipEncoder>(level);
    case Coding::kBrotli:
      return make<BrotliEncoder>(level);
    case Coding::kZstd:
      return make<ZstdEncoder>(level);
    case Coding::kIdentity:
      break;
  }
  return nullptr;
}

}  // namespace bulwark::compress
