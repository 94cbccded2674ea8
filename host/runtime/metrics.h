// File: host/runtime/metrics.h
//
// eppd's request-path metrics, with the reference EPP's names where they exist
// (inference_objective_*, inference_extension_*, inference_pool_*) and eppd's own
// (eppd_*). Families are registered once; per-plugin series are resolved when a config
// snapshot is built, so the request path only updates counters.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

#include "host/loader/plugin_instance.h"

namespace epp::runtime {

class Metrics {
 public:
  static Metrics& get();

  // Request outcome by model; error_code as in the reference ("BadRequest", …).
  void requestStarted(const std::string& model, const std::string& target, int priority);
  void requestError(const std::string& model, const std::string& target,
                    const std::string& errorCode);
  void requestCompleted(const std::string& model, const std::string& target, double seconds,
                        int64_t inputTokens, int64_t outputTokens);
  void runningDelta(const std::string& model, double delta);
  void schedulerDuration(double seconds, bool success);
  void pluginDuration(const loader::PluginInstance& plugin, const char* extensionPoint,
                      double seconds);
  void pluginError(const std::string& pluginName, const std::string& extensionPoint);
  void configLoaded(uint64_t generation, const std::string& sha256);
  // One reload attempt: result is "success", "failure" or "unchanged".
  void configReload(const std::string& result, double seconds);
  // Config snapshots alive (the current one and those in-flight requests still hold).
  void liveSnapshots(size_t count);
  // One ext_proc stream ended: result (routed, immediate-response, cancelled, …) and the
  // HTTP status of an ImmediateResponse ("0" otherwise).
  void streamEnded(const char* result, int httpStatus);
  // Every candidate's metrics were stale: routed round-robin (`on` says whether that mode
  // is in force now; it is also a gauge).
  // SLO outcomes (slo.h): slo "ttft" or "tpot", outcome "met", "missed" or "unmeasured".
  void sloOutcome(const std::string& model, const std::string& profile, const char* slo,
                  const char* outcome);
  void sloHeaderInvalid(const char* header);
  // A /tokenize call (tokenization:): its outcome and how long it took.
  void tokenized(const std::string& outcome, double seconds);
  // A successful request's TTFT and, when known (>= 0), TPOT, in seconds.
  void tokenLatency(const std::string& model, double ttftSeconds, double tpotSeconds);
  void degradedRouting(bool on);
  void degradedRequest();
  void poolState(const std::string& pool, size_t ready, double avgKv, double avgQueue,
                 double avgRunning);

 private:
  Metrics();
  prometheus::Family<prometheus::Counter>& requestTotal_;
  prometheus::Family<prometheus::Counter>& requestErrors_;
  prometheus::Family<prometheus::Histogram>& requestDuration_;
  prometheus::Family<prometheus::Histogram>& inputTokens_;
  prometheus::Family<prometheus::Histogram>& outputTokens_;
  prometheus::Family<prometheus::Gauge>& running_;
  prometheus::Family<prometheus::Histogram>& schedulerE2e_;
  prometheus::Family<prometheus::Counter>& schedulerAttempts_;
  prometheus::Family<prometheus::Histogram>& pluginDuration_;
  prometheus::Family<prometheus::Counter>& pluginErrors_;
  prometheus::Family<prometheus::Counter>& streams_;
  prometheus::Family<prometheus::Gauge>& configGeneration_;
  prometheus::Family<prometheus::Gauge>& configInfo_;
  prometheus::Family<prometheus::Counter>& configReloads_;
  prometheus::Family<prometheus::Histogram>& configReloadDuration_;
  prometheus::Family<prometheus::Gauge>& liveSnapshots_;
  prometheus::Family<prometheus::Counter>& sloRequests_;
  prometheus::Family<prometheus::Counter>& sloInvalidHeaders_;
  prometheus::Family<prometheus::Histogram>& ttft_;
  prometheus::Family<prometheus::Histogram>& tpot_;
  prometheus::Family<prometheus::Counter>& tokenizeRequests_;
  prometheus::Histogram& tokenizeDuration_;
  prometheus::Gauge& degraded_;
  prometheus::Counter& degradedRequests_;
  prometheus::Family<prometheus::Gauge>& poolReady_;
  prometheus::Family<prometheus::Gauge>& poolKv_;
  prometheus::Family<prometheus::Gauge>& poolQueue_;
  prometheus::Family<prometheus::Gauge>& poolRunning_;
  prometheus::Histogram& scheduler_;
  // Plugin series are created on first use per (instance, point) and kept for the
  // process: prometheus-cpp's Add() takes a lock, this cache avoids it on the hot path
  // after the first request. Reloads destroy instances and a new one may get a freed
  // address, so an entry also remembers whose it is.
  struct PluginSeries {
    prometheus::Histogram* histogram = nullptr;
    std::string name;
    std::string type;
  };
  std::mutex pluginMutex_;
  std::map<std::pair<const loader::PluginInstance*, const char*>, PluginSeries> pluginSeries_;

  // Series of the per-request families by their label values joined with '\x1f'. Family::
  // Add builds a label map and hashes it on every call, the costliest part of recording a
  // request; these families never remove a series, so a pointer found once stays valid.
  struct RequestSeries {
    prometheus::Histogram* duration;
    prometheus::Histogram* inputTokens;
    prometheus::Histogram* outputTokens;
  };
  template <typename T, typename Make>
  T& cached(std::unordered_map<std::string, T>& cache, const std::string& key, Make make);
  std::mutex seriesMutex_;
  std::unordered_map<std::string, prometheus::Counter*> startedSeries_;
  std::unordered_map<std::string, RequestSeries> completedSeries_;
  std::unordered_map<std::string, prometheus::Gauge*> runningSeries_;
  std::unordered_map<std::string, prometheus::Counter*> streamSeries_;
  std::unordered_map<std::string, prometheus::Counter*> attemptSeries_;
  prometheus::Gauge* configInfoSeries_ = nullptr;
};

}  // namespace epp::runtime
