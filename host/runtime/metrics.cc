#include "host/runtime/metrics.h"

#include <prometheus/registry.h>

#include "host/common/metrics_registry.h"

namespace epp::runtime {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;
using prometheus::Histogram;

Histogram::BucketBoundaries latencyBuckets() {
  return {0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1,   1.25, 1.5, 2,   3,   4,   5,    6,
          8,     10,    15,   20,  30,  45,  60,  120, 180, 240,  300, 360, 480, 600, 1200, 3600};
}
// Time per output token: 1 ms to 1 s.
Histogram::BucketBoundaries tpotBuckets() {
  return {0.001, 0.002, 0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04,
          0.05,  0.075, 0.1,   0.15, 0.2,   0.3,  0.5,   0.75, 1};
}
// A /tokenize round trip: 250 µs to 2 s.
Histogram::BucketBoundaries tokenizeBuckets() {
  return {0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2};
}
Histogram::BucketBoundaries tokenBuckets() {
  return {1,    8,    16,    32,    64,    128,    256,    512,    1024,   2048,
          4096, 8192, 16384, 32778, 65536, 131072, 262144, 524288, 1048576};
}
// The reference's scheduler buckets: 100 µs to 100 ms.
Histogram::BucketBoundaries schedulerBuckets() {
  return {0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1};
}
Histogram::BucketBoundaries pluginBuckets() {
  return {0.000001, 0.000005, 0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1};
}

}  // namespace

Metrics& Metrics::get() {
  static Metrics* metrics = new Metrics();  // never destroyed: series outlive every thread
  return *metrics;
}

