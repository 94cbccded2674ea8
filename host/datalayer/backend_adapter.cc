#include "host/datalayer/backend_adapter.h"

#include "host/loader/abi_views.h"
#include "host/loader/error_sink.h"
#include "host/loader/metrics_sink.h"

namespace epp::datalayer {

common::Result<BackendAdapterPtr> BackendAdapter::create(
    std::shared_ptr<loader::PluginInstance> instance) {
  const epp_backend_adapter_v1* table = instance->type().backend_adapter;
  if (table == nullptr) {
    return common::Error{"plugin '" + instance->name() + "' is not a backend adapter"};
  }
  std::shared_ptr<BackendAdapter> adapter(new BackendAdapter(std::move(instance)));
  epp_backend_info info{};
  info.struct_size = sizeof info;
  epp_status status = table->info(adapter->instance_->pluginPtr(), &info);
  if (status != EPP_OK) {
    return common::Error{"backend adapter '" + adapter->instanceName() + "': info() failed (" +
                         std::to_string(status) + ")"};
  }
  adapter->metricsPath_ = std::string(loader::toView(info.metrics_path));
  adapter->healthPath_ = std::string(loader::toView(info.health_path));
  adapter->modelsPath_ = std::string(loader::toView(info.models_path));
  if (adapter->metricsPath_.empty()) adapter->metricsPath_ = "/metrics";
  return BackendAdapterPtr(std::move(adapter));
}

common::Result<BackendAdapterPtr> BackendAdapter::forEngineConfig(
    std::string engine, std::shared_ptr<loader::PluginInstance> metrics,
    const BackendAdapterPtr& builtIn) {
  auto own = create(std::move(metrics));
  if (!own) return own;
  auto adapter = std::make_shared<BackendAdapter>(**own);
  adapter->engine_ = std::move(engine);
  if (builtIn) {
    adapter->instance_ = builtIn->instance_;
    adapter->healthPath_ = builtIn->healthPath_;
    adapter->modelsPath_ = builtIn->modelsPath_;
  }
  return BackendAdapterPtr(std::move(adapter));
}

common::Result<ParsedMetrics> BackendAdapter::parse(std::string_view body,
                                                    std::string_view contentType) const {
  ParsedMetrics out;
  out.numbers.struct_size = sizeof out.numbers;
  loader::MetricsSink sink;
  loader::ErrorSink error;
  epp_status status = metricsInstance_->type().backend_adapter->parse_metrics(
      metricsInstance_->pluginPtr(), {reinterpret_cast<const uint8_t*>(body.data()), body.size()},
      loader::toStr(contentType), &out.numbers, sink.handle(), error.handle());
  if (status != EPP_OK) {
    return common::Error{error.isSet()
                             ? error.message()
                             : "parse_metrics failed (status " + std::to_string(status) + ")"};
  }
  out.activeLoras = std::move(sink.active_loras);
  out.waitingLoras = std::move(sink.waiting_loras);
  out.labels = std::move(sink.labels);
  return out;
}

epp_health BackendAdapter::health(int httpStatus, std::string_view body) const {
  epp_health h = EPP_HEALTH_UNKNOWN;
  epp_status status = instance_->type().backend_adapter->check_health(
      instance_->pluginPtr(), httpStatus,
      {reinterpret_cast<const uint8_t*>(body.data()), body.size()}, &h);
  if (status != EPP_OK) return EPP_HEALTH_UNHEALTHY;
  return h;
}

std::optional<bool> BackendAdapter::detect(std::string_view modelsBody) const {
  const auto* table = instance_->type().backend_adapter;
  if (table->detect == nullptr) return std::nullopt;
  bool matches = false;
  epp_status status = table->detect(
      instance_->pluginPtr(),
      {reinterpret_cast<const uint8_t*>(modelsBody.data()), modelsBody.size()}, &matches);
  if (status != EPP_OK) return std::nullopt;
  return matches;
}

}  // namespace epp::datalayer
