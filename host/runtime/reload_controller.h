// File: host/runtime/reload_controller.h
//
// Hot reload: the triggers, one reload thread, and the publish.
//
// Triggers: an inotify watch on the config file's directory (the file's name and any
// `..data*` name, so editors' rename-on-save and a ConfigMap's `..data` symlink swap both
// count) and on every plugin directory (a `*.so` added, replaced or removed), SIGHUP
// (serve forwards it), and POST /reload (reloadNow). Watch and signal triggers are
// debounced (quiet period, then at most maxDelay after the first); POST /reload runs at
// once and answers with the outcome.
//
// One attempt at a time, on the reload thread; the request path only ever copies the
// published snapshot pointer (LiveConfig) and never waits for a reload. An attempt:
//   1. reads the config text and lists the plugin files; when both match what the live
//      snapshot was built from, it is a no-op ("unchanged");
//   2. builds the complete next snapshot off to the side: parse, scan into a fresh
//      registry (a replaced library loads beside the old one), resolve, instantiate —
//      reusing each unchanged instance of the live snapshot with its state —, then a
//      dry-run decision over the endpoints it will serve;
//   3. publishes atomically: static endpoints first (learnt metrics kept), then the
//      snapshot. Any failure publishes nothing and is logged with file:line:col, counted
//      (eppd_config_reload_total{result="failure"}) and shown in /config.
// Old snapshots stay alive while requests hold them, then release their instances and
// libraries; more than `server.maxRetainedSnapshots` of them still alive is logged.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "host/common/debouncer.h"
#include "host/common/directory_watcher.h"
#include "host/datalayer/endpoint_snapshot.h"
#include "host/runtime/config_loader.h"
#include "host/runtime/live_config.h"
#include "host/runtime/reload_outcome.h"
#include "host/runtime/source_fingerprint.h"

namespace epp::runtime {

class ReloadController {
 public:
  struct Options {
    LoadOptions load;
    std::chrono::milliseconds quiet{200};
    std::chrono::milliseconds maxDelay{2000};
    bool watch = true;
    // Runs on the reload thread after each publish (serve updates readiness with it).
    std::function<void(const ConfigSnapshot&)> onPublished;
  };

  // `initial` is what serve loaded and published in `live`.
  ReloadController(Options options, LiveConfig& live, datalayer::EndpointStore& endpoints,
                   const LoadedConfig& initial);
  ~ReloadController();
  ReloadController(const ReloadController&) = delete;
  ReloadController& operator=(const ReloadController&) = delete;

  // Starts the reload thread, and the watcher when enabled. An unusable inotify is logged
  // and leaves SIGHUP and POST /reload working.
  void start();
  // Lets a reload in progress finish, then stops; later requests fail at once.
  void stop();

  // A debounced trigger.
  void notify(const std::string& trigger);
  // An immediate attempt (after any in progress), waited for.
  ReloadOutcome reloadNow(const std::string& trigger,
                          std::chrono::milliseconds timeout = std::chrono::seconds(30));
  std::optional<ReloadOutcome> lastOutcome() const;

 private:
  struct Request {
    std::string trigger;
    std::shared_ptr<std::promise<ReloadOutcome>> done;
  };

  void run();
  ReloadOutcome attemptSafely(const std::string& trigger);
  ReloadOutcome attempt(const std::string& trigger);
  ReloadOutcome finish(ReloadOutcome outcome, std::chrono::steady_clock::time_point started);
  void updateWatches();
  void housekeeping();

  Options options_;
  LiveConfig& live_;
  datalayer::EndpointStore& endpoints_;

  // Reload thread only.
  SourceFingerprint fingerprint_;
  std::vector<std::filesystem::path> pluginDirs_;
  std::vector<uint64_t> retained_;

  std::mutex mutex_;  // guards the queue, the debouncer, running_ and stopping_
  std::condition_variable wake_;
  std::deque<Request> requests_;
  common::Debouncer debouncer_;
  bool running_ = false;
  bool stopping_ = false;
  std::thread thread_;
  std::unique_ptr<common::DirectoryWatcher> watcher_;

  mutable std::mutex outcomeMutex_;
  std::optional<ReloadOutcome> last_;
};

}  // namespace epp::runtime
