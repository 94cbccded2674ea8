// File: host/common/directory_watcher.h
//
// Watches directories with inotify and reports changes to the names a caller cares about.
// Directories, not files: an editor's rename-on-save replaces the file's inode, and a
// Kubernetes ConfigMap swaps a `..data` symlink over the old one, so a watch on the file
// itself would follow the old inode and fall silent (kubernetes#111947). A directory that
// does not exist yet, or that disappears (its own IN_DELETE_SELF / IN_MOVE_SELF), is
// retried every second and reported when it comes (back).
//
//   auto watcher = DirectoryWatcher::start([&](const std::string& what) { reload(what); });
//   (*watcher)->setWatches({{"/etc/eppd", [](std::string_view n) { return n == "eppd.yaml"; }}});
//
// The callback runs on the watcher's own thread; it should only note the change (see
// Debouncer) and return.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "host/common/result.h"

namespace epp::common {

class DirectoryWatcher {
 public:
  struct Watch {
    std::filesystem::path dir;
    // True for an entry name whose creation, change, rename or removal matters.
    std::function<bool(std::string_view name)> relevant;
  };
  // `what` names the change: "<dir>/<name>", "<dir> (directory gone)", … for log lines.
  using Callback = std::function<void(const std::string& what)>;

  static Result<std::unique_ptr<DirectoryWatcher>> start(Callback onChange);
  ~DirectoryWatcher();
  DirectoryWatcher(const DirectoryWatcher&) = delete;
  DirectoryWatcher& operator=(const DirectoryWatcher&) = delete;

  // Replaces the watched set (several watches may name one directory). Thread-safe.
  void setWatches(std::vector<Watch> watches);
  // The directories actually watched now (tests, admin).
  std::vector<std::filesystem::path> watchedDirectories() const;

 private:
  struct Dir {
    std::filesystem::path path;
    std::vector<std::function<bool(std::string_view)>> relevant;
    int wd = -1;  // -1: missing, retried
  };

  DirectoryWatcher(int inotifyFd, int wakeFd, Callback onChange);
  void run();
  void handleEvents();
  void retryMissing();
  bool addWatch(Dir& dir);

  int inotifyFd_;
  int wakeFd_;  // eventfd: stop
  Callback onChange_;
  mutable std::mutex mutex_;
  std::vector<Dir> dirs_;
  std::thread thread_;
};

}  // namespace epp::common
