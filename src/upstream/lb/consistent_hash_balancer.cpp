#include "upstream/lb/consistent_hash_balancer.h"

#include <algorithm>
#include <cmath>

#include "upstream/lb/hash.h"

namespace bulwark::upstream {
namespace {
constexpr std::uint32_t kEmpty = UINT32_MAX;
constexpr std::uint64_t kOffsetSeed = 0x6d61676c6576;  // "maglev"
constexpr std::uint64_t kSkipSeed = 0x736b6970;        // "skip"
}  // namespace

ConsistentHashBalancer::ConsistentHashBalancer(std::span<const BalancerEndpoint> endpoints,
                                               double balance_factor)
    : table_(kTableSize, kEmpty),
      outstanding_(endpoints.size(), 0),
      balance_factor_(balance_factor) {
  for (const BalancerEndpoint& endpoint : endpoints) {
    offset_.push_back(hash_bytes(endpoint.identity, kOffsetSeed) % kTableSize);
    skip_.push_back((hash_bytes(endpoint.identity, kSkipSeed) % (kTableSize - 1)) + 1);
    weight_.push_back(endpoint.weight);
  }
  fill_table();
}

void ConsistentHashBalancer::set_weights(std::span<const std::uint32_t> weights) {
  weight_.assign(weights.begin(), weights.end());
  fill_table();
}

void ConsistentHashBalancer::fill_table() {
  const std::size_t count = weight_.size();
  std::vector<std::uint64_t> next(count, 0);    // position in each endpoint's permutation
  std::vector<std::uint64_t> credit(count, 0);  // weighted turns: a slot per max_weight earned
  const std::uint64_t max_weight = *std::ranges::max_element(weight_);
  total_weight_ = 0;
  for (const std::uint64_t weight : weight_)
    total_weight_ += weight;
  std::ranges::fill(table_, kEmpty);
  std::uint32_t filled = 0;
  while (filled < kTableSize) {
    for (std::size_t i = 0; i < count && filled < kTableSize; ++i) {
      credit[i] += weight_[i];
      if (credit[i] < max_weight) continue;
      credit[i] -= max_weight;
      std::uint64_t slot = 0;
      do {
        slot = (offset_[i] + (next[i]++ * skip_[i])) % kTableSize;
      } while (table_[slot] != kEmpty);
      table_[slot] = static_cast<std::uint32_t>(i);
      ++filled;
    }
  }
}

std::size_t ConsistentHashBalancer::lookup(std::string_view key) const noexcept {
  return table_[hash_bytes(key) % kTableSize];
}

bool ConsistentHashBalancer::overloaded(std::size_t i) const noexcept {
  // Outstanding after this pick > ceil(factor x total after this pick x this endpoint's share).
  // The ceiling lets the first requests in (the paper's bound, Mirrokni et al. §2).
  const double bound =
      std::ceil(balance_factor_ * static_cast<double>(total_outstanding_ + 1) *
                static_cast<double>(weight_[i]) / static_cast<double>(total_weight_));
  return static_cast<double>(outstanding_[i] + 1) > bound;
}

std::size_t ConsistentHashBalancer::pick(const PickContext& context) {
  const std::string_view key = context.hash_key.empty() ? context.client_address : context.hash_key;
  const std::uint64_t start = hash_bytes(key) % kTableSize;
  const std::size_t home = table_[start];
  if (balance_factor_ == 0 || weight_.size() == 1 || !overloaded(home)) return home;
  // Some endpoint is always within the bound (not all can exceed a factor >= 1 of the average),
  // and the walk meets every endpoint within the table's length.
  for (std::uint64_t step = 1; step < kTableSize; ++step) {
    const std::size_t i = table_[(start + step) % kTableSize];
    if (!overloaded(i)) return i;
  }
  return home;
}

void ConsistentHashBalancer::on_request_start(std::size_t i) {
  ++outstanding_[i];
  ++total_outstanding_;
}

void ConsistentHashBalancer::on_request_end(std::size_t i, std::chrono::nanoseconds /*latency*/,
                                            bool /*ok*/) {
  if (outstanding_[i] == 0) return;
  --outstanding_[i];
  --total_outstanding_;
}

}  // namespace bulwark::upstream
