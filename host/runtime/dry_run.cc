#include "host/runtime/dry_run.h"

#include <atomic>
#include <string>

#include "host/common/clock.h"
#include "host/scheduling/request_context.h"
#include "host/scheduling/scheduler.h"

namespace epp::runtime {
namespace {

constexpr char kPrompt[] = "eppd reload dry run: a synthetic request, never sent upstream";

datalayer::EndpointState syntheticEndpoint() {
  datalayer::EndpointState s;
  s.address = "127.0.0.1";
  s.port = 1;
  s.name = "dry-run";
  s.hasMetrics = true;
  s.cacheBlockSize = 16;
  s.cacheNumBlocks = 1024;
  s.maxLoras = 4;
  return s;
}

// One line per fault, at the plugin's place in the config.
std::string describe(const ConfigSnapshot& snapshot,
                     const std::vector<scheduling::PluginFault>& faults) {
  std::string out;
  for (const auto& f : faults) {
    std::string where = snapshot.config.source;
    for (const auto& spec : snapshot.config.plugins) {
      if (spec.name == f.plugin) where = spec.where.str();
    }
    if (!out.empty()) out += "\n";
    out += where + ": dry-run decision: plugin '" + f.plugin + "' (" + f.extensionPoint +
           ") misbehaved: " + f.message;
  }
  return out;
}

}  // namespace

datalayer::EndpointSnapshotPtr detachedEndpoints(std::vector<datalayer::EndpointState> states) {
  return std::make_shared<const datalayer::EndpointSnapshot>(
      std::move(states), 0, [](uint64_t) { return std::make_shared<std::atomic<int64_t>>(0); });
}

common::Status dryRunDecision(const ConfigSnapshot& snapshot,
                              datalayer::EndpointSnapshotPtr endpoints) {
  if (!endpoints || endpoints->size() == 0) endpoints = detachedEndpoints({syntheticEndpoint()});
  const std::string model = snapshot.config.routing.models.empty()
                                ? "dry-run"
                                : snapshot.config.routing.models.front().name;
  auto body = std::make_shared<std::string>(R"({"model":")" + model + R"(","prompt":")" + kPrompt +
                                            R"("})");
  scheduling::RequestFields fields;
  fields.requestId = "reload-dry-run";
  fields.path = "/v1/completions";
  fields.model = model;
  fields.targetModel = model;
  fields.prompt = kPrompt;
  fields.body = *body;
  fields.receivedNs = common::monotonicNowNs();
  fields.headers = {{":path", fields.path}, {":method", "POST"}};
  try {
    scheduling::RequestContext request(std::move(fields), endpoints, 42, body);
    const epp_endpoint_list& all = endpoints->all();
    std::vector<scheduling::PluginFault> faults;
    for (const auto* p : snapshot.scheduler.prepareRequest) {
      epp_status s = p->type().request_hooks->prepare_request(p->pluginPtr(), request.view(), &all);
      if (s != EPP_OK) {
        faults.push_back({p->name(), "prepare-request", "status " + std::to_string(s)});
      }
    }
    scheduling::ScheduleResult result =
        scheduling::schedule(snapshot.scheduler, request, all, false);
    faults.insert(faults.end(), result.faults.begin(), result.faults.end());
    if (!faults.empty()) return common::Error{describe(snapshot, faults)};
  } catch (const std::exception& e) {
    return common::Error{snapshot.config.source + ": dry-run decision failed: " + e.what()};
  }
  return {};
}

}  // namespace epp::runtime
