#include "upstream/pool_directory.h"

namespace bulwark::upstream {

EndpointSlots& PoolDirectory::slots_for(const asio::ip::tcp::endpoint& endpoint) {
  const std::lock_guard lock(mutex_);
  auto& entry = endpoints_[endpoint];
  if (!entry) {
    entry = std::make_unique<EndpointSlots>(loops_.size());
    for (std::size_t i = 0; i < loops_.size(); ++i)
      entry->slots[i].io = loops_[i];
  }
  return *entry;
}

}  // namespace bulwark::upstream
