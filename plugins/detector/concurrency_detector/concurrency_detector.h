#pragma once

#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// concurrency-detector: how full the pool is from what eppd itself has in flight.
//  - requests mode: the host's in-flight request count of each endpoint
//    (epp_endpoint_view.inflight_requests); pool value Σ in-flight / (n × maxConcurrency).
//  - tokens mode: estimated tokens in flight per endpoint, which the detector keeps itself
//    (the host counts requests only): added for the primary target in the pre-request hook,
//    removed when the request completes; pool value Σ tokens / (n × maxTokenConcurrency).
// An empty pool is saturated (1.0). As a filter it drops endpoints whose load reaches
// limit × (1 + headroom), but keeps every candidate rather than none.
class ConcurrencyDetector : public cpp::Plugin,
                            public cpp::SaturationDetector,
                            public cpp::Filter,
                            public cpp::PreRequestHook,
                            public cpp::ResponseHooks {
 public:
  static constexpr int64_t kDefaultMaxConcurrency = 100;
  static constexpr int64_t kDefaultMaxTokenConcurrency = 1'000'000;

  explicit ConcurrencyDetector(const cpp::CreateContext& ctx);
  double saturation(const cpp::EndpointList& pool, int64_t nowNs) override;
  void filter(const cpp::Request& request, const cpp::EndpointList& candidates,
              std::span<uint8_t> keep) override;
  void preRequest(const cpp::Request& request, const cpp::SchedulingResult& result) override;
  void requestComplete(const cpp::Request& request, const cpp::Response* response,
                       epp_request_outcome outcome) override;

  // Tokens a request is expected to hold while in flight: input ≈ body bytes / 4 (at least
  // 1), output ≈ 1.5 × input, rounded (the reference's simple estimator).
  static int64_t estimateTokens(const cpp::Request& request);
  // Tokens mode: the estimate currently held on endpoint `id`.
  int64_t tokensInFlight(uint64_t endpointId) const;

 private:
  enum class Mode { kRequests, kTokens };
  // Load of one endpoint in the unit of the mode.
  int64_t load(const cpp::Endpoint& e) const;
  int64_t limit() const { return mode_ == Mode::kRequests ? maxConcurrency_ : maxTokens_; }

  Mode mode_ = Mode::kRequests;
  int64_t maxConcurrency_;
  int64_t maxTokens_;
  double headroom_;

  mutable std::mutex mutex_;                      // guards tokens_
  std::unordered_map<uint64_t, int64_t> tokens_;  // endpoint id -> tokens in flight
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppConcurrencyDetectorEntry(const epp_entry_args* args);
