#pragma once
// gRPC-Web clients (browsers) in front of gRPC backends (docs/config.md "gRPC-Web"), as Envoy's
// grpc_web filter does. A request with a gRPC-Web content type goes to the backend as gRPC: the
// content type becomes application/grpc, `te: trailers` is set, and a -text body is base64-decoded.
// The response comes back with the client's gRPC-Web content type, the trailers moved into a
// trailer frame at the end of the body (browsers cannot read HTTP trailers), and everything
// base64-encoded for -text clients. Other requests pass untouched.
//
// Security posture: the -text body is untrusted and decoded strictly (a malformed one ends the
// call with 400); rewritten runs live in a ring of bounded size, so a long stream costs no more
// memory than a short one.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "filters/grpc_web/grpc_web_codec.h"
#include "filters/grpc_web/run_ring.h"
#include "proxy/filter/filter.h"

namespace bulwark::filters {

class GrpcWebFilter final : public proxy::Filter {
 public:
  // `buffer_size`: the relay's I/O buffer, which bounds the body bytes of one write.
  explicit GrpcWebFilter(std::size_t buffer_size) noexcept;

  proxy::Verdict on_request_headers(http::RequestHead& head, bool end_stream,
                                    proxy::Context& ctx) override;
  proxy::Verdict on_request_body(proxy::BodyChunk& chunk, bool end_stream,
                                 proxy::Context& ctx) override;
  proxy::Verdict on_response_headers(http::ResponseHead& head, bool end_stream,
                                     proxy::Context& ctx) override;
  proxy::Verdict on_response_body(proxy::BodyChunk& chunk, bool end_stream,
                                  proxy::Context& ctx) override;

 private:
  enum class Phase : std::uint8_t {
    kPassThrough,  // not a gRPC-Web call, or a response that is not gRPC: nothing to do
    kRequest,      // translating the call; the response has not started
    kResponse,     // translating a gRPC response with a body that ends in the trailer frame
    kDone,         // trailers-only response, or the trailer frame went out
  };

  void encode_run(proxy::BodyChunk& chunk, core::Arena& arena);
  void finish_response(proxy::BodyChunk& chunk, proxy::Context& ctx);

  Phase phase_ = Phase::kPassThrough;
  bool text_request_ = false;
  grpc_web::Wire response_wire_ = grpc_web::Wire::kWeb;
  grpc_web::Base64Decoder decoder_;
  grpc_web::RunRing request_ring_;
  grpc_web::RunRing response_ring_;
};

class GrpcWebFilterFactory final : public proxy::FilterFactory {
 public:
  explicit GrpcWebFilterFactory(std::size_t buffer_size) noexcept : buffer_size_(buffer_size) {}
  [[nodiscard]] std::string_view name() const noexcept override { return "grpc_web"; }
  [[nodiscard]] proxy::Filter* create(core::Arena& arena) const override {
    return arena.make<GrpcWebFilter>(buffer_size_);
  }

 private:
  std::size_t buffer_size_;
};

}  // namespace bulwark::filters
