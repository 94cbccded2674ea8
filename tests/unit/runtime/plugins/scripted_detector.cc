// A saturation detector whose answer the config scripts, for admission tests through the
// real loader: `answer` is
//   value     the `value` parameter
//   inflight  Σ inflight_requests of the endpoints it is given (shows live counts arrive)
//   count     how many endpoints it is given (shows which pool admission passes)
//   error     throws (the C++ layer turns that into an error status)
//   nan       NaN
//   negative  -1
#include <cmath>
#include <string>

#include "epp/cpp/plugin.h"

namespace {

class ScriptedDetector : public epp::cpp::Plugin, public epp::cpp::SaturationDetector {
 public:
  explicit ScriptedDetector(const epp::cpp::CreateContext& ctx)
      : Plugin(ctx),
        answer_(ctx.params().getString("answer", "value")),
        value_(ctx.params().getDouble("value", 0)) {}

  double saturation(const epp::cpp::EndpointList& pool, int64_t) override {
    if (answer_ == "inflight") {
      double sum = 0;
      for (auto e : pool) sum += static_cast<double>(e.inflightRequests());
      return sum;
    }
    if (answer_ == "count") return static_cast<double>(pool.size());
    if (answer_ == "error") throw epp::cpp::Error("scripted failure", EPP_ERR_UNAVAILABLE);
    if (answer_ == "nan") return std::nan("");
    if (answer_ == "negative") return -1;
    return value_;
  }

 private:
  std::string answer_;
  double value_;
};

}  // namespace

EPP_PLUGIN("scripted-detector-plugin", "1.0.0", "A saturation detector for tests",
           EPP_TYPE(ScriptedDetector, "scripted-detector", "answers what the config says"))
