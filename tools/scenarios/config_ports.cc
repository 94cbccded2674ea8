#include "tools/scenarios/config_ports.h"

#include <yaml-cpp/yaml.h>

namespace epp::scenarios {

common::Result<std::string> withEndpointPorts(const std::string& yaml,
                                              const std::vector<int>& ports) {
  YAML::Node doc;
  try {
    doc = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    return common::Error{std::string("not YAML: ") + e.what()};
  }
  YAML::Node endpoints = doc.IsMap() ? doc["endpoints"] : YAML::Node();
  if (!endpoints || !endpoints.IsSequence()) {
    return common::Error{"the config has no endpoints list"};
  }
  if (endpoints.size() != ports.size()) {
    return common::Error{"the config lists " + std::to_string(endpoints.size()) +
                         " endpoints for " + std::to_string(ports.size()) + " simulated servers"};
  }
  for (size_t i = 0; i < ports.size(); ++i) {
    if (!endpoints[i].IsMap()) {
      return common::Error{"endpoints[" + std::to_string(i) + "] is not a map"};
    }
    endpoints[i]["port"] = ports[i];
  }
  YAML::Emitter out;
  out << doc;
  return std::string(out.c_str());
}

}  // namespace epp::scenarios
