#include "compress/zstd_encoder.h"

#include "compress/output_space.h"

namespace bulwark::compress {
namespace {

// A 512 KiB window, as for brotli: level 3 would take 2 MiB (3.5 MiB of state in all), which
// every concurrent response pays, for little gain on web pages.
constexpr int kWindowLog = 19;

}  // namespace

ZstdEncoder::~ZstdEncoder() {
  ZSTD_freeCCtx(context_);
}

bool ZstdEncoder::init(int level) noexcept {
  context_ = ZSTD_createCCtx();
  if (context_ == nullptr) return false;
  // A checksum lets the client tell a truncated or corrupted body from a whole one.
  return ZSTD_isError(ZSTD_CCtx_setParameter(context_, ZSTD_c_compressionLevel, level)) == 0 &&
         ZSTD_isError(ZSTD_CCtx_setParameter(context_, ZSTD_c_windowLog, kWindowLog)) == 0 &&
         ZSTD_isError(ZSTD_CCtx_setParameter(context_, ZSTD_c_checksumFlag, 1)) == 0;
}

core::Result<void> ZstdEncoder::encode(std::string_view input, std::string& out) {
  return run(input, ZSTD_e_flush, out);
}

core::Result<void> ZstdEncoder::finish(std::string& out) {
  return run({}, ZSTD_e_end, out);
}

core::Result<void> ZstdEncoder::run(std::string_view input, ZSTD_EndDirective directive,
                                    std::string& out) {
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  for (;;) {
    OutputSpace space(out, room_for(in.size - in.pos));
    ZSTD_outBuffer output{space.data(), space.size(), 0};
    // With e_flush or e_end, 0 means the whole input is consumed and flushed.
    const std::size_t remaining = ZSTD_compressStream2(context_, &output, &in, directive);
    space.set_left(output.size - output.pos);
    if (ZSTD_isError(remaining) != 0) {
      return core::fail(core::ErrorKind::kInternal, "zstd compression failed");
    }
    if (remaining == 0) return {};
  }
}

}  // namespace bulwark::compress
