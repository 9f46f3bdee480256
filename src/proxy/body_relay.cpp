#include "proxy/body_relay.h"

#include <array>
#include <asio/write.hpp>
#include <span>
#include <string>

#include "core/io.h"
#include "http/fastcgi/request_writer.h"
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
  // The prefix (a head), the runs (the end's included) and the last chunk.
  static_assert(1 + kMaxRunsPerWrite * kPiecesPerRun + 1 <= kMaxPieces);

  // Keeps room for the end of the body: a run a filter adds there, and the last chunk. Runs are
  // counted as the filters see them, whatever the sink's framing (kMaxRunsPerWrite).
  [[nodiscard]] bool has_room_for_run() const noexcept { return runs_ + 1 < kMaxRunsPerWrite; }
  void note_run() noexcept { ++runs_; }
  [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
  void add(std::string_view bytes) noexcept {
    if (!bytes.empty()) pieces_[count_++] = asio::const_buffer(bytes.data(), bytes.size());
  }
  // A chunk header written into this list's own scratch space.
  void add_chunk_header(std::size_t size) noexcept {
    add(http::h1::write_chunk_header(size, std::span<char, 18>(headers_[header_count_++])));
  }
  // A run as a FastCGI STDIN record: header, data, padding.
  void add_stdin_record(std::string_view data) noexcept {
    std::span<char, 18> header(headers_[header_count_++]);
    http::fastcgi::stdin_header(data.size(), header.first<http::fastcgi::kHeaderSize>());
    add({header.data(), http::fastcgi::kHeaderSize});
    add(data);
    add(http::fastcgi::kZeroPadding.substr(0, http::fastcgi::padding_for(data.size())));
  }
  void clear() noexcept { count_ = header_count_ = runs_ = 0; }
  [[nodiscard]] std::span<const asio::const_buffer> pieces() const noexcept {
    return {pieces_.data(), count_};
  }

 private:
  std::array<asio::const_buffer, kMaxPieces> pieces_{};
  std::array<std::array<char, 18>, kMaxPieces / kPiecesPerRun> headers_{};
  std::size_t count_ = 0;
  std::size_t header_count_ = 0;
  std::size_t runs_ = 0;
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

// The source's framing: HTTP/1.1's decoder, or another protocol's behind BodySource.
class SourceDecoding {
 public:
  SourceDecoding(http::h1::BodyDecoder& h1, BodySource* other) noexcept : h1_(h1), other_(other) {}

  // A FastCGI record holds at most 65535 bytes: the runs for a STDIN sink are cut to fit (a
  // decoder shown fewer bytes returns a shorter run). Only framing longer than the cut, a huge
  // trailer section, needs the whole view.
  core::Result<http::h1::BodyDecoder::Step> decode(std::string_view in, SinkFraming sink) {
    constexpr std::size_t kMaxRun = http::fastcgi::kMaxContent;
    if (sink == SinkFraming::kFastCgiStdin && in.size() > kMaxRun) {
      auto step = decode_all(in.substr(0, kMaxRun));
      if (!step || step->consumed != 0 || !step->data.empty()) return step;
    }
    return decode_all(in);
  }
  [[nodiscard]] bool done() const noexcept {
    return other_ != nullptr ? other_->done() : h1_.done();
  }
  [[nodiscard]] std::uint64_t body_bytes() const noexcept {
    return other_ != nullptr ? other_->body_bytes() : h1_.body_bytes();
  }
  void finish_at_eof() noexcept {
    if (other_ == nullptr) h1_.finish_at_eof();
  }
  [[nodiscard]] const http::HeaderMap& trailers() const noexcept {
    static const http::HeaderMap no_trailers;
    return other_ != nullptr ? no_trailers : h1_.trailers();
  }

 private:
  core::Result<http::h1::BodyDecoder::Step> decode_all(std::string_view in) {
    return other_ != nullptr ? other_->decode(in) : h1_.decode(in);
  }

  http::h1::BodyDecoder& h1_;
  BodySource* other_;
};

// One run of body bytes in the sink's framing.
void add_run(GatherList& gather, std::string_view run, SinkFraming framing) {
  switch (framing) {
    case SinkFraming::kFastCgiStdin:
      gather.add_stdin_record(run);
      return;
    case SinkFraming::kChunked:
      gather.add_chunk_header(run.size());
      gather.add(run);
      gather.add(http::h1::kCrlf);
      return;
    case SinkFraming::kAsIs:
      gather.add(run);
      return;
  }
}

// A temporary per call rather than a local: the coroutine frame stays as small as it was.
SourceDecoding decoding(const RelayEnds& ends) noexcept {
  return {ends.decoder, ends.framed_source};
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
    while (!decoding(ends).done() && gather.has_room_for_run()) {
      auto step = decoding(ends).decode(view(ends.buffer.readable()), ends.sink_framing);
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
      if (ends.max_bytes != 0 && decoding(ends).body_bytes() > ends.max_bytes) {
        result.outcome = RelayOutcome::kTooLarge;
        co_return result;
      }
      gather.note_run();
      BodyChunk chunk(step->data);
      if (ends.tap != nullptr && ends.tap->on_chunk(chunk, false) != Verdict::kContinue) {
        result.outcome = RelayOutcome::kFilterStopped;
        co_return result;
      }
      if (!chunk.data().empty()) add_run(gather, chunk.data(), ends.sink_framing);
    }
    if (ends.buffer.empty()) need_input = !decoding(ends).done();

    const bool complete = decoding(ends).done();
    if (complete) {
      const http::HeaderMap* trailers =
          ends.source_trailers != nullptr ? ends.source_trailers : &decoding(ends).trailers();
      if (ends.trailers != nullptr) {
        for (const http::HeaderField& field : *trailers)
          ends.trailers->add(field.name, field.value);
        trailers = ends.trailers;
      }
      BodyChunk end(std::string_view{});
      if (ends.tap != nullptr && ends.tap->on_chunk(end, true) != Verdict::kContinue) {
        result.outcome = RelayOutcome::kFilterStopped;
        co_return result;
      }
      // What a filter adds at the end (a compressor's last block, a gRPC-Web trailer frame).
      if (!end.data().empty()) add_run(gather, end.data(), ends.sink_framing);
      if (ends.sink_framing == SinkFraming::kChunked) {
        terminator = last_chunk(*trailers);
        gather.add(terminator);
      } else if (ends.sink_framing == SinkFraming::kFastCgiStdin) {
        gather.add(http::fastcgi::kStdinEnd);
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
      if (result.outcome != RelayOutcome::kSinkFailed) {
        ends.deadline.wait_for(ends.write_wait, ends.write_timeout);
        auto [ec, written] = co_await ends.sink.write(gather.pieces());
        ends.deadline.clear();
        if (ec) {
          result.outcome = RelayOutcome::kSinkFailed;
          if (ends.tap == nullptr || !ends.tap->reads_on_without_sink()) co_return result;
        }
        ++writes;
      }
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
      decoding(ends).finish_at_eof();
      if (decoding(ends).done()) continue;  // a body delimited by the close is now complete
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
