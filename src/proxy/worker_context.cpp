#include "proxy/worker_context.h"

#include <chrono>

namespace bulwark::proxy {
namespace {
// Streams kept for reuse; more than this many concurrent requests per worker allocate.
constexpr std::size_t kMaxSpareStreams = 1024;
constexpr std::size_t kMaxSpareBuffers = 4096;
}  // namespace

WorkerContext::WorkerContext(asio::io_context& io_context, std::size_t worker_index,
                             const WorkerShared& shared)
    : io(io_context),
      index(worker_index),
      buffers(shared.buffer_size, kMaxSpareBuffers),
      pools(io_context, worker_index, shared.pools),
      access_log(shared.access_log, shared.access_log_format),
      limiter(shared.limiter),
      board(shared.board),
      metrics(shared.metrics) {
  refresh_date();
}

void WorkerContext::refresh_date() {
  const std::int64_t second = std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  if (second == date_second_) return;
  date_second_ = second;
  date_text_ = http::format_http_date(second, date_);
}

void WorkerContext::install(SnapshotPtr snapshot) {
  snapshot_ = std::move(snapshot);
  pickers_.clear();
  const std::vector<config::Cluster>& specs = snapshot_->config->clusters;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const upstream::Cluster& cluster = snapshot_->clusters[i];
    // A cluster without endpoints is never balanced (the leg answers 503 first).
    pickers_.push_back(cluster.endpoints.empty() ? nullptr
                                                 : std::make_unique<upstream::EndpointPicker>(
                                                       specs[i], cluster, board, index));
  }
}

upstream::EndpointPicker* WorkerContext::picker(const ProxySnapshot& snapshot,
                                                std::size_t cluster) const noexcept {
  if (&snapshot != snapshot_.get() || cluster >= pickers_.size()) return nullptr;
  return pickers_[cluster].get();
}

std::unique_ptr<Stream> WorkerContext::take_stream() {
  if (spare_streams_.empty()) return std::make_unique<Stream>(io.get_executor());
  std::unique_ptr<Stream> stream = std::move(spare_streams_.back());
  spare_streams_.pop_back();
  return stream;
}

void WorkerContext::give_back(std::unique_ptr<Stream> stream) {
  stream->reset();
  if (spare_streams_.size() < kMaxSpareStreams) spare_streams_.push_back(std::move(stream));
}

}  // namespace bulwark::proxy
