#pragma once
// The disk tier: one file per object (head, then body) under a directory, bounded in bytes. A file
// is written under a temporary name and renamed, so that a crash leaves the old file or the new
// one under a key's name, never half of one; nothing is synced, so a power loss may leave a
// renamed file short or garbled, which the start-up scan finds (a checksum over the head, a size
// that must match) and removes. The index lives in memory and is rebuilt by that scan.
//
// Every function does blocking file I/O: run them on a thread pool, never on an event loop. They
// may run concurrently (one mutex guards the index; reads and writes of files happen outside it).
//
// The files are in the host's byte order: a cache directory does not move between machines.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cache/policy/freshness.h"
#include "cache/stored_object.h"
#include "core/error.h"
#include "http/header_map.h"
#include "router/static/file_handle.h"

namespace bulwark::cache {

class DiskStore {
 public:
  struct Options {
    std::filesystem::path directory;
    std::uint64_t max_bytes = 1ULL << 30;
  };

  // A stored object, opened: the data path sends `body_length` bytes of `file` from `body_offset`
  // (sendfile). The open file stays readable if the object is evicted or replaced meanwhile.
  struct Hit {
    router::FileHandle file;
    std::uint64_t body_offset = 0;
    std::uint64_t body_length = 0;
    std::uint16_t status = 0;
    policy::FetchTimes times;
    std::vector<http::HeaderField> fields;  // views into head_bytes, which moving keeps in place
    std::vector<char> head_bytes;
  };

  // Creates the directory if needed and indexes the files in it: temporary files (a write that
  // did not finish) and files that fail their checks are removed; the index is filled in the
  // files' modification order, oldest first to leave.
  static core::Result<std::unique_ptr<DiskStore>> open(Options options);

  DiskStore(const DiskStore&) = delete;
  DiskStore& operator=(const DiskStore&) = delete;
  ~DiskStore();

  // Writes `object` (complete) under `key`, replacing what was there, and evicts to stay within
  // max_bytes. An object larger than max_bytes is not stored (and the old one is removed: it
  // must not be served after a newer response).
  core::Result<void> insert(std::string_view key, const StoredObject& object);
  // The object under `key`, opened, or std::nullopt (absent, or its file was unreadable, which
  // removes it). Counts the read for eviction.
  std::optional<Hit> find(std::string_view key);
  // Removes the object under `key`; false when there was none.
  bool erase(std::string_view key);

  [[nodiscard]] std::uint64_t bytes() const;
  [[nodiscard]] std::size_t size() const;

 private:
  struct Entry {
    std::string key;
    std::uint64_t bytes = 0;     // the file's size, rounded up to whole blocks
    std::uint64_t sequence = 0;  // tells this entry's place in the clock from stale ones
    bool referenced = false;     // read since the clock hand last passed
  };
  // A place in the clock: stale when the name's entry is gone or newer.
  struct Slot {
    std::uint64_t name;
    std::uint64_t sequence;
  };

  explicit DiskStore(Options options);
  void scan();
  [[nodiscard]] std::filesystem::path path_of(std::uint64_t name) const;
  // Under mutex_: adds or replaces the entry for `name`, then evicts.
  void index(std::uint64_t name, std::string key, std::uint64_t bytes);
  void remove(std::uint64_t name);
  void evict();

  Options options_;
  mutable std::mutex mutex_;
  // By file name: the 64-bit hash of the key (two keys with one hash share a file; the later
  // write wins, and find() compares the key written in the file).
  std::unordered_map<std::uint64_t, Entry> entries_;
  std::deque<Slot> clock_;  // the hand is at the front
  std::uint64_t bytes_ = 0;
  std::uint64_t next_sequence_ = 0;
  std::uint64_t next_temporary_ = 0;
};

}  // namespace bulwark::cache
