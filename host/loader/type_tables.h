// File: host/loader/type_tables.h
//
// Host-owned copies of a plugin's descriptors and kind tables. The copies are complete
// structs of this host's ABI with every field the plugin did not declare (beyond its
// `struct_size`) zeroed, so code outside the loader reads them directly and an absent
// optional hook is simply NULL. The copies keep the plugin's `struct_size` values.
#pragma once

#include <string>
#include <vector>

#include "epp/abi.h"

namespace epp::loader {

// One plugin type. Its descriptor's kind-table pointers point into this object, so it
// never moves.
class NormalizedType {
 public:
  // `raw` must have passed validateDescriptor.
  explicit NormalizedType(const epp_type_descriptor* raw);
  NormalizedType(const NormalizedType&) = delete;
  NormalizedType& operator=(const NormalizedType&) = delete;

  const epp_type_descriptor& descriptor() const { return descriptor_; }

 private:
  epp_type_descriptor descriptor_{};
  epp_filter_v1 filter_{};
  epp_scorer_v1 scorer_{};
  epp_picker_v1 picker_{};
  epp_profile_handler_v1 profile_handler_{};
  epp_ordering_policy_v1 ordering_policy_{};
  epp_fairness_policy_v1 fairness_policy_{};
  epp_saturation_detector_v1 saturation_detector_{};
  epp_traffic_splitter_v1 traffic_splitter_{};
  epp_backend_adapter_v1 backend_adapter_{};
  epp_request_hooks_v1 request_hooks_{};
  epp_data_hooks_v1 data_hooks_{};
  epp_state_handover_v1 state_handover_{};
};

// The library descriptor, with `types` left as the plugin's (use the NormalizedTypes).
epp_plugin_descriptor normalizeDescriptor(const epp_plugin_descriptor* raw);

// Names of the optional functions `type` provides ("backend-adapter.detect",
// "request-hooks.pre_request", "state-handover.export_state"): what `eppd plugins inspect`
// shows as capabilities.
std::vector<std::string> optionalHooks(const epp_type_descriptor& type);

}  // namespace epp::loader
