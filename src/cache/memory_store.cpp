#include "cache/memory_store.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <deque>
#include <iterator>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace bulwark::cache {
namespace {

// A key with its hash, computed once per call: the shard is picked with it and the shard's map
// looks up with it, so a hit hashes the key once.
struct HashedKey {
  std::string_view key;
  std::size_t hash;
};

// The map's own key keeps the hash too: rehashing and bucket walks read it instead of hashing
// the string again.
struct StoredKey {
  std::string key;
  std::size_t hash;
};

std::size_t hash_of(std::string_view key) noexcept {
  return std::hash<std::string_view>{}(key);
}

struct KeyHash {
  using is_transparent = void;
  std::size_t operator()(const StoredKey& key) const noexcept { return key.hash; }
  std::size_t operator()(const HashedKey& key) const noexcept { return key.hash; }
};

struct KeyEqual {
  using is_transparent = void;
  bool operator()(const StoredKey& a, const StoredKey& b) const noexcept {
    return a.hash == b.hash && a.key == b.key;
  }
  bool operator()(const HashedKey& a, const StoredKey& b) const noexcept {
    return a.hash == b.hash && a.key == b.key;
  }
  bool operator()(const StoredKey& a, const HashedKey& b) const noexcept { return (*this)(b, a); }
};

enum class Queue : std::uint8_t { kSmall, kMain };

// Reads counted since an object entered its queue or last passed the main queue's tail; bounded
// so that an object read in a burst long ago survives at most this many passes without reads.
constexpr std::uint8_t kMaxFrequency = 3;

struct Node {
  ObjectPtr object;
  std::uint64_t charge = 0;
  const StoredKey* key = nullptr;  // the map's, which stays put for the node's life
  Node* newer = nullptr;           // towards the head of its queue
  Node* older = nullptr;           // towards the tail
  std::uint8_t frequency = 0;
  Queue queue = Queue::kSmall;
};

// A FIFO linked through its nodes: moving a node between queues or to the head allocates
// nothing, and erase() unlinks a node wherever it is.
class Fifo {
 public:
  void push_head(Node& node) noexcept {
    node.newer = nullptr;
    node.older = head_;
    if (head_ != nullptr) head_->newer = &node;
    head_ = &node;
    if (tail_ == nullptr) tail_ = &node;
    bytes_ += node.charge;
    ++count_;
  }

  void unlink(Node& node) noexcept {
    (node.newer != nullptr ? node.newer->older : head_) = node.older;
    (node.older != nullptr ? node.older->newer : tail_) = node.newer;
    node.newer = node.older = nullptr;
    bytes_ -= node.charge;
    --count_;
  }

  // A node of this queue changes its charge (its key got a new object).
  void recharge(Node& node, std::uint64_t charge) noexcept {
    bytes_ = bytes_ - node.charge + charge;
    node.charge = charge;
  }

  [[nodiscard]] Node* tail() const noexcept { return tail_; }
  [[nodiscard]] std::uint64_t bytes() const noexcept { return bytes_; }
  [[nodiscard]] std::size_t count() const noexcept { return count_; }

 private:
  Node* head_ = nullptr;
  Node* tail_ = nullptr;
  std::uint64_t bytes_ = 0;
  std::size_t count_ = 0;
};

// What a stored key costs beyond its bytes and the object's charge: the map's node (key, Node,
// the next pointer) and its share of the bucket array.
constexpr std::uint64_t kNodeOverhead =
    sizeof(std::pair<const StoredKey, Node>) + 2 * sizeof(void*);

// The small FIFO's share of a shard's bytes (the paper's 10%).
constexpr std::uint64_t kSmallDivisor = 10;

}  // namespace

// Aligned to a cache line so that two shards' mutexes never share one.
class alignas(64) MemoryStore::Shard {
 public:
  void set_budget(std::uint64_t bytes) noexcept {
    budget_ = bytes;
    small_budget_ = bytes / kSmallDivisor;
  }

