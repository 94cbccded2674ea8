// The scorer contract, checked on every scorer library the build produced and the SDK's
// example scorer, loaded by eppd's loader and called through the ABI as the scheduler calls
// them (epp/abi_scheduling.h):
//  - created with no parameters (the reference's defaults);
//  - exactly one score per candidate, written inside the host's array and nowhere else,
//    each finite and within [0, 1], with status EPP_OK;
//  - the same inputs (same request seed) give the same scores;
//  - 1 and many candidates, metrics missing, stale or extreme, ties, no candidate at all;
//  - all of that still holds after the request lifecycle hooks have run (stateful scorers).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

#include "tests/conformance/conformance_support.h"

namespace epp::conformance {
namespace {

constexpr size_t kGuard = 4;
constexpr double kSentinel = -12345.678;

struct Scored {
  epp_status status = EPP_OK;
  std::vector<double> scores;
  bool guardIntact = true;
};

// Calls the scorer as the scheduler does: scores zeroed by the host, one call per step.
Scored score(const loader::PluginInstance& scorer, scheduling::RequestContext& request,
             const epp_endpoint_list& candidates) {
  std::vector<double> buffer(candidates.count + kGuard, kSentinel);
  std::fill(buffer.begin(), buffer.begin() + static_cast<long>(candidates.count), 0.0);
  Scored out;
  out.status =
      scorer.type().scorer->score(scorer.pluginPtr(), request.view(), &candidates, buffer.data());
  for (size_t i = candidates.count; i < buffer.size(); ++i) {
    out.guardIntact = out.guardIntact && buffer[i] == kSentinel;
  }
  buffer.resize(candidates.count);
  out.scores = std::move(buffer);
  return out;
}

void expectValid(const Scored& s, size_t count, const std::string& context) {
  EXPECT_EQ(s.status, EPP_OK) << context;
  EXPECT_TRUE(s.guardIntact) << context << ": wrote past the score array";
  ASSERT_EQ(s.scores.size(), count) << context;
  for (size_t i = 0; i < count; ++i) {
    EXPECT_TRUE(std::isfinite(s.scores[i])) << context << ": score[" << i << "] " << s.scores[i];
    EXPECT_GE(s.scores[i], 0.0) << context << ": score[" << i << "]";
    EXPECT_LE(s.scores[i], 1.0) << context << ": score[" << i << "]";
  }
}

bool bitwiseEqual(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

class ScorerConformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto created = createInstance(GetParam());
    ASSERT_TRUE(created) << created.error();
    scorer_ = *created;
    ASSERT_NE(scorer_->type().scorer, nullptr);
    ASSERT_NE(scorer_->type().scorer->score, nullptr);
  }
  std::string where(const Scenario& s, const RequestShape& r) const {
    return GetParam() + " (" + origin(GetParam()) + "), " + s.name + ", " + r.name;
  }

