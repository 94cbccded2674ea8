#include "host/runtime/reload_controller.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <tuple>

#include "host/common/clock.h"
#include "host/common/logging.h"
#include "host/common/sha256.h"
#include "host/runtime/dry_run.h"
#include "host/runtime/metrics.h"
#include "host/runtime/snapshot_reaper.h"
#include "host/runtime/static_endpoints.h"

namespace epp::runtime {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kHousekeepingPeriod = std::chrono::seconds(1);

std::string shortHash(const std::string& sha) { return sha.substr(0, 12); }

auto restartOnly(const config::ServerSpec& s) {
  return std::tie(s.extprocPort, s.healthPort, s.metricsPort, s.adminPort, s.adminAddress,
                  s.metricsAddress, s.decisionHistory);
}

std::vector<datalayer::EndpointState> statesOf(const datalayer::EndpointSnapshot& eps) {
  std::vector<datalayer::EndpointState> out;
  out.reserve(eps.size());
  for (size_t i = 0; i < eps.size(); ++i) out.push_back(eps.state(i));
  return out;
}

bool isPluginName(std::string_view name) {
  return name.starts_with("..data") || (!name.starts_with(".") && name.ends_with(".so"));
}

}  // namespace

ReloadController::ReloadController(Options options, LiveConfig& live,
                                   datalayer::EndpointStore& endpoints, const LoadedConfig& initial)
    : options_(std::move(options)),
      live_(live),
      endpoints_(endpoints),
      fingerprint_{initial.snapshot->config.sha256, initial.pluginFiles},
      pluginDirs_(initial.pluginDirs),
      debouncer_(options_.quiet, options_.maxDelay) {}

ReloadController::~ReloadController() { stop(); }

void ReloadController::start() {
  // The watcher exists before the reload thread, which alone touches it from then on.
  if (options_.watch) {
    auto watcher = common::DirectoryWatcher::start(
        [this](const std::string& what) { notify("inotify: " + what); });
    if (watcher) {
      watcher_ = std::move(*watcher);
      updateWatches();
    } else {
      common::logger()->error(
          "reload: cannot watch the config and plugin directories ({}); SIGHUP and POST "
          "/reload still reload",
          watcher.error());
    }
  }
  thread_ = std::thread([this] { run(); });
  std::lock_guard lock(mutex_);
  running_ = true;
}

void ReloadController::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  watcher_.reset();
}

void ReloadController::notify(const std::string& trigger) {
  {
    std::lock_guard lock(mutex_);
    debouncer_.poke(Clock::now(), trigger);
  }
  wake_.notify_all();
}

ReloadOutcome ReloadController::reloadNow(const std::string& trigger,
                                          std::chrono::milliseconds timeout) {
  auto done = std::make_shared<std::promise<ReloadOutcome>>();
  std::future<ReloadOutcome> outcome = done->get_future();
  ReloadOutcome refused;
  refused.result = "failure";
  refused.trigger = trigger;
  refused.atWallMs = common::wallTimeNs() / 1'000'000;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || !running_) {
      refused.error = "eppd is not accepting reloads (starting or shutting down)";
      return refused;
    }
    requests_.push_back({trigger, done});
  }
  wake_.notify_all();
  if (outcome.wait_for(timeout) != std::future_status::ready) {
    refused.error =
        fmt::format("no outcome within {} ms (a reload is still running)", timeout.count());
    return refused;
  }
  return outcome.get();
}

std::optional<ReloadOutcome> ReloadController::lastOutcome() const {
  std::lock_guard lock(outcomeMutex_);
  return last_;
}

