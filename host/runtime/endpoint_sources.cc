#include "host/runtime/endpoint_sources.h"

#include <fmt/format.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include "host/common/logging.h"
#include "host/common/metrics_registry.h"
#include "host/runtime/file_endpoint_source.h"
#include "host/runtime/static_endpoints.h"

namespace epp::runtime {
namespace {

std::string keyOf(const datalayer::EndpointState& s) { return s.pool + " " + s.hostPort(); }

prometheus::Family<prometheus::Counter>& errorFamily() {
  static auto& family = prometheus::BuildCounter()
                            .Name("eppd_endpoint_source_errors_total")
                            .Help(
                                "Failed reads (file), resolutions (dns) or API requests "
                                "(kubernetes) of endpoint sources; each keeps its last good "
                                "endpoint set")
                            .Register(common::metricsRegistry());
  return family;
}

prometheus::Family<prometheus::Gauge>& endpointFamily() {
  static auto& family = prometheus::BuildGauge()
                            .Name("eppd_endpoint_source_endpoints")
                            .Help("Endpoints each endpoint source reports now")
                            .Register(common::metricsRegistry());
  return family;
}

std::string sourceName(const config::EndpointSourceSpec& spec) { return spec.metricName(); }

}  // namespace

std::set<std::string> publishSourceEndpoints(datalayer::EndpointStore& store,
                                             const std::string& source,
                                             const std::set<std::string>& owned,
                                             std::vector<datalayer::EndpointState> fresh,
                                             std::vector<std::string>* skipped) {
  std::set<std::string> now;
  store.update([&](std::vector<datalayer::EndpointState>& states) {
    std::vector<datalayer::EndpointState> kept;
    std::vector<datalayer::EndpointState> previous;
    for (auto& s : states) {
      bool mine = s.source == source && owned.count(keyOf(s)) > 0;
      (mine ? previous : kept).push_back(std::move(s));
    }
    std::set<std::string> taken;
    for (const auto& s : kept) taken.insert(keyOf(s));
    for (auto& s : fresh) {
      std::string key = keyOf(s);
      if (taken.count(key) > 0) {
        if (skipped) skipped->push_back(fmt::format("{} in pool {}", s.hostPort(), s.pool));
        continue;
      }
      for (const auto& old : previous) {
        if (keyOf(old) == key) {
          copyLearnt(old, s);
          break;
        }
      }
      taken.insert(key);
      now.insert(key);
      kept.push_back(std::move(s));
    }
    states = std::move(kept);
    return true;
  });
  return now;
}

EndpointSources::EndpointSources(datalayer::EndpointStore& store, std::function<void()> onChange,
                                 DnsResolver resolver, KubernetesTiming kubernetes)
    : store_(store),
      onChange_(std::move(onChange)),
      resolver_(std::move(resolver)),
      kubernetesTiming_(kubernetes) {}

EndpointSources::~EndpointSources() { stop(); }

boost::asio::io_context& EndpointSources::sourceLoop() {
  if (!ioThread_.joinable()) {
    work_.emplace(io_.get_executor());
    ioThread_ = std::thread([this] { io_.run(); });
  }
  return io_;
}

void EndpointSources::apply(const std::vector<config::EndpointSourceSpec>& specs) {
  std::vector<std::unique_ptr<Slot>> keep;
  std::vector<std::unique_ptr<Slot>> gone;
  for (auto& slot : slots_) {
    bool wanted = false;
    for (const auto& spec : specs) wanted = wanted || slot->spec.sameAs(spec);
    (wanted ? keep : gone).push_back(std::move(slot));
  }
  // Stopped without the lock: a source may be publishing (which takes it) right now.
  for (auto& slot : gone) {
    if (slot->file) slot->file->stop();
    if (slot->dns) slot->dns->stop();
    if (slot->kubernetes) slot->kubernetes->stop();
  }
  bool changed = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    slots_ = std::move(keep);
    for (auto& slot : gone) {
      publishSourceEndpoints(store_, slot->kindName, slot->owned, {});
      endpointFamily().Remove(
          &endpointFamily().Add({{"source", slot->kindName}, {"name", sourceName(slot->spec)}}));
      common::logger()->info("endpoint source {} removed", slot->spec.key());
      changed = changed || !slot->owned.empty();
    }
  }
  if (changed && onChange_) onChange_();

