// File: host/datalayer/scrape_setup.h
//
// What one config generation tells the scraper: timings and limits (`scraping:`), where
// to poll (the reference's metrics-data-source parameters) and the backend adapter of
// each engine. Immutable; the scraper reads the current one at every tick, so a reload
// takes effect at the next tick.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "host/datalayer/backend_adapter.h"

namespace boost::asio::ssl {
class context;
}

namespace epp::datalayer {

// An endpoint whose engine is `auto` is scraped by the adapter whose detect hook
// recognises its /v1/models answer (vLLM and SGLang name themselves in `owned_by`).
inline constexpr std::string_view kAutoEngine = "auto";

struct ScrapeSettings {
  bool enabled = true;
  int64_t intervalNs = 50'000'000;
  int64_t timeoutNs = 1'000'000'000;  // one collection: connect, /metrics and /health
  int64_t healthIntervalNs = 1'000'000'000;
  int failureThreshold = 3;
  int64_t stalenessNs = 2'000'000'000;
  int64_t maxBodyBytes = 4 << 20;
  std::string scheme = "http";  // or https
  std::string path;             // overrides every adapter's metrics path when set
  // https: no certificate check (encryption only); else the certificate must chain to
  // caFile (empty: the system's trust store) and name the endpoint's IP.
  bool insecureSkipVerify = false;
  std::string caFile;
  // An endpoint's engine: this label when it has it, else the engine its source named,
  // else defaultEngine (the reference's core-metrics-extractor parameters).
  std::string engineLabelKey = "inference.networking.k8s.io/engine-type";
  std::string defaultEngine = "vllm";
};

struct ScrapeSetup {
  ScrapeSettings settings;
  // scheme https: the TLS client context every connection uses (made at config time, so a
  // bad CA file fails the load, not each scrape).
  std::shared_ptr<boost::asio::ssl::context> tls;
  std::map<std::string, BackendAdapterPtr, std::less<>> adapters;  // by engine name

  // The engine of an endpoint with these labels whose source named `engine` (maybe "").
  std::string engineOf(const std::map<std::string, std::string>& labels,
                       const std::string& engine) const {
    auto it = labels.find(settings.engineLabelKey);
    if (it != labels.end() && !it->second.empty()) return it->second;
    return engine.empty() ? settings.defaultEngine : engine;
  }
};

using ScrapeSetupPtr = std::shared_ptr<const ScrapeSetup>;
using ScrapeSetupSource = std::function<ScrapeSetupPtr()>;

}  // namespace epp::datalayer
