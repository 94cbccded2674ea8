// Shared by the flow-control unit tests: the built-in policy and detector plugins loaded
// through the real loader, requests with a real RequestContext (ordering policies read its
// headers and per-request state), and a FlowRequest that records how it left.
#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "host/config/param_tree.h"
#include "host/datalayer/endpoint_snapshot.h"
#include "host/flowcontrol/flow_control_config.h"
#include "host/flowcontrol/flow_request.h"
#include "host/loader/plugin_instance.h"
#include "host/loader/plugin_registry.h"
#include "host/scheduling/request_context.h"

namespace epp::flowcontrol::testing {

// Loads the built-in plugin directory once per process.
inline loader::PluginRegistry& registry() {
  static loader::PluginRegistry* r = [] {
    auto* reg = new loader::PluginRegistry(
        {.cache_dir = std::filesystem::temp_directory_path() / "eppd-flowcontrol-test-cache",
         .host_abi = {}});
    reg->scan({EPP_BUILTIN_PLUGIN_DIR});
    return reg;
  }();
  return *r;
}

// An instance of a built-in type; `yaml` holds its parameters ("" for none).
inline std::shared_ptr<loader::PluginInstance> instance(const std::string& type,
                                                        const std::string& yaml = "") {
  const loader::RegisteredType* t = registry().find(type);
  if (t == nullptr) return nullptr;
  if (yaml.empty()) {
    auto made = loader::PluginInstance::create(*t, type);
    return made ? *made : nullptr;
  }
  auto params = config::ParamTree::fromYaml(YAML::Load(yaml), "test.yaml");
  if (!params) return nullptr;
  auto made = loader::PluginInstance::create(*t, type, params->root());
  return made ? *made : nullptr;
}

// Band and default policies; the config holds `owners` so the instances live as long.
struct TestConfig {
  std::vector<std::shared_ptr<loader::PluginInstance>> owners;
  FlowControlConfig config;
};

inline std::shared_ptr<const FlowControlConfig> share(std::shared_ptr<TestConfig> c) {
  return {c, &c->config};
}

inline BandConfig bandOf(int32_t priority, const loader::PluginInstance* fairness,
                         const loader::PluginInstance* ordering) {
  BandConfig b;
  b.priority = priority;
  b.fairness = fairness;
  b.ordering = ordering;
  b.fifo = (ordering->type().ordering_policy->queue_capabilities & EPP_QUEUE_CAP_FIFO) != 0;
  return b;
}

// How a request left flow control.
struct Outcome {
  std::string id;
  bool dispatched = false;
  QueueExit exit;
};

class RecordingRequest : public FlowRequest {
 public:
  RecordingRequest(std::string id, std::shared_ptr<std::vector<Outcome>> log)
      : id_(std::move(id)), log_(std::move(log)) {}
  void dispatch(const QueueExit& exit) override {
    log_->push_back({id_, true, exit});
    if (onDispatch) onDispatch();
  }
  void reject(const QueueExit& exit) override { log_->push_back({id_, false, exit}); }
  std::function<void()> onDispatch;

 private:
  std::string id_;
  std::shared_ptr<std::vector<Outcome>> log_;
};

// A request's host side: fields, headers, the RequestContext plugins read.
struct TestRequest {
  std::unique_ptr<scheduling::RequestContext> context;
  std::shared_ptr<common::CancelSignal> cancel = std::make_shared<common::CancelSignal>();

  TestRequest(const std::string& id, const std::string& fairnessId, int32_t priority,
              int64_t receivedNs = 0,
              std::vector<std::pair<std::string, std::string>> headers = {}) {
    scheduling::RequestFields f;
    f.requestId = id;
    f.fairnessId = fairnessId;
    f.priority = priority;
    f.receivedNs = receivedNs;
    f.headers = std::move(headers);
    f.model = "m";
    f.targetModel = "m";
    static datalayer::EndpointStore empty;
    context = std::make_unique<scheduling::RequestContext>(std::move(f), empty.current(), 1);
  }

  FlowRequestInfo info(int64_t bytes = 100) const {
    FlowRequestInfo i;
    i.requestId = context->fields().requestId;
    i.key = {context->fields().fairnessId, context->fields().priority};
    i.byteSize = bytes;
    i.view = context->view();
    i.modelName = "m";
    i.targetModelName = "m";
    i.cancel = cancel;
    return i;
  }
};

}  // namespace epp::flowcontrol::testing