  for (const auto& spec : specs) {
    bool running = false;
    for (const auto& slot : slots_) running = running || slot->spec.sameAs(spec);
    if (running) continue;
    auto slot = std::make_unique<Slot>();
    slot->spec = spec;
    Slot* raw = slot.get();
    auto publish = [this, raw](std::vector<config::EndpointSpec> list) {
      this->publish(*raw, std::move(list));
    };
    auto failed = [this, raw](const std::string& error) { this->failed(*raw, error); };
    if (spec.kind == config::EndpointSourceSpec::Kind::kFile) {
      slot->kindName = "file";
      slot->file = std::make_unique<FileEndpointSource>(spec.path, publish, failed);
    } else if (spec.kind == config::EndpointSourceSpec::Kind::kDns) {
      slot->kindName = "dns";
      slot->dns = DnsEndpointSource::create(sourceLoop(), spec, resolver_, publish, failed);
    } else {
      slot->kindName = "kubernetes";
      slot->kubernetes = std::make_unique<KubernetesEndpointSource>(
          sourceLoop(), spec, publish, failed, [this, raw] { recovered(*raw); }, kubernetesTiming_);
    }
    errorFamily().Add({{"source", slot->kindName}, {"name", sourceName(spec)}});
    {
      std::lock_guard<std::mutex> lock(mutex_);
      slots_.push_back(std::move(slot));
    }
    if (raw->file) {
      if (auto started = raw->file->start(); !started) {
        common::logger()->error("endpoint source {}: {}", spec.key(), started.error());
      }
    } else if (raw->dns) {
      raw->dns->start();
    } else {
      raw->kubernetes->start();
    }
    common::logger()->info("endpoint source {} started", spec.key());
  }
}

void EndpointSources::publish(Slot& slot, std::vector<config::EndpointSpec> list) {
  std::vector<datalayer::EndpointState> fresh;
  for (const auto& e : list) fresh.push_back(endpointState(e, slot.kindName));
  std::vector<std::string> skipped;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    slot.owned =
        publishSourceEndpoints(store_, slot.kindName, slot.owned, std::move(fresh), &skipped);
    endpointFamily()
        .Add({{"source", slot.kindName}, {"name", sourceName(slot.spec)}})
        .Set(static_cast<double>(slot.owned.size()));
  }
  for (const auto& s : skipped) {
    common::logger()->warn("endpoint source {}: {} is already reported by another source; skipped",
                           slot.spec.key(), s);
  }
  slot.lastError.clear();
  common::logger()->info("endpoint source {}: {} endpoints", slot.spec.key(), slot.owned.size());
  if (onChange_) onChange_();
}

void EndpointSources::failed(Slot& slot, const std::string& error) {
  errorFamily().Add({{"source", slot.kindName}, {"name", sourceName(slot.spec)}}).Increment();
  // A file fails once per bad edit, so each is logged; a name that stops resolving fails
  // every interval, and an API server that refuses every retry, so only a new error is.
  bool repeated = (slot.dns || slot.kubernetes) && error == slot.lastError;
  slot.lastError = error;
  if (repeated) return;
  common::logger()->error("endpoint source {}: keeping the last good endpoints: {}",
                          slot.spec.key(), error);
}

void EndpointSources::recovered(Slot& slot) {
  // Called only after failures (the list that ends them may have published already).
  slot.lastError.clear();
  common::logger()->info("endpoint source {}: the API server answers again", slot.spec.key());
}

void EndpointSources::stop() {
  apply({});
  if (ioThread_.joinable()) {
    work_.reset();
    io_.stop();
    ioThread_.join();
  }
}

}  // namespace epp::runtime
