#include "proxy/h2_upstream_stream.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstring>

#include "proxy/h2_upstream_connection.h"

namespace bulwark::proxy {

H2UpstreamStream::~H2UpstreamStream() {
  detach();
}

void H2UpstreamStream::detach() {
  if (connection_ == nullptr) return;
  H2UpstreamConnection* connection = connection_;
  connection_ = nullptr;
  connection->detach(*this, closed_);
}

void H2UpstreamStream::abandon() noexcept {
  detach();
  if (!closed_) {
    closed_ = true;
    error_code_ = NGHTTP2_CANCEL;
  }
  signal_.wake();
}

core::Result<void> H2UpstreamStream::open(H2UpstreamConnection& connection,
                                          const http::RequestHead& head, std::string_view scheme,
                                          bool end_stream, core::Arena& arena) {
  reused_ = connection.reused();
  trailers_ = http::HeaderMap(arena.resource());
  auto id = connection.open(*this, head, scheme, end_stream, arena);
  if (!id) return std::unexpected(id.error());
  connection_ = &connection;
  id_ = *id;
  return {};
}

std::error_code H2UpstreamStream::finish_request(const http::HeaderMap& trailers) {
  if (closed_ || connection_ == nullptr) return asio::error::connection_reset;
  http::h2::ClientSession& session = connection_->session();
  const core::Result<void> ended =
      trailers.empty() ? session.send_data(id_, {}, true) : session.submit_trailers(id_, trailers);
  connection_->flush();
  return ended ? std::error_code{} : asio::error::connection_reset;
}

core::Task<net::IoResult> H2UpstreamStream::write(std::span<const asio::const_buffer> pieces) {
  if (closed_ || connection_ == nullptr) co_return net::IoResult{asio::error::connection_reset, 0};
  http::h2::ClientSession& session = connection_->session();
  std::size_t size = 0;
  for (const asio::const_buffer& piece : pieces) {
    if (!session.send_data(id_, {static_cast<const char*>(piece.data()), piece.size()}, false)) {
      co_return net::IoResult{asio::error::connection_reset, 0};
    }
    size += piece.size();
  }
  connection_->flush();
  // Backpressure: the next body bytes are read from the client once the backend took these.
  while (!closed_ && session.queued_bytes(id_) >= kSendLowWater) {
    if (const std::error_code ec = co_await signal_.wait()) co_return net::IoResult{ec, 0};
  }
  if (closed_) co_return net::IoResult{asio::error::connection_reset, 0};
  co_return net::IoResult{std::error_code{}, size};
}

core::Task<H2UpstreamStream::Head> H2UpstreamStream::wait_head(http::ResponseHead& out) {
  for (;;) {
    if (!interim_.empty()) {
      out = std::move(*interim_.front());
      interim_.erase(interim_.begin());
      co_return Head::kInterim;
    }
    if (head_ != nullptr && !head_taken_) {
      head_taken_ = true;
      out = std::move(*head_);
      co_return Head::kFinal;
    }
    if (closed_) co_return Head::kFailed;
    if (const std::error_code ec = co_await signal_.wait()) co_return Head::kFailed;
  }
}

core::Error H2UpstreamStream::failure() const noexcept {
  switch (error_code_) {
    case NGHTTP2_REFUSED_STREAM:
      // RFC 9113 §8.7: the backend did not process it; any request may go again.
      return {core::ErrorKind::kUpstreamRefused, "the upstream server refused the stream", true};
    case kConnectionLost:
      // A reused connection the backend had closed: nothing can have taken effect unless a
      // response had begun.
      return {core::ErrorKind::kUpstreamReset, "the upstream connection failed",
              reused_ && head_ == nullptr};
    case NGHTTP2_PROTOCOL_ERROR:
      return {core::ErrorKind::kUpstreamProtocol, "the upstream server sent an invalid response"};
    default:
      return {core::ErrorKind::kUpstreamReset,
              head_ == nullptr ? "the upstream server reset the stream without answering"
                               : "the upstream server reset the stream mid-response"};
  }
}

core::Task<net::IoResult> H2UpstreamStream::read_some(asio::mutable_buffer buffer) {
  for (;;) {
    std::size_t size = 0;
    if (pending_filled_ > 0) {
      size = pending_filled_;  // the reader copied DATA straight into `buffer`
    } else if (input_read_ < input_.size()) {
      size = std::min(buffer.size(), input_.size() - input_read_);
      std::memcpy(buffer.data(), input_.data() + input_read_, size);
      input_read_ += size;
      if (input_read_ == input_.size()) {
        input_.clear();
        input_read_ = 0;
      }
    }
    pending_read_ = {};
    pending_filled_ = 0;
    if (size > 0) {
      if (connection_ != nullptr) {
        // Forwarded: the backend may send as much again on this stream.
        connection_->session().consume(id_, size);
        connection_->flush();
      }
      co_return net::IoResult{std::error_code{}, size};
    }
    if (input_ended_) co_return net::IoResult{asio::error::eof, 0};
    if (closed_) co_return net::IoResult{asio::error::connection_reset, 0};
    pending_read_ = buffer;
    if (const std::error_code ec = co_await signal_.wait()) {
      pending_read_ = {};
      pending_filled_ = 0;
      co_return net::IoResult{ec, 0};
    }
  }
}

void H2UpstreamStream::on_interim(http::ResponseHead&& head) {
  interim_.push_back(&head);
  signal_.wake();
}

void H2UpstreamStream::on_response(http::ResponseHead&& head, bool end_stream) {
  head_ = &head;
  input_ended_ = end_stream;
  signal_.wake();
}

void H2UpstreamStream::on_data(std::span<const char> data, bool end_stream) {
  if (pending_read_.size() > pending_filled_ && input_read_ == input_.size()) {
    const std::size_t direct = std::min(data.size(), pending_read_.size() - pending_filled_);
    std::memcpy(static_cast<char*>(pending_read_.data()) + pending_filled_, data.data(), direct);
    pending_filled_ += direct;
    data = data.subspan(direct);
  }
  input_.append(data.data(), data.size());
  input_ended_ = input_ended_ || end_stream;
  signal_.wake();
}

void H2UpstreamStream::on_trailers(http::HeaderMap&& trailers) {
  trailers_ = std::move(trailers);  // same arena: no copy
  input_ended_ = true;              // trailers end the body (RFC 9113 §8.1)
  signal_.wake();
}

void H2UpstreamStream::on_closed(std::uint32_t error_code) {
  // A body the backend did not end (END_STREAM or trailers) reads as reset once its bytes are
  // read: a stream reset mid-body is no complete body.
  closed_ = true;
  error_code_ = error_code;
  signal_.wake();
}

}  // namespace bulwark::proxy
