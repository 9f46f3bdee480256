#pragma once
// The series of one group of metric families: each distinct set of label values gets a dense id,
// and every worker a block of counters per id. Ids are handed out on the main thread only (when
// a configuration snapshot is built, or when scraping), and a worker only ever uses an id it got
// from a snapshot published after the id existed, so the table needs no lock: a worker reads its
// chunk pointer while the main thread may be filling another chunk's slot, never the same one.
//
// Label values come from the configuration (listener, route, cluster names), never from
// requests, so the number of series is bounded by what the configurations loaded so far name.
// Series are never removed: a counter of a route a reload removed keeps its value, as Prometheus
// expects of counters. Past kMaxSeries (a configuration no one writes), every new label set
// shares one series labelled "(other)".

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace bulwark::core {

template <class Counters, std::size_t kLabels>
class SeriesTable {
 public:
  using Labels = std::array<std::string, kLabels>;
  static constexpr std::size_t kChunk = 64;
  static constexpr std::size_t kMaxChunks = 256;
  static constexpr std::uint32_t kMaxSeries = kChunk * kMaxChunks;

  explicit SeriesTable(std::size_t workers) : workers_(workers) {
    Labels other;
    other.fill("(other)");
    add(std::move(other));  // id 0, listed only once it is used
  }

  // Main thread only. The id of `labels`, made on first use.
  std::uint32_t intern(const Labels& labels) {
    if (auto found = ids_.find(labels); found != ids_.end()) return found->second;
    if (labels_.size() == kMaxSeries) {
      other_used_ = true;
      return 0;
    }
    return add(labels);
  }

  // Worker `worker`'s counters of series `id` (an id intern() returned).
  [[nodiscard]] Counters& at(std::size_t worker, std::uint32_t id) noexcept {
    return (*workers_[worker][id / kChunk])[id % kChunk];
  }
  [[nodiscard]] const Counters& at(std::size_t worker, std::uint32_t id) const noexcept {
    return (*workers_[worker][id / kChunk])[id % kChunk];
  }
  [[nodiscard]] std::size_t workers() const noexcept { return workers_.size(); }

  // Main thread only: the ids to list, with their labels.
  [[nodiscard]] std::uint32_t first_listed() const noexcept { return other_used_ ? 0 : 1; }
  [[nodiscard]] std::uint32_t size() const noexcept {
    return static_cast<std::uint32_t>(labels_.size());
  }
  [[nodiscard]] const Labels& labels(std::uint32_t id) const noexcept { return labels_[id]; }

 private:
  using Chunk = std::array<Counters, kChunk>;

  std::uint32_t add(Labels labels) {
    const auto id = static_cast<std::uint32_t>(labels_.size());
    if (id % kChunk == 0) {
      for (auto& chunks : workers_)
        chunks[id / kChunk] = std::make_unique<Chunk>();
    }
    ids_.emplace(labels, id);
    labels_.push_back(std::move(labels));
    return id;
  }

  // Per worker, its chunks: separate allocations, so workers never share a cache line.
  std::vector<std::array<std::unique_ptr<Chunk>, kMaxChunks>> workers_;
  std::map<Labels, std::uint32_t> ids_;
  std::vector<Labels> labels_;
  bool other_used_ = false;
};

}  // namespace bulwark::core
