#pragma once
// /metrics in the Prometheus text exposition format, version 0.0.4: each family with its # HELP
// and # TYPE lines, counters summed over the workers, histograms as cumulative _bucket{le=...}
// lines with _sum and _count.

#include <cstdint>
#include <span>
#include <string>

#include "admin/endpoint_control.h"
#include "core/metrics.h"

namespace bulwark::admin {

// What the registry does not hold, read from the server when scraped.
struct ScrapeState {
  std::uint64_t active_connections = 0;  // client connections open on all workers
  std::span<const EndpointStatus> endpoints;
};

// Main thread only (it reads the registry's series list).
[[nodiscard]] std::string format_metrics(const core::Metrics& metrics, const ScrapeState& state);

// A label value with \, " and line feeds escaped, as the format requires.
[[nodiscard]] std::string escape_label_value(std::string_view value);

}  // namespace bulwark::admin
