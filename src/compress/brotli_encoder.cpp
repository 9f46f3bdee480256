#include "compress/brotli_encoder.h"

#include "compress/output_space.h"

namespace bulwark::compress {
namespace {

// A 512 KiB window (brotli's default is 4 MiB), per stream: as nginx's brotli module chooses.
// Larger windows gain little on web pages and cost memory on every concurrent response.
constexpr std::uint32_t kWindowBits = 19;

}  // namespace

BrotliEncoder::~BrotliEncoder() {
  if (state_ != nullptr) BrotliEncoderDestroyInstance(state_);
}

bool BrotliEncoder::init(int level) noexcept {
  state_ = BrotliEncoderCreateInstance(nullptr, nullptr, nullptr);
  if (state_ == nullptr) return false;
  return BrotliEncoderSetParameter(state_, BROTLI_PARAM_QUALITY,
                                   static_cast<std::uint32_t>(level)) != BROTLI_FALSE &&
         BrotliEncoderSetParameter(state_, BROTLI_PARAM_LGWIN, kWindowBits) != BROTLI_FALSE;
}

core::Result<void> BrotliEncoder::encode(std::string_view input, std::string& out) {
  return run(input, BROTLI_OPERATION_FLUSH, out);
}

core::Result<void> BrotliEncoder::finish(std::string& out) {
  return run({}, BROTLI_OPERATION_FINISH, out);
}

core::Result<void> BrotliEncoder::run(std::string_view input, BrotliEncoderOperation operation,
                                      std::string& out) {
  const auto* next_in = reinterpret_cast<const std::uint8_t*>(input.data());
  std::size_t available_in = input.size();
  for (;;) {
    OutputSpace space(out, room_for(available_in));
    auto* next_out = reinterpret_cast<std::uint8_t*>(space.data());
    std::size_t available_out = space.size();
    const BROTLI_BOOL ok = BrotliEncoderCompressStream(state_, operation, &available_in, &next_in,
                                                       &available_out, &next_out, nullptr);
    space.set_left(available_out);
    if (ok == BROTLI_FALSE) {
      return core::fail(core::ErrorKind::kInternal, "brotli compression failed");
    }
    const bool done = operation == BROTLI_OPERATION_FINISH
                          ? BrotliEncoderIsFinished(state_) != BROTLI_FALSE
                          : available_in == 0 && BrotliEncoderHasMoreOutput(state_) == BROTLI_FALSE;
    if (done) return {};
  }
}

}  // namespace bulwark::compress
