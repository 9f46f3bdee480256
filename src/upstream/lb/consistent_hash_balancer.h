#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "upstream/lb/balancer.h"

namespace bulwark::upstream {

// Consistent hashing with Maglev's lookup table (Eisenbud et al., NSDI 2016) and bounded load
// (Mirrokni et al., 2018). Each endpoint fills table slots in the order of a permutation derived
// from its identity, in proportion to its weight; a key maps to the slot of its hash. When one of
// N endpoints leaves, about 1/N of the keys move. A key's endpoint is passed over while its
// outstanding requests exceed `balance_factor` x the weighted average; the walk goes on through
// the table's following slots, so an overloaded key spills to the same next endpoint each time.
class ConsistentHashBalancer final : public Balancer {
 public:
  static constexpr std::uint32_t kTableSize = 65537;  // prime: every skip visits every slot

  // `balance_factor` >= 1; 0 disables the bound.
  ConsistentHashBalancer(std::span<const BalancerEndpoint> endpoints, double balance_factor);
  std::size_t pick(const PickContext& context) override;
  void on_request_start(std::size_t i) override;
  void on_request_end(std::size_t i, std::chrono::nanoseconds latency, bool ok) override;
  // Rebuilds the table over the endpoints with weight: Maglev's permutations keep most keys of
  // the others where they were.
  void set_weights(std::span<const std::uint32_t> weights) override;

  // The endpoint for `key` ignoring load: the table lookup alone.
  [[nodiscard]] std::size_t lookup(std::string_view key) const noexcept;

 private:
  [[nodiscard]] bool overloaded(std::size_t i) const noexcept;
  void fill_table();

  std::vector<std::uint64_t> offset_;  // where each endpoint's permutation starts ...
  std::vector<std::uint64_t> skip_;    // ... and its stride, from its identity
  std::vector<std::uint32_t> table_;
  std::vector<std::uint64_t> weight_;
  std::vector<std::uint64_t> outstanding_;
  std::uint64_t total_outstanding_ = 0;
  std::uint64_t total_weight_ = 0;
  double balance_factor_;
};

}  // namespace bulwark::upstream
