// The inotify watcher on a real temporary directory: what an editor's rename-on-save, a
// Kubernetes ConfigMap's `..data` symlink swap and a plugin drop produce, what is ignored,
// and directories that come and go.
#include "host/common/directory_watcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <thread>

namespace epp::common {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

class Changes {
 public:
  void add(const std::string& what) {
    std::lock_guard lock(mutex_);
    seen_.push_back(what);
    cv_.notify_all();
  }
  // True once a change containing `text` arrived (within `timeout`).
  bool waitFor(const std::string& text, std::chrono::milliseconds timeout = 3s) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] {
      for (const auto& s : seen_) {
        if (s.find(text) != std::string::npos) return true;
      }
      return false;
    });
  }
  std::vector<std::string> take() {
    std::lock_guard lock(mutex_);
    return std::exchange(seen_, {});
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::string> seen_;
};

class DirectoryWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "eppd-watch-XXXXXX").string();
    dir_ = ::mkdtemp(pattern.data());
    auto w = DirectoryWatcher::start([this](const std::string& what) { changes_.add(what); });
    ASSERT_TRUE(w) << w.error();
    watcher_ = std::move(*w);
  }
  void TearDown() override {
    watcher_.reset();
    fs::remove_all(dir_);
  }
  void write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }
  // Writes a sibling temporary file and renames it over `path`, as editors do.
  void writeRenamed(const fs::path& path, const std::string& text) {
    fs::path tmp = path.parent_path() / ("." + path.filename().string() + ".tmp");
    write(tmp, text);
    fs::rename(tmp, path);
  }
  static bool isConfig(std::string_view name) {
    return name == "config.yaml" || name.starts_with("..data");
  }
  static bool isPlugin(std::string_view name) {
    return !name.starts_with(".") && name.ends_with(".so");
  }

  fs::path dir_;
  Changes changes_;
  std::unique_ptr<DirectoryWatcher> watcher_;
};

TEST_F(DirectoryWatcherTest, RenameOnSaveIsReportedAndOtherNamesAreNot) {
  write(dir_ / "config.yaml", "a");
  watcher_->setWatches({{dir_, isConfig}});
  write(dir_ / "notes.txt", "ignored");
  writeRenamed(dir_ / "config.yaml", "b");
  ASSERT_TRUE(changes_.waitFor("config.yaml"));
  for (const auto& c : changes_.take()) EXPECT_THAT(c, HasSubstr("config.yaml"));
  // In-place writes count too.
  write(dir_ / "config.yaml", "c");
  EXPECT_TRUE(changes_.waitFor("config.yaml"));
}

TEST_F(DirectoryWatcherTest, ConfigMapDataSymlinkSwapIsReported) {
  // The kubelet's AtomicWriter layout: config.yaml -> ..data/config.yaml,
  // ..data -> ..2026_01_01_v1.
  fs::create_directory(dir_ / "..2026_01_01_v1");
  write(dir_ / "..2026_01_01_v1" / "config.yaml", "v1");
  fs::create_directory_symlink("..2026_01_01_v1", dir_ / "..data");
  fs::create_symlink("..data/config.yaml", dir_ / "config.yaml");
  watcher_->setWatches({{dir_, isConfig}});

  fs::create_directory(dir_ / "..2026_01_01_v2");
  write(dir_ / "..2026_01_01_v2" / "config.yaml", "v2");
  fs::create_directory_symlink("..2026_01_01_v2", dir_ / "..data_tmp");
  fs::rename(dir_ / "..data_tmp", dir_ / "..data");
  fs::remove_all(dir_ / "..2026_01_01_v1");
  EXPECT_TRUE(changes_.waitFor("..data"));
  for (const auto& c : changes_.take()) EXPECT_THAT(c, HasSubstr("..data"));
}

TEST_F(DirectoryWatcherTest, PluginLibrariesAddedReplacedAndRemoved) {
  watcher_->setWatches({{dir_, isPlugin}});
  write(dir_ / ".hidden.so", "x");
  write(dir_ / "README.md", "x");
  writeRenamed(dir_ / "scorer.so", "v1");
  ASSERT_TRUE(changes_.waitFor("scorer.so"));
  std::this_thread::sleep_for(100ms);
  for (const auto& c : changes_.take()) EXPECT_THAT(c, HasSubstr("scorer.so"));
  fs::remove(dir_ / "scorer.so");
  EXPECT_TRUE(changes_.waitFor("scorer.so"));
}

TEST_F(DirectoryWatcherTest, ADirectoryThatAppearsLaterIsWatchedThen) {
  fs::path later = dir_ / "plugins";
  watcher_->setWatches({{later, isPlugin}});
  EXPECT_TRUE(watcher_->watchedDirectories().empty());
  fs::create_directory(later);
  ASSERT_TRUE(changes_.waitFor("appeared"));
  EXPECT_EQ(watcher_->watchedDirectories(), std::vector<fs::path>{later});
  write(later / "new.so", "x");
  EXPECT_TRUE(changes_.waitFor("new.so"));
}

TEST_F(DirectoryWatcherTest, ARemovedDirectoryIsReportedAndWatchedAgainWhenBack) {
  fs::path plugins = dir_ / "plugins";
  fs::create_directory(plugins);
  watcher_->setWatches({{plugins, isPlugin}});
  fs::remove_all(plugins);
  ASSERT_TRUE(changes_.waitFor("directory removed"));
  fs::create_directory(plugins);
  ASSERT_TRUE(changes_.waitFor("appeared"));
  write(plugins / "again.so", "x");
  EXPECT_TRUE(changes_.waitFor("again.so"));
}

TEST_F(DirectoryWatcherTest, OneDirectoryForConfigAndPluginsAndWatchesReplaced) {
  watcher_->setWatches({{dir_, isConfig}, {dir_, isPlugin}});
  write(dir_ / "lib.so", "x");
  ASSERT_TRUE(changes_.waitFor("lib.so"));
  writeRenamed(dir_ / "config.yaml", "x");
  ASSERT_TRUE(changes_.waitFor("config.yaml"));
  // Replacing the set drops the plugin rule.
  watcher_->setWatches({{dir_, isConfig}});
  changes_.take();
  write(dir_ / "other.so", "x");
  writeRenamed(dir_ / "config.yaml", "y");
  ASSERT_TRUE(changes_.waitFor("config.yaml"));
  std::this_thread::sleep_for(100ms);
  for (const auto& c : changes_.take()) EXPECT_THAT(c, ::testing::Not(HasSubstr("other.so")));
}

}  // namespace
}  // namespace epp::common
