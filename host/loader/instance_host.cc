#include "host/loader/instance_host.h"

#include "host/common/logging.h"

namespace epp::loader {

InstanceHost::InstanceHost(std::string name, std::string type_name)
    : name_(std::move(name)),
      type_name_(std::move(type_name)),
      logger_(common::logger()),
      metrics_(name_) {}

}  // namespace epp::loader
