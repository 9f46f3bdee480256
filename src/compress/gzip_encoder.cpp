#include "compress/gzip_encoder.h"

#include "compress/output_space.h"

namespace bulwark::compress {
namespace {

constexpr int kGzipWindowBits = 15 + 16;  // 32 KiB window, gzip wrapper
constexpr int kMemoryLevel = 8;           // zlib's default: 128 KiB of hash state

}  // namespace

GzipEncoder::~GzipEncoder() {
  if (initialized_) deflateEnd(&stream_);
}

bool GzipEncoder::init(int level) noexcept {
  initialized_ = deflateInit2(&stream_, level, Z_DEFLATED, kGzipWindowBits, kMemoryLevel,
                              Z_DEFAULT_STRATEGY) == Z_OK;
  return initialized_;
}

core::Result<void> GzipEncoder::encode(std::string_view input, std::string& out) {
  return run(input, Z_SYNC_FLUSH, out);
}

core::Result<void> GzipEncoder::finish(std::string& out) {
  return run({}, Z_FINISH, out);
}

core::Result<void> GzipEncoder::run(std::string_view input, int flush, std::string& out) {
  // zlib's interface is not const-correct; it never writes through next_in.
  stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  stream_.avail_in = static_cast<uInt>(input.size());
  for (;;) {
    OutputSpace space(out, room_for(stream_.avail_in));
    stream_.next_out = reinterpret_cast<Bytef*>(space.data());
    stream_.avail_out = static_cast<uInt>(space.size());
    const int status = deflate(&stream_, flush);
    space.set_left(stream_.avail_out);
    if (status == Z_STREAM_END) return {};
    if (status != Z_OK && status != Z_BUF_ERROR) {
      return core::fail(core::ErrorKind::kInternal, "gzip compression failed");
    }
    // Room left over means deflate has written everything the flush asked for.
    if (stream_.avail_out != 0 && flush != Z_FINISH) return {};
  }
}

}  // namespace bulwark::compress
