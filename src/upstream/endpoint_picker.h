#pragma once
// One worker's way of choosing an endpoint of one cluster: its balancer, kept in step with the
// endpoints' shared availability. A pick first compares the StateBoard's epoch with the one it
// saw (one load of a line written only on changes); only when it moved, or when a slow start
// step or an ejection's end is due, are the weights recomputed and handed to the balancer.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "config/config.h"
#include "core/timeout_list.h"
#include "upstream/availability.h"
#include "upstream/cluster.h"
#include "upstream/lb/balancer.h"
#include "upstream/lb/hash.h"
#include "upstream/retry_budget.h"
#include "upstream/state_board.h"

namespace bulwark::upstream {

class EndpointPicker {
 public:
  // `spec` and `cluster` belong to one snapshot and must outlive the picker; `cluster` has
  // endpoints.
  EndpointPicker(const config::Cluster& spec, const Cluster& cluster, StateBoard& board,
                 std::size_t worker);

  // The endpoint for a new request; nullopt when no endpoint may take one. `bound` is the
  // endpoint a sticky session names: taken while it is available or merely draining.
  std::optional<std::size_t> pick(const PickContext& context, core::Clock::time_point now,
                                  std::optional<std::size_t> bound = std::nullopt);
  // The endpoint for a retry: another than `previous` when another is available.
  std::optional<std::size_t> pick_other(const PickContext& context, core::Clock::time_point now,
                                        std::size_t previous);
  // Whether endpoint `i` may take new requests (as of the last refresh).
  [[nodiscard]] bool available(std::size_t i) const noexcept { return weights_[i] > 0; }
  [[nodiscard]] bool panicking() const noexcept { return availability_.panic; }

  // Endpoints an operator disabled since the last call: this worker closes its idle pooled
  // connections to them (they will not be picked, so those would only wait for their timeout).
  [[nodiscard]] bool has_newly_disabled() const noexcept { return !newly_disabled_.empty(); }
  std::vector<std::size_t> take_newly_disabled() { return std::exchange(newly_disabled_, {}); }

  // This worker's retry budget for the cluster, and its random numbers (retry backoff).
  RetryBudget& retry_budget() noexcept { return retry_budget_; }
  SplitMix64& random() noexcept { return random_; }

  // The balancer's load and latency hooks.
  void on_request_start(std::size_t i) { balancer_->on_request_start(i); }
  void on_request_end(std::size_t i, std::chrono::nanoseconds latency, bool ok) {
    balancer_->on_request_end(i, latency, ok);
  }

 private:
  void refresh_if_due(core::Clock::time_point now) {
    if (board_.epoch() != seen_epoch_ || now >= availability_.next_change) refresh(now);
  }
  void refresh(core::Clock::time_point now);
  [[nodiscard]] bool may_stick(std::size_t i) const noexcept;

  const config::Cluster& spec_;
  const Cluster& cluster_;
  StateBoard& board_;
  std::unique_ptr<Balancer> balancer_;
  std::uint64_t seen_epoch_ = 0;  // the board's epochs start at 1: the first pick refreshes
  Availability availability_;
  std::vector<std::uint32_t> weights_;
  std::vector<std::uint32_t> applied_;  // the weights the balancer has
  std::vector<bool> disabled_;          // as of the last refresh
  std::vector<std::size_t> newly_disabled_;
  RetryBudget retry_budget_;
  SplitMix64 random_;
};

}  // namespace bulwark::upstream
