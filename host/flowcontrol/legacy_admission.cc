#include "host/flowcontrol/legacy_admission.h"

#include <fmt/format.h>

#include <cmath>

#include "host/common/clock.h"
#include "host/flowcontrol/objectives.h"

namespace epp::flowcontrol {

SaturationReading readSaturation(const loader::PluginInstance& detector,
                                 const epp_endpoint_list& endpoints, int64_t nowNs) {
  SaturationReading r;
  double value = std::nan("");
  int64_t start = common::monotonicNowNs();
  epp_status status = detector.type().saturation_detector->saturation(detector.pluginPtr(),
                                                                      &endpoints, nowNs, &value);
  r.durationNs = common::monotonicNowNs() - start;
  if (status != EPP_OK) {
    r.error = fmt::format("saturation failed with status {}", status);
  } else if (!std::isfinite(value) || value < 0) {
    r.error = fmt::format("saturation returned {}, not a finite value >= 0", value);
  } else {
    r.ok = true;
    r.value = value;
  }
  return r;
}

const char* outcomeName(AdmissionResult::Outcome outcome) {
  switch (outcome) {
    case AdmissionResult::Outcome::kAdmitted:
      return "admitted";
    case AdmissionResult::Outcome::kUnsaturated:
      return "unsaturated";
    case AdmissionResult::Outcome::kFailedOpen:
      return "failed-open";
    case AdmissionResult::Outcome::kRejected:
      return "rejected";
  }
  return "admitted";
}

AdmissionResult admitLegacy(const loader::PluginInstance* detector, int32_t priority,
                            const epp_endpoint_list& candidates, int64_t nowNs) {
  AdmissionResult result;
  if (!isSheddable(priority) || detector == nullptr) return result;
  result.reading = readSaturation(*detector, candidates, nowNs);
  if (!result.reading.ok) {
    result.outcome = AdmissionResult::Outcome::kFailedOpen;
  } else if (result.reading.value >= 1.0) {
    result.outcome = AdmissionResult::Outcome::kRejected;
  } else {
    result.outcome = AdmissionResult::Outcome::kUnsaturated;
  }
  return result;
}

}  // namespace epp::flowcontrol
