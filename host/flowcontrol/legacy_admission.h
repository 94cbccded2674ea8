// File: host/flowcontrol/legacy_admission.h
//
// Admission in the reference's legacy mode (the flowControl feature gate off): a sheddable
// request (priority < 0) is rejected with 429 ResourceExhausted while the saturation
// detector reads its candidate endpoints as saturated (>= 1.0); every other request goes
// straight on to scheduling without asking the detector. A detector that fails (error
// status, NaN, infinite or negative value) admits the request: failing open is counted,
// never silent. It runs after the model and priority are known and before scheduling,
// the reference director's order. Flow control (queues, bands, fairness) will take this
// step's place when the gate is on; readSaturation is the detector call both share.
#pragma once

#include <cstdint>
#include <string>

#include "epp/abi.h"
#include "host/loader/plugin_instance.h"

namespace epp::flowcontrol {

// One answer of a saturation detector.
struct SaturationReading {
  bool ok = false;
  double value = 0;   // >= 0 when ok
  std::string error;  // why not ok
  int64_t durationNs = 0;
};

// Asks `detector` how full `endpoints` are at `nowNs`.
SaturationReading readSaturation(const loader::PluginInstance& detector,
                                 const epp_endpoint_list& endpoints, int64_t nowNs);

struct AdmissionResult {
  enum class Outcome {
    kAdmitted,     // not sheddable, or no detector configured: the detector was not asked
    kUnsaturated,  // sheddable, and the detector read < 1.0
    kFailedOpen,   // sheddable, the detector failed: admitted
    kRejected,     // sheddable and saturated: 429
  };
  Outcome outcome = Outcome::kAdmitted;
  SaturationReading reading;  // when the detector was asked
  bool admitted() const { return outcome != Outcome::kRejected; }
  bool asked() const { return outcome != Outcome::kAdmitted; }
};

const char* outcomeName(AdmissionResult::Outcome outcome);

// The legacy decision. `detector` may be null (no detector configured: all admitted).
AdmissionResult admitLegacy(const loader::PluginInstance* detector, int32_t priority,
                            const epp_endpoint_list& candidates, int64_t nowNs);

// The message of the 429, as the reference words it.
inline constexpr char kShedMessage[] = "system saturated, sheddable request dropped";

}  // namespace epp::flowcontrol
