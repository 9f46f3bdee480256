#include "cache/disk_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "test_object.h"

namespace bulwark::cache {
namespace {

namespace fs = std::filesystem;

class DiskStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = fs::temp_directory_path() /
                 ("bulwark-disk-store-" + std::to_string(::getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }

  std::unique_ptr<DiskStore> open(std::uint64_t max_bytes = 1U << 20) {
    auto store = DiskStore::open({.directory = directory_, .max_bytes = max_bytes});
    EXPECT_TRUE(store.has_value());
    return store ? std::move(*store) : nullptr;
  }

  // The one object file in the directory.
  [[nodiscard]] fs::path only_file() const {
    std::vector<fs::path> files;
    for (const auto& item : fs::directory_iterator(directory_))
      files.push_back(item.path());
    EXPECT_EQ(files.size(), 1U);
    return files.empty() ? fs::path{} : files.front();
  }

  fs::path directory_;
};

std::string body_of(const DiskStore::Hit& hit) {
  std::string body(hit.body_length, '\0');
  EXPECT_EQ(::pread(hit.file.get(), body.data(), body.size(), static_cast<off_t>(hit.body_offset)),
            static_cast<ssize_t>(body.size()));
  return body;
}

std::string tag_of(const DiskStore::Hit& hit) {
  for (const http::HeaderField& field : hit.fields)
    if (field.name == "x-tag") return std::string(field.value);
  return {};
}

TEST_F(DiskStoreTest, FindsWhatWasInsertedWithItsHead) {
  const auto store = open();
  ASSERT_TRUE(store->insert("/a", *make_test_object("hello, disk", "one", {100, 101})));
  std::optional<DiskStore::Hit> hit = store->find("/a");
  if (!hit) FAIL() << "no hit";
  EXPECT_EQ(hit->status, 200);
  EXPECT_EQ(hit->times.request_time, 100);
  EXPECT_EQ(hit->times.response_time, 101);
  ASSERT_EQ(hit->fields.size(), 2U);
  EXPECT_EQ(hit->fields[0].name, "content-type");
  EXPECT_EQ(hit->fields[0].value, "text/plain");
  EXPECT_EQ(tag_of(*hit), "one");
  EXPECT_EQ(body_of(*hit), "hello, disk");
  EXPECT_FALSE(store->find("/b").has_value());
  EXPECT_EQ(store->size(), 1U);
  EXPECT_EQ(store->bytes(), 4096U);
}

TEST_F(DiskStoreTest, ReplacesAndErases) {
  const auto store = open();
  ASSERT_TRUE(store->insert("/a", *make_test_object("first", "one")));
  // An open hit keeps reading its own file when the key gets a new one.
  const std::optional<DiskStore::Hit> old_hit = store->find("/a");
  ASSERT_TRUE(store->insert("/a", *make_test_object(std::string(5000, 'y'), "two")));
  EXPECT_EQ(store->size(), 1U);
  EXPECT_EQ(store->bytes(), 8192U);
  const std::optional<DiskStore::Hit> hit = store->find("/a");
  if (!hit) FAIL() << "no hit";
  EXPECT_EQ(tag_of(*hit), "two");
  EXPECT_EQ(body_of(*hit), std::string(5000, 'y'));
  if (!old_hit) FAIL() << "no hit";
  EXPECT_EQ(body_of(*old_hit), "first");
  EXPECT_TRUE(store->erase("/a"));
  EXPECT_FALSE(store->erase("/a"));
  EXPECT_FALSE(store->find("/a").has_value());
  EXPECT_EQ(store->bytes(), 0U);
  EXPECT_TRUE(fs::is_empty(directory_));
}

TEST_F(DiskStoreTest, ARestartFindsTheEntries) {
  {
    const auto store = open();
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(
          store->insert("/k" + std::to_string(i), *make_test_object("body " + std::to_string(i))));
    }
  }
  const auto store = open();
  EXPECT_EQ(store->size(), 5U);
  EXPECT_EQ(store->bytes(), 5U * 4096);
  for (int i = 0; i < 5; ++i) {
    const std::optional<DiskStore::Hit> hit = store->find("/k" + std::to_string(i));
    if (!hit) FAIL() << "no hit" << i;
    EXPECT_EQ(body_of(*hit), "body " + std::to_string(i));
  }
}

TEST_F(DiskStoreTest, ARestartDropsTornAndGarbledFilesAndUnfinishedWrites) {
  {
    const auto store = open();
    ASSERT_TRUE(store->insert("/torn", *make_test_object("a body cut short")));
  }
  const fs::path torn = only_file();
  {
    const auto store = open();
    ASSERT_TRUE(store->insert("/garbled", *make_test_object("a body")));
  }
  fs::path garbled;
  for (const auto& item : fs::directory_iterator(directory_))
    if (item.path() != torn) garbled = item.path();
  fs::resize_file(torn, fs::file_size(torn) - 3);
  {
    // Within the first field's name: the file still parses, only the checksum tells.
    std::fstream file(garbled, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(70);
    file.put('#');
  }
  std::ofstream(directory_ / "00000000000000ab.7.tmp") << "half a write";
  std::ofstream(directory_ / "README") << "not the store's";
  const auto store = open();
  EXPECT_EQ(store->size(), 0U);
  EXPECT_FALSE(store->find("/torn").has_value());
  EXPECT_FALSE(store->find("/garbled").has_value());
  EXPECT_FALSE(fs::exists(torn));
  EXPECT_FALSE(fs::exists(garbled));
  EXPECT_FALSE(fs::exists(directory_ / "00000000000000ab.7.tmp"));
  EXPECT_TRUE(fs::exists(directory_ / "README"));
}

TEST_F(DiskStoreTest, AFileGarbledWhileStoredIsNotServed) {
  const auto store = open();
  ASSERT_TRUE(store->insert("/a", *make_test_object("body")));
  {
    std::fstream file(only_file(), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(50);
    file.put('#');
  }
  EXPECT_FALSE(store->find("/a").has_value());
  EXPECT_EQ(store->size(), 0U);
}

TEST_F(DiskStoreTest, StaysWithinItsBytesAndKeepsWhatIsRead) {
  const auto store = open(std::uint64_t{10} * 4096);
  ASSERT_TRUE(store->insert("/hot", *make_test_object("hot")));
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(store->insert("/k" + std::to_string(i), *make_test_object(std::string(3000, 'z'))));
    EXPECT_LE(store->bytes(), 10U * 4096);
    EXPECT_TRUE(store->find("/hot").has_value()) << i;
  }
  EXPECT_EQ(store->size(), 10U);
  EXPECT_FALSE(store->find("/k0").has_value());
  EXPECT_TRUE(store->find("/k49").has_value());
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& item : fs::directory_iterator(directory_))
    ++files;
  EXPECT_EQ(files, 10U) << "evicted files are removed";
}

TEST_F(DiskStoreTest, RefusesAnObjectLargerThanTheStore) {
  const auto store = open(std::uint64_t{2} * 4096);
  ASSERT_TRUE(store->insert("/a", *make_test_object("small")));
  ASSERT_TRUE(store->insert("/a", *make_test_object(std::string(9000, 'x'))));
  EXPECT_FALSE(store->find("/a").has_value()) << "the older response must not stay";
  EXPECT_EQ(store->size(), 0U);
  EXPECT_TRUE(fs::is_empty(directory_));
}

// Threads of a pool writing, reading and erasing the same keys: a hit's head and body always come
// from one write (the body repeats the tag), and the index matches the directory at the end.
TEST_F(DiskStoreTest, ThreadsShareKeys) {
  const auto store = open(std::uint64_t{40} * 4096);
  std::atomic<int> mixed{0};
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (unsigned t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 random(t);
      for (int i = 0; i < 300; ++i) {
        const std::string key = "/k" + std::to_string(random() % 16);
        const unsigned op = random() % 10;
        if (op < 5) {
          const std::optional<DiskStore::Hit> hit = store->find(key);
          if (hit && body_of(*hit) != std::string(1000, tag_of(*hit).front())) ++mixed;
        } else if (op < 9) {
          const std::string tag(1, static_cast<char>('a' + (random() % 26)));
          EXPECT_TRUE(store->insert(key, *make_test_object(std::string(1000, tag.front()), tag)));
        } else {
          store->erase(key);
        }
      }
    });
  }
  for (std::thread& thread : threads)
    thread.join();
  EXPECT_EQ(mixed.load(), 0);
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& item : fs::directory_iterator(directory_))
    ++files;
  EXPECT_EQ(files, store->size()) << "no file left behind, none missing";
}

}  // namespace
}  // namespace bulwark::cache
