#include "host/loader/plugin_instance.h"

#include <fmt/format.h>

#include "host/common/logging.h"
#include "host/loader/abi_views.h"
#include "host/loader/error_sink.h"

namespace epp::loader {

using common::Error;
using common::Result;

Result<std::shared_ptr<PluginInstance>> PluginInstance::create(const RegisteredType& type,
                                                               std::string instance_name,
                                                               const config::ParamNode& params) {
  if (!type.library || type.type == nullptr) {
    return Error{fmt::format("instance '{}': no such plugin type", instance_name)};
  }
  std::string type_name = type.type->type_name;
  auto prefix = [&] { return fmt::format("instance '{}' ({})", instance_name, type_name); };
  std::shared_ptr<PluginInstance> instance(new PluginInstance(
      type.library, type.type, std::make_unique<InstanceHost>(instance_name, type_name)));
  InstanceHost& host = *instance->host_;

  epp_create_args args{};
  args.struct_size = sizeof(args);
  args.instance = host.handle();
  args.type_name = toStr(host.typeName());
  args.instance_name = toStr(host.name());
  args.params = params.handle();
  ErrorSink error;
  host.setCreating(true);
  try {
    instance->plugin_ = type.type->create(&args, error.handle());
  } catch (...) {
    host.setCreating(false);
    return Error{prefix() + ": create threw an exception"};
  }
  host.setCreating(false);
  if (instance->plugin_ == nullptr) {
    return Error{fmt::format("{}: {}", prefix(),
                             error.isSet() ? error.message() : "create failed without a message")};
  }
  return instance;
}

Result<std::shared_ptr<PluginInstance>> PluginInstance::create(const RegisteredType& type,
                                                               std::string instance_name) {
  config::ParamTree none = config::ParamTree::null(fmt::format("instance '{}'", instance_name));
  return create(type, std::move(instance_name), none.root());
}

PluginInstance::~PluginInstance() {
  if (plugin_ == nullptr) return;
  try {
    type_->destroy(plugin_);
  } catch (...) {
    common::logger()->error("instance '{}' ({}): destroy threw an exception", name(), typeName());
  }
}

}  // namespace epp::loader
