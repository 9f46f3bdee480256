#include "filters/cache/stored_reply.h"

#include <algorithm>

namespace bulwark::filters {

core::Task<proxy::ReplyBody::Run> StoredReply::next(std::uint64_t max) {
  while (piece_ < pieces_.size()) {
    const ReplyPiece& piece = pieces_[piece_];
    if (piece.length == 0) {
      ++piece_;
      if (!piece.text.empty()) co_return Run{.bytes = piece.text};
      continue;
    }
    if (done_ == piece.length) {
      ++piece_;
      done_ = 0;
      continue;
    }
    const std::uint64_t at = piece.offset + done_;
    const std::string_view bytes = body_->read(at, std::min(max, piece.length - done_));
    if (!bytes.empty()) {
      done_ += bytes.size();
      co_return Run{.bytes = bytes};
    }
    switch (body_->state()) {
      case cache::BodyState::kComplete:
        // Every byte is there: a piece "to the end" is done, any other was promised too much.
        if (piece.length != kToEnd) co_return Run{.failed = true};
        done_ = piece.length;
        continue;
      case cache::BodyState::kAborted:
        co_return Run{.failed = true};
      case cache::BodyState::kStreaming:
        break;
    }
    if (!co_await body_->wait_beyond(at, core::Clock::now() + stall_timeout_)) {
      co_return Run{.failed = true};
    }
  }
  co_return Run{};
}

}  // namespace bulwark::filters