  ObjectPtr find(HashedKey key) {
    const std::scoped_lock lock(mutex_);
    const auto it = map_.find(key);
    if (it == map_.end()) return nullptr;
    Node& node = it->second;
    if (node.frequency < kMaxFrequency) ++node.frequency;
    return node.object;
  }

  void insert(HashedKey key, ObjectPtr object) {
    const std::uint64_t charge = key.key.size() + object->charge() + kNodeOverhead;
    // Declared before the lock, so destroyed after it: freeing a large body is not done while
    // other workers wait for the shard.
    std::vector<ObjectPtr> released;
    const std::scoped_lock lock(mutex_);
    auto it = map_.find(key);
    if (charge > budget_) {
      // The new response replaces the stored one even when it is not kept: the old one must not
      // be served after it.
      if (it != map_.end()) released.push_back(drop(it));
      publish();
      return;
    }
    if (it != map_.end()) {
      // A replaced object keeps its place and its reads: the key is as popular as before.
      Node& node = it->second;
      queue_of(node).recharge(node, charge);
      released.push_back(std::exchange(node.object, std::move(object)));
    } else {
      it = map_.try_emplace(StoredKey{std::string(key.key), key.hash}).first;
      Node& node = it->second;
      node.key = &it->first;
      node.object = std::move(object);
      node.charge = charge;
      // A key evicted from the small queue not long ago has proved it returns; an object larger
      // than the small queue would flush it whole: both go to the main queue.
      node.queue =
          charge > small_budget_ || ghost_.contains(key.hash) ? Queue::kMain : Queue::kSmall;
      queue_of(node).push_head(node);
    }
    evict(released);
    publish();
  }

  bool erase(HashedKey key) {
    ObjectPtr released;  // before the lock, as in insert()
    const std::scoped_lock lock(mutex_);
    const auto it = map_.find(key);
    if (it == map_.end()) return false;
    released = drop(it);
    publish();
    return true;
  }

  // `match` runs under the shard's lock: it must not call into the store.
  std::size_t erase_if(const std::function<bool(std::string_view, const StoredObject&)>& match) {
    std::vector<ObjectPtr> released;  // before the lock, as in insert()
    const std::scoped_lock lock(mutex_);
    for (auto it = map_.begin(); it != map_.end();) {
      const auto next = std::next(it);
      if (match(it->first.key, *it->second.object)) released.push_back(drop(it));
      it = next;
    }
    publish();
    return released.size();
  }

  // Read without the lock: a gauge, exact only when no insert or erase runs.
  [[nodiscard]] std::uint64_t bytes() const noexcept {
    return bytes_.load(std::memory_order_relaxed);
  }
  [[nodiscard]] std::size_t size() const noexcept { return size_.load(std::memory_order_relaxed); }

 private:
  using Map = std::unordered_map<StoredKey, Node, KeyHash, KeyEqual>;

  Fifo& queue_of(const Node& node) noexcept { return node.queue == Queue::kSmall ? small_ : main_; }

  ObjectPtr drop(Map::iterator it) {
    queue_of(it->second).unlink(it->second);
    ObjectPtr object = std::move(it->second.object);
    map_.erase(it);
    return object;
  }

  void drop(Node& node, std::vector<ObjectPtr>& released) {
    released.push_back(drop(map_.find(*node.key)));
  }

  void evict(std::vector<ObjectPtr>& released) {
    while (small_.bytes() + main_.bytes() > budget_) {
      if (small_.bytes() > small_budget_ || main_.count() == 0) {
        evict_small(released);
      } else {
        evict_main(released);
      }
    }
  }

  // The small queue's tail leaves it: to the main queue when it was read while there, else out
  // (a one-hit wonder), its hash remembered in the ghost queue.
  void evict_small(std::vector<ObjectPtr>& released) {
    Node& node = *small_.tail();
    if (node.frequency > 0) {
      small_.unlink(node);
      node.frequency = 0;
      node.queue = Queue::kMain;
      main_.push_head(node);
      return;
    }
    remember(node.key->hash);
    drop(node, released);
  }

