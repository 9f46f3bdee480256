#pragma once
// Helpers for the balancer tests: endpoints from weights, and pick counting.

#include <string>
#include <vector>

#include "upstream/lb/balancer.h"

namespace bulwark::upstream::testing {

// Endpoints named 10.0.0.<i>:80 with the given weights; the names outlive the views.
class Endpoints {
 public:
  explicit Endpoints(const std::vector<std::uint32_t>& weights) {
    for (std::size_t i = 0; i < weights.size(); ++i)
      names_.push_back("10.0.0." + std::to_string(i) + ":80");
    for (std::size_t i = 0; i < weights.size(); ++i)
      endpoints_.push_back({names_[i], weights[i]});
  }
  [[nodiscard]] const std::vector<BalancerEndpoint>& get() const { return endpoints_; }

 private:
  std::vector<std::string> names_;
  std::vector<BalancerEndpoint> endpoints_;
};

// How often each endpoint is picked in `n` picks (each request ends at once).
inline std::vector<int> count_picks(Balancer& balancer, std::size_t endpoints, int n,
                                    const PickContext& context = {}) {
  std::vector<int> hits(endpoints, 0);
  for (int i = 0; i < n; ++i)
    ++hits[balancer.pick(context)];
  return hits;
}

// Expects each share of `hits` within `tolerance` (absolute, e.g. 0.02) of weight / total.
inline void expect_shares(const std::vector<int>& hits, const std::vector<std::uint32_t>& weights,
                          double tolerance) {
  double total_hits = 0;
  double total_weight = 0;
  for (std::size_t i = 0; i < hits.size(); ++i) {
    total_hits += hits[i];
    total_weight += weights[i];
  }
  for (std::size_t i = 0; i < hits.size(); ++i) {
    EXPECT_NEAR(hits[i] / total_hits, weights[i] / total_weight, tolerance) << "endpoint " << i;
  }
}

}  // namespace bulwark::upstream::testing
