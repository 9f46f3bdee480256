#pragma once
// A directory tree under /tmp for one test, removed at the end.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace bulwark::router::testing {

class TempTree {
 public:
  TempTree() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "bulwark-static-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    base_ = pattern;
  }
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;
  ~TempTree() {
    std::error_code ignored;
    std::filesystem::remove_all(base_, ignored);
  }

  [[nodiscard]] std::string path(const std::string& relative = {}) const {
    return relative.empty() ? base_.string() : (base_ / relative).string();
  }
  // Writes a file (and the directories above it), with a modification time well in the past so
  // that its validators are strong, unless `mtime` says otherwise.
  void file(const std::string& relative, const std::string& content,
            std::time_t mtime = 1'000'000) const {
    const std::filesystem::path target = base_ / relative;
    std::filesystem::create_directories(target.parent_path());
    std::ofstream(target, std::ios::binary) << content;
    const std::array<timeval, 2> times{timeval{mtime, 0}, timeval{mtime, 0}};
    ::utimes(target.c_str(), times.data());
  }
  void directory(const std::string& relative) const {
    std::filesystem::create_directories(base_ / relative);
  }
  void symlink(const std::string& target, const std::string& relative) const {
    std::filesystem::create_directories((base_ / relative).parent_path());
    std::filesystem::create_symlink(target, base_ / relative);
  }

 private:
  std::filesystem::path base_;
};

}  // namespace bulwark::router::testing