  // The main queue's tail goes back to the head, one read fewer, until one unread since its last
  // pass is found and evicted.
  void evict_main(std::vector<ObjectPtr>& released) {
    for (;;) {
      Node& node = *main_.tail();
      if (node.frequency == 0) {
        drop(node, released);
        return;
      }
      --node.frequency;
      main_.unlink(node);
      main_.push_head(node);
    }
  }

  // The ghost queue holds about as many hashes as the main queue holds objects (the paper's
  // sizing): objects of the shard's average charge that fit in the main queue's bytes, so that
  // it remembers keys from the start, before the main queue fills. Only hashes: a collision
  // sends an unseen key to the main queue, which costs nothing but a place there.
  void remember(std::size_t hash) {
    if (!ghost_.insert(hash).second) return;
    ghost_order_.push_back(hash);
    const std::uint64_t stored = small_.count() + main_.count();
    // Never zero: the node being evicted is still counted, and every node costs kNodeOverhead.
    const std::uint64_t average = (small_.bytes() + main_.bytes()) / stored;
    const std::uint64_t fit = (budget_ - small_budget_) / average;
    const std::uint64_t limit = std::max<std::uint64_t>(fit, main_.count());
    while (ghost_order_.size() > limit) {
      ghost_.erase(ghost_order_.front());
      ghost_order_.pop_front();
    }
  }

  void publish() noexcept {
    bytes_.store(small_.bytes() + main_.bytes(), std::memory_order_relaxed);
    size_.store(map_.size(), std::memory_order_relaxed);
  }

  std::mutex mutex_;
  std::uint64_t budget_ = 0;
  std::uint64_t small_budget_ = 0;
  Map map_;
  Fifo small_;
  Fifo main_;
  std::unordered_set<std::size_t> ghost_;
  std::deque<std::size_t> ghost_order_;  // oldest first
  std::atomic<std::uint64_t> bytes_{0};
  std::atomic<std::size_t> size_{0};
};

MemoryStore::MemoryStore(Options options) : options_(options) {
  // The shard is picked by masking the hash: round up to a power of two rather than refuse.
  options_.shards = std::bit_ceil(std::max<std::size_t>(options_.shards, 1));
  shards_ = std::make_unique<Shard[]>(options_.shards);
  for (std::size_t i = 0; i < options_.shards; ++i)
    shards_[i].set_budget(options_.max_bytes / options_.shards);
}

MemoryStore::~MemoryStore() = default;

MemoryStore::Shard& MemoryStore::shard_of(std::size_t hash) noexcept {
  return shards_[hash & (options_.shards - 1)];
}

ObjectPtr MemoryStore::find(std::string_view key) {
  const std::size_t hash = hash_of(key);
  return shard_of(hash).find({key, hash});
}

void MemoryStore::insert(std::string_view key, ObjectPtr object) {
  const std::size_t hash = hash_of(key);
  shard_of(hash).insert({key, hash}, std::move(object));
}

bool MemoryStore::erase(std::string_view key) {
  const std::size_t hash = hash_of(key);
  return shard_of(hash).erase({key, hash});
}

std::size_t MemoryStore::erase_if(
    const std::function<bool(std::string_view, const StoredObject&)>& match) {
  std::size_t erased = 0;
  for (std::size_t i = 0; i < options_.shards; ++i)
    erased += shards_[i].erase_if(match);
  return erased;
}

std::uint64_t MemoryStore::bytes() const noexcept {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < options_.shards; ++i)
    total += shards_[i].bytes();
  return total;
}

std::size_t MemoryStore::size() const noexcept {
  std::size_t total = 0;
  for (std::size_t i = 0; i < options_.shards; ++i)
    total += shards_[i].size();
  return total;
}

}  // namespace bulwark::cache