  std::shared_ptr<loader::PluginInstance> scorer_;
};

TEST_P(ScorerConformance, OneFiniteScoreInRangePerCandidate) {
  for (const Scenario& scenario : scenarios()) {
    Fleet fleet(scenario.endpoints);
    for (const RequestShape& shape : requestShapes()) {
      auto request = makeRequest(fleet, shape, 7);
      expectValid(score(*scorer_, *request, fleet.list()), fleet.size(), where(scenario, shape));
    }
  }
}

TEST_P(ScorerConformance, SubsetsOfThePoolAsCandidates) {
  // Filters leave scorers a subset of the pool, in pool order or not.
  Fleet fleet(scenarios()[2].endpoints);
  const epp_endpoint_list& all = fleet.list();
  std::vector<const epp_endpoint_view*> subset;
  for (size_t i = all.count; i-- > 0;) {
    if (i % 3 != 1) subset.push_back(all.items[i]);
  }
  epp_endpoint_list candidates{subset.data(), subset.size()};
  for (const RequestShape& shape : requestShapes()) {
    auto request = makeRequest(fleet, shape, 11);
    expectValid(score(*scorer_, *request, candidates), subset.size(),
                GetParam() + ", reversed subset, " + shape.name);
  }
}

TEST_P(ScorerConformance, DeterministicForIdenticalInputs) {
  for (const Scenario& scenario : scenarios()) {
    Fleet fleet(scenario.endpoints);
    for (const RequestShape& shape : requestShapes()) {
      auto first = makeRequest(fleet, shape, 99);
      auto second = makeRequest(fleet, shape, 99);
      Scored a = score(*scorer_, *first, fleet.list());
      Scored b = score(*scorer_, *second, fleet.list());
      EXPECT_TRUE(bitwiseEqual(a.scores, b.scores))
          << where(scenario, shape) << ": two identical requests scored differently";
    }
  }
}

TEST_P(ScorerConformance, NoCandidates) {
  Fleet fleet(scenarios()[0].endpoints);
  auto request = makeRequest(fleet, requestShapes()[1], 1);
  epp_endpoint_list none{nullptr, 0};
  Scored s = score(*scorer_, *request, none);
  EXPECT_EQ(s.status, EPP_OK) << GetParam();
  EXPECT_TRUE(s.guardIntact) << GetParam() << ": wrote a score with no candidate";
}

TEST_P(ScorerConformance, StaysValidThroughTheRequestLifecycle) {
  // Stateful scorers (in-flight counts, LRUs, session tokens) see requests routed and
  // completed between scoring calls, as in eppd.
  for (const Scenario& scenario : scenarios()) {
    Fleet fleet(scenario.endpoints);
    endpointsAdded(*scorer_, fleet.list());
    std::vector<std::unique_ptr<scheduling::RequestContext>> inFlight;
    uint64_t seed = 1000;
    for (int round = 0; round < 4; ++round) {
      for (const RequestShape& shape : requestShapes()) {
        auto request = makeRequest(fleet, shape, ++seed);
        const std::string context = where(scenario, shape) + ", round " + std::to_string(round);
        EXPECT_EQ(prepare(*scorer_, *request, fleet.list()), EPP_OK) << context;
        Scored s = score(*scorer_, *request, fleet.list());
        expectValid(s, fleet.size(), context);
        if (s.scores.empty()) continue;
        // Route to the best candidate and keep every other request in flight for a while.
        size_t best = static_cast<size_t>(std::max_element(s.scores.begin(), s.scores.end()) -
                                          s.scores.begin());
        if (round % 2 == 0) {
          const auto* hooks = requestHooks(*scorer_);
          if (hooks && hooks->pre_request) {
            const epp_endpoint_view* const targets[] = {fleet.list().items[best]};
            epp_profile_result profile{
                sizeof(epp_profile_result), true, {"default", 7}, targets, 1};
            const epp_profile_result* const profiles[] = {&profile};
            epp_scheduling_result result{sizeof(epp_scheduling_result), 0, profiles, 1};
            hooks->pre_request(scorer_->pluginPtr(), request->view(), &result);
          }
          inFlight.push_back(std::move(request));
        } else {
          complete(*scorer_, *request, fleet.list().items[best]);
        }
      }
    }
    for (auto& request : inFlight) {
      const auto* hooks = requestHooks(*scorer_);
      if (hooks && hooks->request_complete) {
        hooks->request_complete(scorer_->pluginPtr(), request->view(), nullptr,
                                EPP_OUTCOME_CANCELLED);
      }
    }
    endpointsRemoved(*scorer_, fleet.list());
    auto after = makeRequest(fleet, requestShapes()[0], 1);
    expectValid(score(*scorer_, *after, fleet.list()), fleet.size(),
                GetParam() + ", " + scenario.name + ", after the endpoints left");
  }
}

std::vector<std::string> scorerTypes() { return Catalogue::get().typesOf(EPP_KIND_SCORER); }

INSTANTIATE_TEST_SUITE_P(AllScorers, ScorerConformance, ::testing::ValuesIn(scorerTypes()),
                         [](const auto& param) { return testName(param.param); });

// The catalogue itself: a broken scan must not pass as "no scorer to test".
TEST(ScorerCatalogue, LoadsEveryLibraryAndFindsTheKnownScorers) {
  const Catalogue& catalogue = Catalogue::get();
  EXPECT_TRUE(catalogue.scanned());
  for (const auto& error : catalogue.registry().errors()) ADD_FAILURE() << error.message;
  const std::vector<std::string> types = scorerTypes();
  const std::set<std::string> found(types.begin(), types.end());
  for (const char* expected :
       {"queue-scorer", "kv-cache-utilization-scorer", "prefix-cache-scorer",
        "running-requests-size-scorer", "lora-affinity-scorer", "load-aware-scorer",
        "active-request-scorer", "token-load-scorer", "session-affinity-scorer",
        "no-hit-lru-scorer", "cost-scorer", "example-load-scorer"}) {
    EXPECT_EQ(found.count(expected), 1u) << expected << " is not in the catalogue";
  }
}

// The SDK's Rust example is in the catalogue (and so in every test above) whenever cargo built
// it; without cargo this says so as a skipped test.
TEST(ScorerCatalogue, HoldsTheRustExampleWhenCargoBuiltIt) {
#ifndef EPP_RUST_EXAMPLE
  GTEST_SKIP() << "cargo was not found (or EPP_CARGO=OFF) when eppd was configured: the Rust "
                  "example plugin (sdk/examples/rust) was not built and is not in this suite";
#endif
  const std::vector<std::string> types = scorerTypes();
  EXPECT_EQ(std::count(types.begin(), types.end(), "example-rust-waiting-scorer"), 1);
  EXPECT_EQ(origin("example-rust-waiting-scorer"), "libepp_example_rust.so");
}

}  // namespace
}  // namespace epp::conformance