void ReloadController::run() {
  std::unique_lock lock(mutex_);
  Clock::time_point nextTick = Clock::now() + kHousekeepingPeriod;
  while (!stopping_) {
    Clock::time_point now = Clock::now();
    if (!requests_.empty()) {
      std::deque<Request> batch = std::exchange(requests_, {});
      // A pending debounced change is covered by this attempt too.
      std::vector<std::string> triggers;
      for (const auto& r : batch) triggers.push_back(r.trigger);
      for (auto& t : debouncer_.take()) triggers.push_back(std::move(t));
      triggers.erase(std::unique(triggers.begin(), triggers.end()), triggers.end());
      lock.unlock();
      ReloadOutcome outcome = attemptSafely(fmt::format("{}", fmt::join(triggers, ", ")));
      for (auto& r : batch) r.done->set_value(outcome);
      housekeeping();
      lock.lock();
      continue;
    }
    if (debouncer_.isDue(now)) {
      std::vector<std::string> triggers = debouncer_.take();
      lock.unlock();
      attemptSafely(fmt::format("{}", fmt::join(triggers, ", ")));
      housekeeping();
      lock.lock();
      continue;
    }
    if (now >= nextTick) {
      nextTick = now + kHousekeepingPeriod;
      lock.unlock();
      housekeeping();
      lock.lock();
      continue;
    }
    Clock::time_point until = nextTick;
    if (debouncer_.pending()) until = std::min(until, debouncer_.due());
    wake_.wait_until(lock, until);
  }
  for (auto& r : requests_) {
    ReloadOutcome o;
    o.result = "failure";
    o.trigger = r.trigger;
    o.error = "eppd is shutting down";
    r.done->set_value(o);
  }
  requests_.clear();
}

ReloadOutcome ReloadController::attemptSafely(const std::string& trigger) {
  try {
    return attempt(trigger);
  } catch (const std::exception& e) {
    // Only a host-side failure (allocation, filesystem) gets here; plugins report through
    // statuses. The reload thread must survive it.
    ReloadOutcome out;
    out.trigger = trigger;
    out.result = "failure";
    out.error = std::string("internal error: ") + e.what();
    out.atWallMs = common::wallTimeNs() / 1'000'000;
    out.previousGeneration = out.generation = live_.current()->generation;
    return finish(std::move(out), Clock::now());
  }
}

ReloadOutcome ReloadController::attempt(const std::string& trigger) {
  Clock::time_point started = Clock::now();
  ConfigSnapshotPtr live = live_.current();
  ReloadOutcome out;
  out.trigger = trigger;
  out.atWallMs = common::wallTimeNs() / 1'000'000;
  out.previousGeneration = out.generation = live->generation;
  auto fail = [&](std::string error) {
    out.result = "failure";
    out.error = std::move(error);
    return finish(std::move(out), started);
  };

  LoadInputs inputs;
  inputs.previous = live.get();
  SourceFingerprint next;
  if (options_.load.configPath) {
    auto text = readConfigText(*options_.load.configPath);
    if (!text) return fail(text.error());
    next.configSha256 = common::sha256Hex(std::as_bytes(std::span(text->data(), text->size())));
    inputs.configText = std::move(*text);
  } else {
    next.configSha256 = live->config.sha256;
  }
  next.pluginFiles = pluginFilesFingerprint(pluginDirs_);
  if (next == fingerprint_) {
    out.result = "unchanged";
    return finish(std::move(out), started);
  }

  std::vector<std::string> warnings;
  inputs.pluginWarnings = &warnings;
  auto loaded = loadConfiguration(options_.load, live->generation + 1, inputs);
  if (!loaded) {
    std::string error = loaded.error();
    if (!warnings.empty()) {
      error +=
          fmt::format("\nplugin files that failed to load:\n  {}", fmt::join(warnings, "\n  "));
    }
    return fail(std::move(error));
  }
  for (const auto& w : warnings) common::logger()->warn("reload: plugin: {}", w);
  const ConfigSnapshotPtr& snap = loaded->snapshot;

  // The dry run sees the endpoints the new snapshot will serve.
  bool newEndpoints = !sameStaticEndpoints(live->config, snap->config);
  datalayer::EndpointSnapshotPtr eps = endpoints_.current();
  if (newEndpoints) eps = detachedEndpoints(mergeStaticEndpoints(snap->config, statesOf(*eps)));
  if (auto dry = dryRunDecision(*snap, eps); !dry) return fail(dry.error());

  if (restartOnly(snap->config.server) != restartOnly(live->config.server)) {
    common::logger()->warn(
        "reload: server ports, addresses and decisionHistory take effect only at restart; the "
        "running values stay");
  }
  if (newEndpoints) {
    endpoints_.update([&](std::vector<datalayer::EndpointState>& states) {
      states = mergeStaticEndpoints(snap->config, states);
      return true;
    });
  }
  live_.publish(snap, loaded->registry);
  fingerprint_ = {snap->config.sha256, loaded->pluginFiles};
  bool dirsChanged = pluginDirs_ != loaded->pluginDirs;
  pluginDirs_ = loaded->pluginDirs;
  if (dirsChanged) updateWatches();
  Metrics::get().configLoaded(snap->generation, snap->config.sha256);
  if (options_.onPublished) options_.onPublished(*snap);

  out.result = "success";
  out.generation = snap->generation;
  out.instances = snap->instances.size();
  for (const auto& info : snap->instanceInfo) {
    out.carriedOver += info.createdInGeneration < snap->generation ? 1 : 0;
  }
  return finish(std::move(out), started);
}

