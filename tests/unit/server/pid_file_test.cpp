// The pid file: created, locked and removed by the server; read by `bulwark reload`, which must
// tell a live server from a stale file.

#include "server/pid_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace bulwark::server {
namespace {

namespace fs = std::filesystem;

class PidFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "bulwark-pid-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = (fs::path(dir_) / "bulwark.pid").string();
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  std::string contents() const {
    std::ifstream in(path_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  void write(std::string_view text) const { std::ofstream(path_) << text; }

  // A pid that no process has: a child that has already been reaped.
  static pid_t dead_pid() {
    const pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    int status = 0;
    ::waitpid(child, &status, 0);
    return child;
  }

  std::string dir_;
  std::string path_;
};

TEST_F(PidFileTest, WritesThePidOnceAskedAndRemovesTheFileAtTheEnd) {
  {
    auto pid_file = PidFile::acquire(path_);
    ASSERT_TRUE(pid_file) << pid_file.error();
    EXPECT_TRUE(fs::exists(path_));
    EXPECT_EQ(contents(), "");  // not before the listeners are open
    ASSERT_TRUE(pid_file->write_pid());
    EXPECT_EQ(contents(), std::to_string(::getpid()) + "\n");
    auto live = read_live_pid(path_);
    ASSERT_TRUE(live) << live.error();
    EXPECT_EQ(*live, ::getpid());
  }
  EXPECT_FALSE(fs::exists(path_));
}

TEST_F(PidFileTest, AHeldFileIsRefusedAndLeftAsItIs) {
  auto first = PidFile::acquire(path_);
  ASSERT_TRUE(first);
  ASSERT_TRUE(first->write_pid());
  // Another open file description conflicts like another process would.
  auto second = PidFile::acquire(path_);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error(), "pid file '" + path_ + "' is held by a running bulwark (pid " +
                                std::to_string(::getpid()) + ")");
  EXPECT_EQ(contents(), std::to_string(::getpid()) + "\n");
}

TEST_F(PidFileTest, AStaleFileIsTakenOver) {
  write(std::to_string(dead_pid()) + "\n");
  auto pid_file = PidFile::acquire(path_);
  ASSERT_TRUE(pid_file) << pid_file.error();
  // Emptied at once: the old number must not be read as this process's.
  EXPECT_EQ(contents(), "");
  ASSERT_TRUE(pid_file->write_pid());
  EXPECT_EQ(contents(), std::to_string(::getpid()) + "\n");
}

TEST_F(PidFileTest, AMovedObjectRemovesTheFileOnce) {
  std::optional<PidFile> kept;
  {
    auto pid_file = PidFile::acquire(path_);
    ASSERT_TRUE(pid_file);
    kept = std::move(*pid_file);
  }
  EXPECT_TRUE(fs::exists(path_));
  EXPECT_TRUE(kept->names(path_));
  EXPECT_TRUE(kept->names(dir_ + "/./bulwark.pid"));
  EXPECT_FALSE(kept->names(dir_ + "/other.pid"));
  kept.reset();
  EXPECT_FALSE(fs::exists(path_));
}

TEST_F(PidFileTest, AFileThatWasReplacedIsNotRemoved) {
  auto pid_file = PidFile::acquire(path_);
  ASSERT_TRUE(pid_file);
  // Someone removed it and another server made a new one at the same path.
  fs::remove(path_);
  write("12345\n");
  std::optional<PidFile> gone(std::move(*pid_file));
  gone.reset();
  EXPECT_EQ(contents(), "12345\n");
}

TEST_F(PidFileTest, CannotCreate) {
  auto pid_file = PidFile::acquire(dir_ + "/missing/bulwark.pid");
  ASSERT_FALSE(pid_file);
  EXPECT_EQ(pid_file.error(),
            "cannot open pid file '" + dir_ + "/missing/bulwark.pid': No such file or directory");
}

TEST_F(PidFileTest, ReadLivePidExplainsWhyThereIsNone) {
  auto missing = read_live_pid(path_);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(),
            "no pid file at '" + path_ + "': is bulwark running with this pid_file?");

  const pid_t dead = dead_pid();
  write(std::to_string(dead) + "\n");
  auto stale = read_live_pid(path_);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error(), "pid file '" + path_ + "' is stale: process " + std::to_string(dead) +
                               " is not running");

  // A live process that does not hold the file is not a bulwark using it.
  write(std::to_string(::getpid()) + "\n");
  auto unlocked = read_live_pid(path_);
  ASSERT_FALSE(unlocked);
  EXPECT_EQ(unlocked.error(), "pid file '" + path_ + "' is stale: no running bulwark holds it");
}

TEST_F(PidFileTest, ReadLivePidOfAServerThatIsStartingOrWroteGarbage) {
  auto pid_file = PidFile::acquire(path_);
  ASSERT_TRUE(pid_file);
  auto starting = read_live_pid(path_);
  ASSERT_FALSE(starting);
  EXPECT_EQ(starting.error(), "pid file '" + path_ + "' is empty: bulwark is still starting");
  // The holder's descriptor writes at offset 0; this one overwrites what it wrote.
  write("twelve\n");
  auto garbage = read_live_pid(path_);
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error(), "pid file '" + path_ + "' does not hold a process id");
}

}  // namespace
}  // namespace bulwark::server
