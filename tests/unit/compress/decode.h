#pragma once
// Decoders for the codec tests: the libraries' own, so a test checks the encoders against the
// reference implementation rather than against themselves. Empty optional: the input does not
// decode (corrupt or truncated).

#include <brotli/decode.h>
#include <zlib.h>
#include <zstd.h>

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "compress/content_coding.h"

namespace bulwark::compress::testing {

// `complete`: the stream must end (trailer, checksum); otherwise what decodes so far.
inline std::optional<std::string> gunzip(std::string_view in, bool complete) {
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 16) != Z_OK) return std::nullopt;
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  stream.avail_in = static_cast<uInt>(in.size());
  std::string out;
  std::array<char, 16384> buffer{};
  int status = Z_OK;
  while (status == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer.data());
    stream.avail_out = buffer.size();
    status = inflate(&stream, Z_SYNC_FLUSH);
    out.append(buffer.data(), buffer.size() - stream.avail_out);
    if (status == Z_OK && stream.avail_in == 0 && stream.avail_out != 0) break;
  }
  inflateEnd(&stream);
  const bool ok = complete ? status == Z_STREAM_END && stream.avail_in == 0
                           : status == Z_OK || status == Z_BUF_ERROR;
  return ok ? std::optional<std::string>(out) : std::nullopt;
}

inline std::optional<std::string> unbrotli(std::string_view in, bool complete) {
  BrotliDecoderState* state = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
  const auto* next_in = reinterpret_cast<const std::uint8_t*>(in.data());
  std::size_t available_in = in.size();
  std::string out;
  std::array<std::uint8_t, 16384> buffer{};
  BrotliDecoderResult result = BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT;
  while (result == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT) {
    std::uint8_t* next_out = buffer.data();
    std::size_t available_out = buffer.size();
    result = BrotliDecoderDecompressStream(state, &available_in, &next_in, &available_out,
                                           &next_out, nullptr);
    out.append(reinterpret_cast<const char*>(buffer.data()), buffer.size() - available_out);
  }
  BrotliDecoderDestroyInstance(state);
  const bool ok = complete ? result == BROTLI_DECODER_RESULT_SUCCESS && available_in == 0
                           : result == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT;
  return ok ? std::optional<std::string>(out) : std::nullopt;
}

inline std::optional<std::string> unzstd(std::string_view in, bool complete) {
  ZSTD_DCtx* context = ZSTD_createDCtx();
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  std::string out;
  std::array<char, 16384> buffer{};
  std::size_t hint = 1;
  bool failed = false;
  while (input.pos < input.size || hint != 0) {
    ZSTD_outBuffer output{buffer.data(), buffer.size(), 0};
    hint = ZSTD_decompressStream(context, &output, &input);
    if (ZSTD_isError(hint) != 0) {
      failed = true;
      break;
    }
    out.append(buffer.data(), output.pos);
    if (input.pos == input.size && output.pos < output.size) break;
  }
  ZSTD_freeDCtx(context);
  if (failed || (complete && hint != 0)) return std::nullopt;
  return out;
}

inline std::optional<std::string> decode(Coding coding, std::string_view in, bool complete) {
  switch (coding) {
    case Coding::kGzip:
      return gunzip(in, complete);
    case Coding::kBrotli:
      return unbrotli(in, complete);
    case Coding::kZstd:
      return unzstd(in, complete);
    case Coding::kIdentity:
      break;
  }
  return std::string(in);
}

}  // namespace bulwark::compress::testing
