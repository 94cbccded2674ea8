#include "host/runtime/model_routing.h"

#include "host/common/logging.h"
#include "host/routing/model_rewrite.h"
#include "host/runtime/metrics.h"

namespace epp::runtime {

routing::Route routeModel(const ConfigSnapshot& snapshot, extproc::RequestInput& in,
                          const request::OpenAiRequest& parsed,
                          std::span<const epp_endpoint_view* const> candidates,
                          const std::function<uint64_t()>& seeds, DecisionRecord& record) {
  const std::string* path = nullptr;
  for (const auto& [k, v] : in.headers) {
    if (k == ":path") path = &v;
  }
  routing::RouteRequest request{.requestId = in.requestId,
                                .path = path ? std::string_view(*path) : std::string_view(),
                                .model = parsed.model,
                                .headers = &in.headers,
                                .candidates = candidates,
                                .seed = &seeds};
  routing::Route route = snapshot.router->route(request);
  if (route.splitter != nullptr) {
    Metrics& metrics = Metrics::get();
    metrics.pluginDuration(*route.splitter, "traffic-splitter",
                           static_cast<double>(route.splitterNs) / 1e9);
    if (!route.splitterFault.empty()) {
      metrics.pluginError(route.splitter->name(), "traffic-splitter");
      common::logger()->warn(
          "request {}: traffic splitter {} misbehaved ({}); rule {} sends it "
          "to its heaviest target {}",
          in.requestId, route.splitter->name(), route.splitterFault, route.record.rule,
          route.targetModel);
    }
  }
  if (route.record.loraFallback == "base-model") {
    common::logger()->info(
        "request {}: LoRA adapter {} is loaded on no endpoint and no endpoint has a free "
        "adapter slot: routed to its base model {}",
        in.requestId,
        route.record.splitTarget.empty() ? route.record.resolvedModel : route.record.splitTarget,
        route.targetModel);
  }
  if (route.record.bodyRewritten) {
    in.body = routing::replaceModelValue(in.body, parsed.modelOffset, parsed.modelLength,
                                         route.targetModel);
  }
  record.targetModel = route.targetModel;
  record.routing = route.record;
  return route;
}

}  // namespace epp::runtime
