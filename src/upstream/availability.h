#pragma once
// Which endpoints of a cluster may take new requests now, and with what weight: the one place
// where the active health check, outlier ejections, the operator's drain and disable, slow start
// and panic mode meet. A pure function of the shared endpoint states and the time, so each
// worker's picker computes it alone when the StateBoard's epoch moves.

#include <cstdint>
#include <span>
#include <vector>

#include "config/config.h"
#include "core/timeout_list.h"
#include "upstream/cluster.h"

namespace bulwark::upstream {

// Weights are the configured ones times this, so that slow start can ramp an endpoint of weight
// 1 in steps finer than whole units.
inline constexpr std::uint32_t kWeightScale = 100;

struct Availability {
  bool any = false;    // some endpoint may take a request
  bool panic = false;  // too few healthy endpoints: all of them are used regardless of health
  std::size_t healthy = 0;
  // When the weights change next without the epoch moving (an ejection ends, a slow start
  // step); time_point::max() when nothing is scheduled.
  core::Clock::time_point next_change = core::Clock::time_point::max();
};

// Fills `weights` (one per endpoint of `cluster`; 0 = not to be picked). An ejection whose time is
// up counts as ended (the caller readmits it).
Availability compute_weights(const config::Cluster& spec, const Cluster& cluster,
                             core::Clock::time_point now, std::vector<std::uint32_t>& weights);

}  // namespace bulwark::upstream
