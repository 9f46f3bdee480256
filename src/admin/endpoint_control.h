#pragma once
// What an operator may do to the endpoints of the running configuration, whatever carries the
// request (the control socket now, the admin API later): list them with their state, and drain,
// disable or enable one. The endpoints are those of the snapshot in use; their states live on the
// process-wide StateBoard, so a change applies to every worker and survives reloads that keep
// the endpoint (same cluster, same HOST:PORT).

#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "upstream/cluster.h"

namespace bulwark::admin {

struct EndpointStatus {
  std::string cluster;
  std::string identity;  // HOST:PORT as configured
  upstream::AdminState admin = upstream::AdminState::kActive;
  bool healthy = true;
  bool ejected = false;
  std::uint32_t ejections = 0;
};

class EndpointControl {
 public:
  // `clusters` are the running snapshot's, which must outlive this object.
  explicit EndpointControl(std::span<const upstream::Cluster> clusters) noexcept
      : clusters_(clusters) {}

  // Every endpoint of `cluster`, or of all clusters when none is named, in configuration order;
  // an error message for a cluster that does not exist.
  [[nodiscard]] std::expected<std::vector<EndpointStatus>, std::string> list(
      std::optional<std::string_view> cluster) const;

  // Sets the operator state of one endpoint; an error message for an unknown cluster or endpoint.
  [[nodiscard]] std::expected<void, std::string> set(std::string_view cluster,
                                                     std::string_view identity,
                                                     upstream::AdminState state) const;

 private:
  [[nodiscard]] std::expected<const upstream::Cluster*, std::string> find_cluster(
      std::string_view name) const;

  std::span<const upstream::Cluster> clusters_;
};

}  // namespace bulwark::admin
