// A C++ plugin built with the SDK's C++ layer whose calls throw on demand: three
// candidates make `score` throw a std::runtime_error, five make it throw a non-standard
// type; every pre_request call throws. The layer must turn each into a status code or a
// logged error, never an exception across the boundary.
#include "epp/cpp/plugin.h"

namespace {

class ThrowingScorer : public epp::cpp::Plugin,
                       public epp::cpp::Scorer,
                       public epp::cpp::PreRequestHook {
 public:
  explicit ThrowingScorer(const epp::cpp::CreateContext& ctx) : Plugin(ctx) {}
  void score(const epp::cpp::Request&, const epp::cpp::EndpointList& candidates,
             std::span<double> scores) override {
    if (candidates.size() == 3) throw std::runtime_error("boom from score");
    if (candidates.size() == 5) throw 42;
    for (double& s : scores) s = 0.5;
  }
  void preRequest(const epp::cpp::Request&, const epp::cpp::SchedulingResult&) override {
    throw std::logic_error("boom from pre_request");
  }
};

}  // namespace

EPP_PLUGIN("throwing", "1.0.0", "throws on demand",
           EPP_TYPE(ThrowingScorer, "throwing-scorer", "throws from score and pre_request"))
