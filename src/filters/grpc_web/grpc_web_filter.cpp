#include "filters/grpc_web/grpc_web_filter.h"

#include <algorithm>
#include <optional>

namespace bulwark::filters {
namespace {

using grpc_web::Wire;

// A padded base64 run is up to 4 bytes longer than a third more than its input.
constexpr std::size_t kRunsPerWrite = proxy::kMaxRunsPerWrite;

std::string_view joined(std::string_view a, std::string_view b, core::Arena& arena) {
  auto* out = static_cast<char*>(arena.allocate(a.size() + b.size(), 1));
  std::ranges::copy(b, std::ranges::copy(a, out).out);
  return {out, a.size() + b.size()};
}

// The backend's content type with the client's protocol name: "application/grpc+proto" becomes
// "application/grpc-web-text+proto".
std::optional<std::string_view> web_content_type(std::string_view backend, Wire wire,
                                                 core::Arena& arena) {
  const std::optional<grpc_web::ContentType> type = grpc_web::parse_content_type(backend);
  if (!type || type->wire != Wire::kGrpc) return std::nullopt;
  return joined(grpc_web::wire_name(wire), type->rest, arena);
}

}  // namespace

GrpcWebFilter::GrpcWebFilter(std::size_t buffer_size) noexcept
    : request_ring_(buffer_size),
      response_ring_(grpc_web::base64_size(buffer_size) + 4 * kRunsPerWrite) {}

proxy::Verdict GrpcWebFilter::on_request_headers(http::RequestHead& head, bool /*end_stream*/,
                                                 proxy::Context& ctx) {
  const std::optional<grpc_web::ContentType> type =
      grpc_web::parse_content_type(head.headers.get("content-type"));
  if (!type || type->wire == Wire::kGrpc) return proxy::Verdict::kContinue;
  phase_ = Phase::kRequest;
  head.headers.set("content-type",
                   joined(grpc_web::wire_name(Wire::kGrpc), type->rest, ctx.arena()));
  // gRPC servers refuse calls without it (it tells them trailers will be read).
  head.headers.set("te", "trailers");
  text_request_ = type->wire == Wire::kText;
  // Decoding shrinks the body: its length is no longer known before it ends.
  if (text_request_ && head.framing == http::BodyFraming::kContentLength) {
    head.framing = http::BodyFraming::kChunked;
    head.content_length = 0;
    head.headers.remove("content-length");
  }
  const bool text_response = text_request_ || grpc_web::accepts_text(head.headers.get("accept"));
  response_wire_ = text_response ? Wire::kText : Wire::kWeb;
  return proxy::Verdict::kContinue;
}

proxy::Verdict GrpcWebFilter::on_request_body(proxy::BodyChunk& chunk, bool end_stream,
                                              proxy::Context& ctx) {
  if (phase_ == Phase::kPassThrough || !text_request_) return proxy::Verdict::kContinue;
  const std::string_view text = chunk.data();
  if (!text.empty()) {
    char* out =
        request_ring_.reserve(grpc_web::Base64Decoder::max_output(text.size()), ctx.arena());
    const std::optional<std::size_t> size = decoder_.decode(text, out);
    if (!size) {
      return ctx.respond(
          {.status = 400, .detail = "the gRPC-Web text request body is not valid base64"});
    }
    request_ring_.commit(*size);
    chunk.replace({out, *size});
  }
  if (end_stream && !decoder_.at_boundary()) {
    return ctx.respond(
        {.status = 400, .detail = "the gRPC-Web text request body ends inside a base64 quantum"});
  }
  return proxy::Verdict::kContinue;
}

proxy::Verdict GrpcWebFilter::on_response_headers(http::ResponseHead& head, bool end_stream,
                                                  proxy::Context& ctx) {
  if (phase_ != Phase::kRequest) return proxy::Verdict::kContinue;
  const std::optional<std::string_view> type =
      web_content_type(head.headers.get("content-type"), response_wire_, ctx.arena());
  // Not a gRPC response (an HTML error page from a server on the way): the client gets it as it
  // is, with its HTTP status, which gRPC-Web clients map to a gRPC code themselves.
  if (!type) {
    phase_ = Phase::kPassThrough;
    return proxy::Verdict::kContinue;
  }
  head.headers.set("content-type", *type);
  // Trailers-only (grpc-status in the head) stays as it is: PROTOCOL-WEB.md allows it.
  if (end_stream || head.headers.has("grpc-status")) {
    phase_ = Phase::kDone;
    return proxy::Verdict::kContinue;
  }
  phase_ = Phase::kResponse;
  // The trailer frame (and base64) make the body longer than the backend said.
  if (head.framing == http::BodyFraming::kContentLength) {
    head.framing = http::BodyFraming::kChunked;
    head.content_length = 0;
    head.headers.remove("content-length");
  }
  return proxy::Verdict::kContinue;
}

proxy::Verdict GrpcWebFilter::on_response_body(proxy::BodyChunk& chunk, bool end_stream,
                                               proxy::Context& ctx) {
  if (phase_ != Phase::kResponse) return proxy::Verdict::kContinue;
  if (end_stream) {
    finish_response(chunk, ctx);
  } else if (response_wire_ == Wire::kText && !chunk.data().empty()) {
    encode_run(chunk, ctx.arena());
  }
  return proxy::Verdict::kContinue;
}

void GrpcWebFilter::encode_run(proxy::BodyChunk& chunk, core::Arena& arena) {
  const std::string_view bytes = chunk.data();
  char* out = response_ring_.reserve(grpc_web::base64_size(bytes.size()), arena);
  const std::size_t size = grpc_web::base64_encode(bytes, out);
  response_ring_.commit(size);
  chunk.replace({out, size});
}

// The last run (if the source ended with data) and the trailer frame, once per stream: in the
// arena. The client must not also get the trailers as HTTP trailers. A body that ended without
// trailers (not a gRPC server's doing) gets no frame: the client then reports the missing status.
void GrpcWebFilter::finish_response(proxy::BodyChunk& chunk, proxy::Context& ctx) {
  phase_ = Phase::kDone;
  http::HeaderMap& trailers = ctx.response_trailers();
  const std::string_view last = chunk.data();
  const std::size_t frame_size = trailers.empty() ? 0 : grpc_web::trailer_frame_size(trailers);
  core::Arena& arena = ctx.arena();
  auto* frame = static_cast<char*>(arena.allocate(last.size() + frame_size, 1));
  std::ranges::copy(last, frame);
  if (frame_size != 0) grpc_web::write_trailer_frame(trailers, frame + last.size());
  trailers.clear();
  std::string_view plain(frame, last.size() + frame_size);
  if (response_wire_ == Wire::kText) {
    // The last run and the frame are encoded apart: each is padded, as every run is.
    const std::size_t size = grpc_web::base64_size(last.size()) + grpc_web::base64_size(frame_size);
    auto* text = static_cast<char*>(arena.allocate(size, 1));
    std::size_t at = grpc_web::base64_encode(last, text);
    at += grpc_web::base64_encode(plain.substr(last.size()), text + at);
    plain = {text, at};
  }
  chunk.replace(plain);
}

}  // namespace bulwark::filters