ReloadOutcome ReloadController::finish(ReloadOutcome out, Clock::time_point started) {
  out.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  Metrics::get().configReload(out.result, out.seconds);
  auto& log = *common::logger();
  if (out.result == "success") {
    ConfigSnapshotPtr snap = live_.current();
    log.info(
        "config reloaded ({}): generation {} -> {}, sha256 {}, {} of {} plugin instances "
        "carried over with their state, {:.0f} ms",
        out.trigger, out.previousGeneration, out.generation, shortHash(snap->config.sha256),
        out.carriedOver, out.instances, out.seconds * 1000);
  } else if (out.result == "failure") {
    log.error("config reload failed ({}); generation {} keeps serving: {}", out.trigger,
              out.generation, out.error);
  } else {
    log.info("config reload ({}): config and plugin files unchanged, nothing to do", out.trigger);
  }
  std::lock_guard lock(outcomeMutex_);
  last_ = out;
  return out;
}

void ReloadController::housekeeping() {
  SnapshotReaper::reap();
  std::vector<uint64_t> retained = live_.retainedGenerations();
  Metrics::get().liveSnapshots(retained.size() + 1);
  for (uint64_t g : retained_) {
    if (std::find(retained.begin(), retained.end(), g) == retained.end()) {
      common::logger()->info(
          "config generation {} released: no request holds it any more (its own plugin "
          "instances are destroyed, libraries no live snapshot uses are unloaded)",
          g);
    }
  }
  size_t cap =
      static_cast<size_t>(std::max(0, live_.current()->config.server.maxRetainedSnapshots));
  bool grew = retained.size() > retained_.size();
  if (grew && retained.size() > cap) {
    common::logger()->warn(
        "{} old config snapshots are still held by in-flight requests (server."
        "maxRetainedSnapshots {}): generations [{}]; each keeps its plugin instances and "
        "libraries loaded until its last request ends",
        retained.size(), cap, fmt::join(retained, ", "));
  }
  retained_ = std::move(retained);
}

void ReloadController::updateWatches() {
  if (!watcher_) return;
  std::vector<common::DirectoryWatcher::Watch> watches;
  if (options_.load.configPath) {
    std::filesystem::path path(*options_.load.configPath);
    std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
    watches.push_back({dir, [file = path.filename().string()](std::string_view name) {
                         return name == file || name.starts_with("..data");
                       }});
  }
  for (const auto& d : pluginDirs_) watches.push_back({d, isPluginName});
  watcher_->setWatches(std::move(watches));
}

}  // namespace epp::runtime
