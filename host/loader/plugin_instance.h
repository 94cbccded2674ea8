// File: host/loader/plugin_instance.h
//
// One configured plugin instance: the plugin object its type's `create` returned, the
// host record behind its epp_instance_host_ptr, and a reference to its library so the
// code stays mapped while the instance lives. Destruction calls the type's `destroy`
// first, then drops the host record (its metrics), then the library.
//
//   auto tree = config::ParamTree::parse("threshold: 128", "config.yaml");
//   auto scorer = PluginInstance::create(*registry.find("queue-scorer"), "my-scorer",
//                                        tree->root());
//   if (!scorer) return scorer.error();   // "instance 'my-scorer' (queue-scorer): ..."
//   (*scorer)->type().scorer->score((*scorer)->pluginPtr(), ...);
#pragma once

#include <memory>
#include <string>

#include "epp/abi.h"
#include "host/common/result.h"
#include "host/config/param_tree.h"
#include "host/loader/instance_host.h"
#include "host/loader/library.h"
#include "host/loader/plugin_registry.h"

namespace epp::loader {

class PluginInstance {
 public:
  // Calls `create` with `params` (which need only outlive this call). The error carries
  // the plugin's own message, prefixed with the instance name and type.
  static common::Result<std::shared_ptr<PluginInstance>> create(const RegisteredType& type,
                                                                std::string instance_name,
                                                                const config::ParamNode& params);
  // The same with no `parameters:` (a null node).
  static common::Result<std::shared_ptr<PluginInstance>> create(const RegisteredType& type,
                                                                std::string instance_name);

  ~PluginInstance();
  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;

  const std::string& name() const { return host_->name(); }
  const std::string& typeName() const { return host_->typeName(); }
  // The host copy of the type: kind tables with absent fields zeroed.
  const epp_type_descriptor& type() const { return *type_; }
  epp_instance_plugin_ptr pluginPtr() const { return plugin_; }
  epp_instance_host_ptr hostPtr() const { return host_->handle(); }
  InstanceHost& host() const { return *host_; }
  const std::shared_ptr<LoadedLibrary>& library() const { return library_; }

 private:
  PluginInstance(std::shared_ptr<LoadedLibrary> library, const epp_type_descriptor* type,
                 std::unique_ptr<InstanceHost> host)
      : library_(std::move(library)), type_(type), host_(std::move(host)) {}

  // Declared first so it is released last.
  std::shared_ptr<LoadedLibrary> library_;
  const epp_type_descriptor* type_;
  std::unique_ptr<InstanceHost> host_;
  epp_instance_plugin_ptr plugin_ = nullptr;
};

}  // namespace epp::loader