Metrics::Metrics()
    : requestTotal_(BuildCounter()
                        .Name("inference_objective_request_total")
                        .Help("Requests received, by model, target model and priority")
                        .Register(common::metricsRegistry())),
      requestErrors_(BuildCounter()
                         .Name("inference_objective_request_error_total")
                         .Help("Requests answered with an error, by error code")
                         .Register(common::metricsRegistry())),
      requestDuration_(BuildHistogram()
                           .Name("inference_objective_request_duration_seconds")
                           .Help("Time from request headers to response completion")
                           .Register(common::metricsRegistry())),
      inputTokens_(BuildHistogram()
                       .Name("inference_objective_input_tokens")
                       .Help("Prompt tokens per request, as reported by the model server")
                       .Register(common::metricsRegistry())),
      outputTokens_(BuildHistogram()
                        .Name("inference_objective_output_tokens")
                        .Help("Completion tokens per request, as reported by the model server")
                        .Register(common::metricsRegistry())),
      running_(BuildGauge()
                   .Name("inference_objective_running_requests")
                   .Help("Requests routed and not yet completed, by model")
                   .Register(common::metricsRegistry())),
      schedulerE2e_(BuildHistogram()
                        .Name("inference_extension_scheduler_e2e_duration_seconds")
                        .Help("Time of one scheduling decision")
                        .Register(common::metricsRegistry())),
      schedulerAttempts_(BuildCounter()
                             .Name("inference_extension_scheduler_attempts_total")
                             .Help("Scheduling attempts by status")
                             .Register(common::metricsRegistry())),
      pluginDuration_(BuildHistogram()
                          .Name("inference_extension_plugin_duration_seconds")
                          .Help("Time of one plugin call, by extension point")
                          .Register(common::metricsRegistry())),
      pluginErrors_(BuildCounter()
                        .Name("eppd_plugin_errors_total")
                        .Help("Plugin calls that failed (error status, NaN, bad index)")
                        .Register(common::metricsRegistry())),
      streams_(BuildCounter()
                   .Name("eppd_extproc_streams_total")
                   .Help("ext_proc streams by how they ended and the status sent")
                   .Register(common::metricsRegistry())),
      configGeneration_(BuildGauge()
                            .Name("eppd_config_generation")
                            .Help("Generation of the live config snapshot")
                            .Register(common::metricsRegistry())),
      configInfo_(BuildGauge()
                      .Name("eppd_config_info")
                      .Help("1 for the live config, labelled with its SHA-256")
                      .Register(common::metricsRegistry())),
      configReloads_(BuildCounter()
                         .Name("eppd_config_reload_total")
                         .Help("Config reload attempts by result: success, failure, unchanged")
                         .Register(common::metricsRegistry())),
      configReloadDuration_(BuildHistogram()
                                .Name("eppd_config_reload_duration_seconds")
                                .Help("Time of one reload attempt, from trigger to publish")
                                .Register(common::metricsRegistry())),
      liveSnapshots_(BuildGauge()
                         .Name("eppd_config_snapshots_live")
                         .Help("Config snapshots alive: the current one and those in-flight "
                               "requests still hold")
                         .Register(common::metricsRegistry())),
      sloRequests_(BuildCounter()
                       .Name("eppd_slo_requests_total")
                       .Help("Requests that carried x-slo-ttft-ms or x-slo-tpot-ms, by model, "
                             "primary profile, objective (ttft, tpot) and outcome (met, missed, "
                             "unmeasured)")
                       .Register(common::metricsRegistry())),
      sloInvalidHeaders_(BuildCounter()
                             .Name("eppd_slo_invalid_headers_total")
                             .Help("SLO headers ignored because their value was not a positive "
                                   "number of milliseconds")
                             .Register(common::metricsRegistry())),
      ttft_(BuildHistogram()
                .Name("eppd_request_ttft_seconds")
                .Help("Time from request headers to the first response body chunk, of "
                      "successful requests")
                .Register(common::metricsRegistry())),
      tpot_(BuildHistogram()
                .Name("eppd_request_tpot_seconds")
                .Help("Time per output token after the first, of successful requests whose "
                      "usage gave the token count")
                .Register(common::metricsRegistry())),
      tokenizeRequests_(BuildCounter()
                            .Name("eppd_tokenize_requests_total")
                            .Help("Prompts sent to a model server's /tokenize, by outcome (ok, "
                                  "timeout, connect, status, body)")
                            .Register(common::metricsRegistry())),
      tokenizeDuration_(BuildHistogram()
                            .Name("eppd_tokenize_duration_seconds")
                            .Help("Time from asking a model server for a prompt's token ids to "
                                  "the answer (or the failure)")
                            .Register(common::metricsRegistry())
                            .Add({}, tokenizeBuckets())),
      degraded_(BuildGauge()
                    .Name("eppd_degraded_round_robin")
                    .Help("1 while every candidate's metrics are stale and eppd routes "
                          "round-robin over healthy endpoints")
                    .Register(common::metricsRegistry())
                    .Add({})),
      degradedRequests_(BuildCounter()
                            .Name("eppd_degraded_requests_total")
                            .Help("Requests routed round-robin because every candidate's "
                                  "metrics were stale")
                            .Register(common::metricsRegistry())
                            .Add({})),
      poolReady_(BuildGauge()
                     .Name("inference_pool_ready_pods")
                     .Help("Endpoints eligible for routing")
                     .Register(common::metricsRegistry())),
      poolKv_(BuildGauge()
                  .Name("inference_pool_average_kv_cache_utilization")
                  .Help("Average KV-cache utilisation of the pool's endpoints")
                  .Register(common::metricsRegistry())),
      poolQueue_(BuildGauge()
                     .Name("inference_pool_average_queue_size")
                     .Help("Average waiting queue of the pool's endpoints")
                     .Register(common::metricsRegistry())),
      poolRunning_(BuildGauge()
                       .Name("inference_pool_average_running_requests")
                       .Help("Average running requests of the pool's endpoints")
                       .Register(common::metricsRegistry())),
      scheduler_(schedulerE2e_.Add({}, schedulerBuckets())) {
  // Present from the start, so a dashboard's rate() sees the first failure.
  for (const char* result : {"success", "failure", "unchanged"}) {
    configReloads_.Add({{"result", result}});
  }
}

template <typename T, typename Make>
T& Metrics::cached(std::unordered_map<std::string, T>& cache, const std::string& key, Make make) {
  std::lock_guard<std::mutex> lock(seriesMutex_);
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, make()).first;
  return it->second;
}

void Metrics::requestStarted(const std::string& model, const std::string& target, int priority) {
  const std::string key = model + '\x1f' + target + '\x1f' + std::to_string(priority);
  cached(startedSeries_, key, [&] {
    return &requestTotal_.Add({{"model_name", model},
                               {"target_model_name", target},
                               {"priority", std::to_string(priority)}});
  })->Increment();
}

void Metrics::requestError(const std::string& model, const std::string& target,
                           const std::string& errorCode) {
  requestErrors_
      .Add({{"model_name", model}, {"target_model_name", target}, {"error_code", errorCode}})
      .Increment();
}

