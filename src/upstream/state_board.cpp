#include "upstream/state_board.h"

namespace bulwark::upstream {
namespace {

std::string key_of(std::string_view cluster, std::string_view identity) {
  std::string key;
  key.reserve(cluster.size() + 1 + identity.size());
  key.append(cluster).push_back('\0');  // no cluster name contains NUL
  key.append(identity);
  return key;
}

}  // namespace

void StateBoard::forget_expired() {
  // Endpoints come and go with reloads and DNS answers; sweeping when the map has doubled keeps
  // the sweeps' cost proportional to the insertions.
  if (endpoints_.size() < 2 * swept_size_) return;
  std::erase_if(endpoints_, [](const auto& entry) { return entry.second.expired(); });
  std::erase_if(counters_, [](const auto& entry) { return entry.second.expired(); });
  swept_size_ = endpoints_.size() + 1;
}

std::shared_ptr<EndpointState> StateBoard::endpoint(std::string_view cluster,
                                                    std::string_view identity) {
  const std::string key = key_of(cluster, identity);
  const std::scoped_lock lock(mutex_);
  std::weak_ptr<EndpointState>& slot = endpoints_[key];
  if (std::shared_ptr<EndpointState> kept = slot.lock()) return kept;
  forget_expired();
  auto made = std::make_shared<EndpointState>(std::string(identity), *this);
  slot = made;
  return made;
}

std::shared_ptr<EndpointState> StateBoard::find(std::string_view cluster,
                                                std::string_view identity) {
  const std::scoped_lock lock(mutex_);
  const auto found = endpoints_.find(key_of(cluster, identity));
  return found == endpoints_.end() ? nullptr : found->second.lock();
}

std::shared_ptr<ClusterCounters> StateBoard::counters(std::string_view cluster) {
  const std::scoped_lock lock(mutex_);
  std::weak_ptr<ClusterCounters>& slot = counters_[std::string(cluster)];
  if (std::shared_ptr<ClusterCounters> kept = slot.lock()) return kept;
  auto made = std::make_shared<ClusterCounters>();
  slot = made;
  return made;
}

}  // namespace bulwark::upstream
