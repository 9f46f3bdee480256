#include "proxy/body_relay.h"

#include <array>
#include <asio/write.hpp>
#include <span>
#include <string>

#include "core/io.h"
#include "http/h1/serializer.h"
#include "proxy/io.h"

namespace bulwark::proxy {
namespace {

// The pieces of one gathered write: heads, chunk framing and body runs, in order.
class GatherList {
 public:
  // Enough for the runs of one read of small chunks; more would push the coroutine frame past
  // Asio's 1 KiB recycling limit (a malloc per request).
  static constexpr std::size_t kMaxPieces = 16;
  static constexpr std::size_t kPiecesPerRun = 3;  // chunk header, data, CRLF

  [[nodiscard]] bool has_room_for_run() const noexcept {
    return count_ + kPiecesPerRun + 1 <= kMaxPieces;  // +1 keeps room for the last chunk
  }
  [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
  void add(std::string_view bytes) noexcept {
    if (!bytes.empty()) pieces_[count_++] = asio::const_buffer(bytes.data(), bytes.size());
  }
  // A chunk header written into this list's own scratch space.
  void add_chunk_header(std::size_t size) noexcept {
    add(http::h1::write_chunk_header(size, std::span<char, 18>(headers_[header_count_++])));
  }
  void clear() noexcept { count_ = header_count_ = 0; }
  [[nodiscard]] std::span<const asio::const_buffer> pieces() const noexcept {
    return {pieces_.data(), count_};
  }

 private:
  std::array<asio::const_buffer, kMaxPieces> pieces_{};
  std::array<std::array<char, 18>, kMaxPieces / kPiecesPerRun> headers_{};
  std::size_t count_ = 0;
  std::size_t header_count_ = 0;
};

std::string last_chunk(const http::HeaderMap& trailers) {
  if (trailers.empty()) return std::string(http::h1::kLastChunk);
  std::size_t size = 8;
  for (const http::HeaderField& field : trailers)
    size += field.name.size() + field.value.size() + 4;
  std::string out(size, '\0');
  out.resize(http::h1::write_last_chunk_with_trailers(trailers, out));
  return out;
}

}  // namespace

void KeptBytes::append(std::span<const asio::const_buffer> pieces) {
  if (overflowed) return;
  std::size_t size = 0;
  for (const asio::const_buffer& piece : pieces)
    size += piece.size();
  if (bytes.size() + size > limit) {
    overflowed = true;
    bytes = std::string();  // frees the copy: it can no longer serve
    return;
  }
  for (const asio::const_buffer& piece : pieces)
    bytes.append(static_cast<const char*>(piece.data()), piece.size());
}

core::Task<RelayResult> relay_body(RelayEnds ends) {
  RelayResult result;
  GatherList gather;
  std::string terminator;  // the last chunk (with trailers), when the sink is chunked
  std::size_t writes = 0;
  gather.add(ends.prefix);

  for (;;) {
    // Decode what is buffered into runs of body data, until the buffer needs more bytes.
    bool need_input = false;
    while (!ends.decoder.done() && gather.has_room_for_run()) {
      auto step = ends.decoder.decode(view(ends.buffer.readable()));
      if (!step) {
        result.outcome = RelayOutcome::kMalformed;
        result.error = step.error();
        co_return result;
      }
      if (step->consumed == 0 && step->data.empty()) {
        need_input = true;
        break;
      }
      ends.buffer.consume(step->consumed);
      if (step->data.empty()) continue;
      result.body_bytes += step->data.size();
      if (ends.max_bytes != 0 && ends.decoder.body_bytes() > ends.max_bytes) {
        result.outcome = RelayOutcome::kTooLarge;
        co_return result;
      }
      BodyChunk chunk(step->data);
      if (ends.tap != nullptr && ends.tap->on_chunk(chunk, false) != Verdict::kContinue) {
        result.outcome = RelayOutcome::kFilterStopped;
        co_return result;
      }
      if (chunk.data().empty()) continue;
      if (ends.sink_chunked) gather.add_chunk_header(chunk.data().size());
      gather.add(chunk.data());
      if (ends.sink_chunked) gather.add(http::h1::kCrlf);
    }
    if (ends.buffer.empty()) need_input = !ends.decoder.done();

    const bool complete = ends.decoder.done();
    if (complete) {
      BodyChunk end(std::string_view{});
      if (ends.tap != nullptr && ends.tap->on_chunk(end, true) != Verdict::kContinue) {
        result.outcome = RelayOutcome::kFilterStopped;
        co_return result;
      }
      if (ends.sink_chunked) {
        terminator = last_chunk(ends.decoder.trailers());
        gather.add(terminator);
      }
    }

    if (!gather.empty()) {
      if (writes == 1 && ends.nodelay_done != nullptr && !*ends.nodelay_done &&
          ends.sink.transport != nullptr) {
        asio::error_code ignored;
        ends.sink.transport->socket().set_option(asio::ip::tcp::no_delay(true), ignored);
        *ends.nodelay_done = true;
      }
      if (ends.keep != nullptr) ends.keep->append(gather.pieces());
      ends.deadline.wait_for(ends.write_wait, ends.write_timeout);
      auto [ec, written] = co_await ends.sink.write(gather.pieces());
      ends.deadline.clear();
      if (ec) {
        result.outcome = RelayOutcome::kSinkFailed;
        co_return result;
      }
      ++writes;
      gather.clear();
    }
    if (complete) co_return result;  // bytes after the body stay in the buffer for the caller
    if (!need_input) continue;       // the gather list was full: more is buffered already

    // Make room behind the head for the next read; a partial framing element moves down.
    if (ends.buffer.empty()) {
      ends.buffer.clear_from(ends.floor);
    } else if (ends.buffer.writable().empty()) {
      ends.buffer.compact_to(ends.floor);
    }
    if (ends.buffer.writable().empty()) {
      result.outcome = RelayOutcome::kMalformed;
      result.error = {core::ErrorKind::kBadRequest,
                      "a chunk header or trailer section is too long"};
      co_return result;
    }
    ends.deadline.wait_for(ends.read_wait, ends.read_timeout);
    auto [ec, received] = co_await ends.source.read_some(to_asio(ends.buffer.writable()));
    ends.deadline.clear();
    if (ec == asio::error::eof) {
      ends.decoder.finish_at_eof();
      if (ends.decoder.done()) continue;  // a body delimited by the close is now complete
      result.outcome = RelayOutcome::kSourceClosed;
      co_return result;
    }
    if (ec) {
      result.outcome = RelayOutcome::kSourceFailed;
      co_return result;
    }
    ends.buffer.commit(received);
  }
}

}  // namespace bulwark::proxy