void Metrics::requestCompleted(const std::string& model, const std::string& target, double seconds,
                               int64_t inputTokens, int64_t outputTokens) {
  const RequestSeries& series = cached(completedSeries_, model + '\x1f' + target, [&] {
    prometheus::Labels labels{{"model_name", model}, {"target_model_name", target}};
    return RequestSeries{&requestDuration_.Add(labels, latencyBuckets()),
                         &inputTokens_.Add(labels, tokenBuckets()),
                         &outputTokens_.Add(labels, tokenBuckets())};
  });
  series.duration->Observe(seconds);
  if (inputTokens >= 0) series.inputTokens->Observe(static_cast<double>(inputTokens));
  if (outputTokens >= 0) series.outputTokens->Observe(static_cast<double>(outputTokens));
}

void Metrics::runningDelta(const std::string& model, double delta) {
  cached(runningSeries_, model, [&] {
    return &running_.Add({{"model_name", model}});
  })->Increment(delta);
}

void Metrics::schedulerDuration(double seconds, bool success) {
  scheduler_.Observe(seconds);
  const std::string status = success ? "success" : "failure";
  cached(attemptSeries_, status, [&] {
    return &schedulerAttempts_.Add({{"status", status}});
  })->Increment();
}

void Metrics::pluginDuration(const loader::PluginInstance& plugin, const char* extensionPoint,
                             double seconds) {
  prometheus::Histogram* h = nullptr;
  {
    std::lock_guard<std::mutex> lock(pluginMutex_);
    PluginSeries& slot = pluginSeries_[{&plugin, extensionPoint}];
    if (slot.histogram == nullptr || slot.name != plugin.name() || slot.type != plugin.typeName()) {
      slot.histogram = &pluginDuration_.Add({{"extension_point", extensionPoint},
                                             {"plugin_type", plugin.typeName()},
                                             {"plugin_name", plugin.name()}},
                                            pluginBuckets());
      slot.name = plugin.name();
      slot.type = plugin.typeName();
    }
    h = slot.histogram;
  }
  h->Observe(seconds);
}

void Metrics::pluginError(const std::string& pluginName, const std::string& extensionPoint) {
  pluginErrors_.Add({{"plugin_name", pluginName}, {"extension_point", extensionPoint}}).Increment();
}

void Metrics::configLoaded(uint64_t generation, const std::string& sha256) {
  configGeneration_.Add({}).Set(static_cast<double>(generation));
  if (configInfoSeries_ != nullptr) configInfo_.Remove(configInfoSeries_);
  configInfoSeries_ = &configInfo_.Add({{"sha256", sha256}});
  configInfoSeries_->Set(1);
}

void Metrics::configReload(const std::string& result, double seconds) {
  configReloads_.Add({{"result", result}}).Increment();
  configReloadDuration_
      .Add({}, Histogram::BucketBoundaries{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10})
      .Observe(seconds);
}

void Metrics::liveSnapshots(size_t count) {
  liveSnapshots_.Add({}).Set(static_cast<double>(count));
}

void Metrics::sloOutcome(const std::string& model, const std::string& profile, const char* slo,
                         const char* outcome) {
  sloRequests_
      .Add({{"model_name", model}, {"profile", profile}, {"slo", slo}, {"outcome", outcome}})
      .Increment();
}

void Metrics::sloHeaderInvalid(const char* header) {
  sloInvalidHeaders_.Add({{"header", header}}).Increment();
}

void Metrics::tokenLatency(const std::string& model, double ttftSeconds, double tpotSeconds) {
  prometheus::Labels labels{{"model_name", model}};
  ttft_.Add(labels, latencyBuckets()).Observe(ttftSeconds);
  if (tpotSeconds >= 0) tpot_.Add(labels, tpotBuckets()).Observe(tpotSeconds);
}

void Metrics::tokenized(const std::string& outcome, double seconds) {
  tokenizeRequests_.Add({{"outcome", outcome}}).Increment();
  tokenizeDuration_.Observe(seconds);
}

void Metrics::degradedRouting(bool on) { degraded_.Set(on ? 1 : 0); }

void Metrics::degradedRequest() { degradedRequests_.Increment(); }

void Metrics::streamEnded(const char* result, int httpStatus) {
  const std::string code = std::to_string(httpStatus);
  cached(streamSeries_, std::string(result) + '\x1f' + code, [&] {
    return &streams_.Add({{"result", result}, {"code", code}});
  })->Increment();
}

void Metrics::poolState(const std::string& pool, size_t ready, double avgKv, double avgQueue,
                        double avgRunning) {
  prometheus::Labels labels{{"name", pool}};
  poolReady_.Add(labels).Set(static_cast<double>(ready));
  poolKv_.Add(labels).Set(avgKv);
  poolQueue_.Add(labels).Set(avgQueue);
  poolRunning_.Add(labels).Set(avgRunning);
}

}  // namespace epp::runtime
