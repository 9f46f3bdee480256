#include "cache/disk_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <span>
#include <type_traits>
#include <utility>

namespace bulwark::cache {
namespace {

// The fixed start of every file; the key and the fields follow, then the body.
struct FileHeader {
  std::uint32_t magic;
  std::uint32_t head_length;  // this header, the key and the fields
  std::uint64_t checksum;     // of the head with this field zero
  std::uint64_t body_length;
  std::int64_t request_time;
  std::int64_t response_time;
  std::uint32_t key_length;
  std::uint16_t status;
  std::uint16_t field_count;
};
static_assert(std::is_trivially_copyable_v<FileHeader> && sizeof(FileHeader) == 48);

constexpr std::uint32_t kMagic = 0x31435742;  // "BWC1"
// A head longer than this is taken as garbage rather than read.
constexpr std::uint32_t kMaxHeadLength = 1U << 20;
// Space is counted in file system blocks, as the disk spends it.
constexpr std::uint64_t kBlockBytes = 4096;
constexpr std::string_view kTemporarySuffix = ".tmp";

// FNV-1a: stable across builds and runs (std::hash is not promised to be), for file names and
// checksums.
std::uint64_t fnv1a(std::string_view bytes, std::uint64_t hash = 0xcbf29ce484222325ULL) noexcept {
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::uint64_t on_disk(std::uint64_t file_bytes) noexcept {
  return (file_bytes + kBlockBytes - 1) / kBlockBytes * kBlockBytes;
}

void put(std::string& out, const void* bytes, std::size_t length) {
  out.append(static_cast<const char*>(bytes), length);
}

template <class T>
T get(std::string_view& in) noexcept {
  T value;
  std::memcpy(&value, &in.front(), sizeof(T));
  in.remove_prefix(sizeof(T));
  return value;
}

std::uint64_t checksum_of(std::string_view head) noexcept {
  const std::size_t at = offsetof(FileHeader, checksum);
  constexpr std::array<char, sizeof(std::uint64_t)> kZero{};
  std::uint64_t hash = fnv1a(head.substr(0, at));
  hash = fnv1a({kZero.data(), kZero.size()}, hash);
  return fnv1a(head.substr(at + sizeof(std::uint64_t)), hash);
}

std::string encode_head(std::string_view key, const StoredObject& object) {
  const http::HeaderMap& headers = object.headers();
  std::string head(sizeof(FileHeader), '\0');
  head.append(key);
  for (const http::HeaderField& field : headers) {
    const auto lengths = std::array{static_cast<std::uint32_t>(field.name.size()),
                                    static_cast<std::uint32_t>(field.value.size())};
    put(head, lengths.data(), sizeof(lengths));
    head.append(field.name);
    head.append(field.value);
  }
  FileHeader header{.magic = kMagic,
                    .head_length = static_cast<std::uint32_t>(head.size()),
                    .checksum = 0,
                    .body_length = object.body()->size(),
                    .request_time = object.times().request_time,
                    .response_time = object.times().response_time,
                    .key_length = static_cast<std::uint32_t>(key.size()),
                    .status = object.status(),
                    .field_count = static_cast<std::uint16_t>(headers.size())};
  std::memcpy(head.data(), &header, sizeof(header));
  header.checksum = checksum_of(head);
  std::memcpy(head.data(), &header, sizeof(header));
  return head;
}

bool write_all(int fd, std::string_view bytes) noexcept {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return true;
}

bool read_all(int fd, std::span<char> into, std::uint64_t offset) noexcept {
  while (!into.empty()) {
    const ssize_t got = ::pread(fd, into.data(), into.size(), static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    into = into.subspan(static_cast<std::size_t>(got));
    offset += static_cast<std::uint64_t>(got);
  }
  return true;
}

// Reads and checks the head of an open file; std::nullopt when the file is not one of ours, was
// cut short or is garbled. `key` receives the stored key (a view into the hit's head bytes).
std::optional<DiskStore::Hit> read_head(router::FileHandle file, std::string_view& key) {
  struct stat status = {};
  if (::fstat(file.get(), &status) != 0) return std::nullopt;
  const auto file_bytes = static_cast<std::uint64_t>(status.st_size);
  FileHeader header{};
  if (file_bytes < sizeof(header)) return std::nullopt;
  if (!read_all(file.get(), {reinterpret_cast<char*>(&header), sizeof(header)}, 0))
    return std::nullopt;
  if (header.magic != kMagic || header.head_length < sizeof(header) ||
      header.head_length > kMaxHeadLength || header.head_length > file_bytes ||
      file_bytes - header.head_length != header.body_length) {
    return std::nullopt;
  }
  DiskStore::Hit hit{.file = {},
                     .body_offset = header.head_length,
                     .body_length = header.body_length,
                     .status = header.status,
                     .times = {header.request_time, header.response_time},
                     .fields = {},
                     .head_bytes = std::vector<char>(header.head_length)};
  if (!read_all(file.get(), hit.head_bytes, 0)) return std::nullopt;
  std::string_view in(hit.head_bytes.data(), hit.head_bytes.size());
  if (checksum_of(in) != header.checksum) return std::nullopt;
  // The checksum vouches for the head, but a writer's bug must not become an overread.
  in.remove_prefix(sizeof(header));
  if (in.size() < header.key_length) return std::nullopt;
  key = in.substr(0, header.key_length);
  in.remove_prefix(header.key_length);
  hit.fields.reserve(header.field_count);
  for (std::uint16_t i = 0; i < header.field_count; ++i) {
    if (in.size() < 2 * sizeof(std::uint32_t)) return std::nullopt;
    const auto name_length = get<std::uint32_t>(in);
    const auto value_length = get<std::uint32_t>(in);
    if (in.size() < std::uint64_t{name_length} + value_length) return std::nullopt;
    hit.fields.push_back({in.substr(0, name_length), in.substr(name_length, value_length)});
    in.remove_prefix(name_length + value_length);
  }
  if (!in.empty()) return std::nullopt;
  hit.file = std::move(file);
  return hit;
}

router::FileHandle open_file(const std::filesystem::path& path) noexcept {
  return router::FileHandle(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
}

// A file name is the key's hash in 16 hex digits; std::nullopt for other names.
std::optional<std::uint64_t> name_of(const std::string& file_name) noexcept {
  std::uint64_t name = 0;
  const char* end = file_name.data() + file_name.size();
  const auto [at, error] = std::from_chars(file_name.data(), end, name, 16);
  if (file_name.size() != 16 || error != std::errc{} || at != end) return std::nullopt;
  return name;
}

}  // namespace

DiskStore::DiskStore(Options options) : options_(std::move(options)) {}

DiskStore::~DiskStore() = default;

core::Result<std::unique_ptr<DiskStore>> DiskStore::open(Options options) {
  std::error_code error;
  std::filesystem::create_directories(options.directory, error);
  if (error) return core::fail(core::ErrorKind::kInternal, "cannot create the cache directory");
  // Not make_unique: the constructor is private, so that every store has been scanned.
  std::unique_ptr<DiskStore> store(new DiskStore(std::move(options)));
  store->scan();
  return store;
}

void DiskStore::scan() {
  struct Found {
    std::filesystem::file_time_type modified;
    std::uint64_t name;
    std::string key;
    std::uint64_t bytes;
  };
  std::vector<Found> found;
  std::error_code error;
  for (const auto& item : std::filesystem::directory_iterator(options_.directory, error)) {
    if (!item.is_regular_file(error)) continue;
    const std::filesystem::path& path = item.path();
    if (path.filename().string().ends_with(kTemporarySuffix)) {
      std::filesystem::remove(path, error);
      continue;
    }
    const std::optional<std::uint64_t> name = name_of(path.filename().string());
    if (!name) continue;  // not ours
    std::string_view key;
    const std::optional<Hit> hit = read_head(open_file(path), key);
    if (!hit || fnv1a(key) != *name) {
      std::filesystem::remove(path, error);
      continue;
    }
    found.push_back({item.last_write_time(error), *name, std::string(key),
                     on_disk(hit->body_offset + hit->body_length)});
  }
  std::ranges::sort(found, {}, &Found::modified);
  const std::scoped_lock lock(mutex_);
  for (Found& item : found)
    index(item.name, std::move(item.key), item.bytes);
}

std::filesystem::path DiskStore::path_of(std::uint64_t name) const {
  std::array<char, 16> digits{};
  std::ranges::fill(digits, '0');
  const auto result = std::to_chars(digits.data(), digits.data() + digits.size(), name, 16);
  // Right-aligned: leading zeros keep every name 16 digits long.
  std::rotate(digits.begin(), result.ptr, digits.end());
  return options_.directory / std::string_view(digits.data(), digits.size());
}

core::Result<void> DiskStore::insert(std::string_view key, const StoredObject& object) {
  const StoredBody& body = *object.body();
  if (body.state() != BodyState::kComplete)
    return core::fail(core::ErrorKind::kInternal, "the disk cache stores only complete bodies");
  const std::uint64_t name = fnv1a(key);
  const std::string head = encode_head(key, object);
  const std::uint64_t bytes = on_disk(head.size() + body.size());
  if (bytes > options_.max_bytes) {
    erase(key);
    return {};
  }
  std::filesystem::path temporary;
  {
    const std::scoped_lock lock(mutex_);
    temporary = path_of(name);
    temporary += "." + std::to_string(next_temporary_++) + std::string(kTemporarySuffix);
  }
  const router::FileHandle file(
      ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!file) return core::fail(core::ErrorKind::kInternal, "cannot create a disk cache file");
  bool written = write_all(file.get(), head);
  for (std::uint64_t offset = 0; written && offset < body.size();) {
    const std::string_view piece = body.read(offset, body.size() - offset);
    written = write_all(file.get(), piece);
    offset += piece.size();
  }
  std::error_code error;
  if (!written) {
    std::filesystem::remove(temporary, error);
    return core::fail(core::ErrorKind::kInternal, "cannot write a disk cache file");
  }
  // Renamed under the lock, so that the index and the directory change together.
  const std::scoped_lock lock(mutex_);
  std::filesystem::rename(temporary, path_of(name), error);
  if (error) {
    std::filesystem::remove(temporary, error);
    return core::fail(core::ErrorKind::kInternal, "cannot rename a disk cache file");
  }
  index(name, std::string(key), bytes);
  return {};
}

std::optional<DiskStore::Hit> DiskStore::find(std::string_view key) {
  const std::uint64_t name = fnv1a(key);
  std::uint64_t sequence = 0;
  {
    const std::scoped_lock lock(mutex_);
    const auto it = entries_.find(name);
    if (it == entries_.end() || it->second.key != key) return std::nullopt;
    it->second.referenced = true;
    sequence = it->second.sequence;
  }
  // Opened outside the lock: the file may be replaced or evicted meanwhile, which the checks
  // below see (a missing file, or another key's).
  router::FileHandle file = open_file(path_of(name));
  if (!file) return std::nullopt;
  std::string_view stored_key;
  std::optional<Hit> hit = read_head(std::move(file), stored_key);
  if (hit && stored_key == key) return hit;
  if (!hit) {
    // Garbled since it was written (the disk, or someone else): it goes, unless it was replaced
    // while this read ran.
    const std::scoped_lock lock(mutex_);
    const auto it = entries_.find(name);
    if (it != entries_.end() && it->second.sequence == sequence) remove(name);
  }
  return std::nullopt;
}

bool DiskStore::erase(std::string_view key) {
  const std::uint64_t name = fnv1a(key);
  const std::scoped_lock lock(mutex_);
  const auto it = entries_.find(name);
  if (it == entries_.end() || it->second.key != key) return false;
  remove(name);
  return true;
}

std::uint64_t DiskStore::bytes() const {
  const std::scoped_lock lock(mutex_);
  return bytes_;
}

std::size_t DiskStore::size() const {
  const std::scoped_lock lock(mutex_);
  return entries_.size();
}

void DiskStore::index(std::uint64_t name, std::string key, std::uint64_t bytes) {
  Entry& entry = entries_[name];
  bytes_ = bytes_ - entry.bytes + bytes;
  entry = {
      .key = std::move(key), .bytes = bytes, .sequence = next_sequence_++, .referenced = false};
  clock_.push_back({name, entry.sequence});
  // Replacements and erasures leave stale places behind; a store that never fills would keep
  // them all.
  if (clock_.size() > 2 * entries_.size() + 64) {
    std::erase_if(clock_, [&](const Slot& slot) {
      const auto it = entries_.find(slot.name);
      return it == entries_.end() || it->second.sequence != slot.sequence;
    });
  }
  evict();
}

void DiskStore::remove(std::uint64_t name) {
  const auto it = entries_.find(name);
  bytes_ -= it->second.bytes;
  entries_.erase(it);
  std::error_code error;  // already gone is as good as removed
  std::filesystem::remove(path_of(name), error);
}

// CLOCK: the hand passes over objects read since its last pass (clearing the mark) and evicts
// the first one that was not.
void DiskStore::evict() {
  while (bytes_ > options_.max_bytes && !clock_.empty()) {
    const Slot slot = clock_.front();
    clock_.pop_front();
    const auto it = entries_.find(slot.name);
    if (it == entries_.end() || it->second.sequence != slot.sequence) continue;
    if (it->second.referenced) {
      it->second.referenced = false;
      clock_.push_back(slot);
      continue;
    }
    remove(slot.name);
  }
}

}  // namespace bulwark::cache
