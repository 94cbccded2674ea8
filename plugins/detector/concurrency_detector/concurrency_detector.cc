#include "plugins/detector/concurrency_detector/concurrency_detector.h"

#include <algorithm>
#include <cmath>

namespace epp::plugins {
namespace {

// What a request in tokens mode remembers: where its tokens were added.
struct Held {
  uint64_t endpointId;
  int64_t tokens;
};

}  // namespace

ConcurrencyDetector::ConcurrencyDetector(const cpp::CreateContext& ctx)
    : Plugin(ctx),
      maxConcurrency_(ctx.params().getInt("maxConcurrency", kDefaultMaxConcurrency, /*min=*/1)),
      maxTokens_(
          ctx.params().getInt("maxTokenConcurrency", kDefaultMaxTokenConcurrency, /*min=*/1)),
      headroom_(ctx.params().getDouble("headroom", 0, /*min=*/0)) {
  std::string mode = ctx.params().getString("concurrencyMode", "requests");
  if (mode == "tokens") {
    mode_ = Mode::kTokens;
  } else if (mode != "requests") {
    throw cpp::Error(ctx.params().location("concurrencyMode") +
                     ": \"concurrencyMode\" must be \"requests\" or \"tokens\", got \"" + mode +
                     "\"");
  }
}

int64_t ConcurrencyDetector::estimateTokens(const cpp::Request& request) {
  int64_t input = std::max<int64_t>(static_cast<int64_t>(request.body().size()) / 4, 1);
  return input + std::llround(static_cast<double>(input) * 1.5);
}

int64_t ConcurrencyDetector::tokensInFlight(uint64_t endpointId) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = tokens_.find(endpointId);
  return it == tokens_.end() ? 0 : it->second;
}

int64_t ConcurrencyDetector::load(const cpp::Endpoint& e) const {
  if (mode_ == Mode::kRequests) return std::max<int64_t>(e.inflightRequests(), 0);
  return tokensInFlight(e.id());
}

double ConcurrencyDetector::saturation(const cpp::EndpointList& pool, int64_t) {
  if (pool.empty()) return 1.0;  // no endpoint has room
  double total = 0;
  for (auto e : pool) total += static_cast<double>(load(e));
  return total / (static_cast<double>(pool.size()) * static_cast<double>(limit()));
}

void ConcurrencyDetector::filter(const cpp::Request&, const cpp::EndpointList& candidates,
                                 std::span<uint8_t> keep) {
  const double burst = static_cast<double>(limit()) * (1.0 + headroom_);
  bool any = false;
  for (size_t i = 0; i < candidates.size(); ++i) {
    keep[i] = static_cast<double>(load(candidates[i])) < burst;
    any = any || keep[i];
  }
  // Fail open (the ABI's rule for detector filters): a full pool is better served than
  // refused here; admission is where requests are shed.
  if (!any) std::fill(keep.begin(), keep.end(), uint8_t{1});
}

void ConcurrencyDetector::preRequest(const cpp::Request& request,
                                     const cpp::SchedulingResult& result) {
  if (mode_ != Mode::kTokens) return;
  auto primary = result.primary();
  if (!primary || !primary->ok() || primary->targetCount() == 0) return;
  Held held{primary->target(0).id(), estimateTokens(request)};
  {
    std::lock_guard<std::mutex> lock(mutex_);
    tokens_[held.endpointId] += held.tokens;
  }
  setState(request, std::make_unique<Held>(held));
}

void ConcurrencyDetector::requestComplete(const cpp::Request& request, const cpp::Response*,
                                          epp_request_outcome) {
  Held* held = state<Held>(request);
  if (held == nullptr || held->tokens == 0) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = tokens_.find(held->endpointId);
  if (it != tokens_.end()) {
    it->second -= held->tokens;
    // Entries at zero go, so endpoints that left do not accumulate.
    if (it->second <= 0) tokens_.erase(it);
  }
  held->tokens = 0;
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppConcurrencyDetectorEntry, "concurrency-detector", "1.0.0",
                    "Pool saturation from the requests or tokens eppd has in flight",
                    EPP_TYPE(epp::plugins::ConcurrencyDetector, "concurrency-detector",
                             "in-flight / (endpoints x maxConcurrency); also a fail-open filter"))
