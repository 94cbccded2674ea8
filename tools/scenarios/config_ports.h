// File: tools/scenarios/config_ports.h
//
// A scenario config lists its endpoints on 127.0.0.1:8001 and up, as a person would run it
// by hand (eppd-sim --count N --port 8001). The driver starts its simulators on free ports
// instead and moves the config onto them: the i-th endpoint of `endpoints:` gets the i-th
// simulator's port. Everything else (names, labels, plugins) stays as written.
#pragma once

#include <string>
#include <vector>

#include "host/common/result.h"

namespace epp::scenarios {

// `yaml` with endpoints[i].port = ports[i]; an error when the file has no `endpoints` list
// or a different number of entries than `ports`.
common::Result<std::string> withEndpointPorts(const std::string& yaml,
                                              const std::vector<int>& ports);

}  // namespace epp::scenarios
