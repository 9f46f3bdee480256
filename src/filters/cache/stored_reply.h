#pragma once
// The body of an answer from the cache, as the stream pulls it (proxy::ReplyBody): pieces that
// are either text of the answer's own (multipart boundaries) or byte ranges of a stored body. A
// range whose bytes are still arriving from the origin waits for them, up to a stall timeout.

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "cache/stored_body.h"
#include "proxy/filter/context.h"

namespace bulwark::filters {

struct ReplyPiece {
  std::string_view text;  // sent as it is, when `length` is 0
  std::uint64_t offset = 0;
  std::uint64_t length = 0;  // bytes of the stored body; kToEnd: up to wherever it ends
};

inline constexpr std::uint64_t kToEnd = ~std::uint64_t{0};

class StoredReply final : public proxy::ReplyBody {
 public:
  // `pieces` must outlive the reply (the stream's arena).
  StoredReply(std::shared_ptr<cache::StoredBody> body, std::span<const ReplyPiece> pieces,
              core::Clock::duration stall_timeout) noexcept
      : body_(std::move(body)), pieces_(pieces), stall_timeout_(stall_timeout) {}

  core::Task<Run> next(std::uint64_t max) override;

 private:
  std::shared_ptr<cache::StoredBody> body_;
  std::span<const ReplyPiece> pieces_;
  core::Clock::duration stall_timeout_;
  std::size_t piece_ = 0;
  std::uint64_t done_ = 0;  // bytes of the current piece already returned
};

}  // namespace bulwark::filters
