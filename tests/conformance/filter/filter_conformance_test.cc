// The filter contract, checked on every filter library the build produced (saturation
// detectors, which filter too, included) and the SDK's example filter, loaded by eppd's
// loader and called through the ABI as the scheduler calls them (epp/abi_scheduling.h):
//  - created with no parameters (the reference's defaults), or, for the few types that
//    need some, refusing none;
//  - the keep mask the host preset to 1 comes back as a subset: every entry 0 or 1, nothing
//    written past it, status EPP_OK;
//  - the same inputs (same request seed) keep the same endpoints;
//  - 1 and many candidates, metrics missing, stale or extreme, ties, and no candidate at all
//    (an empty input, which decision trees produce, never crashes);
//  - all of that still holds after the request lifecycle hooks have run.
#include <gtest/gtest.h>

#include <set>

#include "tests/conformance/conformance_support.h"

namespace epp::conformance {
namespace {

constexpr size_t kGuard = 4;
constexpr uint8_t kSentinel = 0xA5;

struct Filtered {
  epp_status status = EPP_OK;
  std::vector<uint8_t> keep;
  bool guardIntact = true;
};

Filtered filter(const loader::PluginInstance& instance, scheduling::RequestContext& request,
                const epp_endpoint_list& candidates) {
  std::vector<uint8_t> buffer(candidates.count + kGuard, kSentinel);
  std::fill(buffer.begin(), buffer.begin() + static_cast<long>(candidates.count), uint8_t{1});
  Filtered out;
  out.status = instance.type().filter->filter(instance.pluginPtr(), request.view(), &candidates,
                                              buffer.data());
  for (size_t i = candidates.count; i < buffer.size(); ++i) {
    out.guardIntact = out.guardIntact && buffer[i] == kSentinel;
  }
  buffer.resize(candidates.count);
  out.keep = std::move(buffer);
  return out;
}

void expectSubset(const Filtered& f, size_t count, const std::string& context) {
  EXPECT_EQ(f.status, EPP_OK) << context;
  EXPECT_TRUE(f.guardIntact) << context << ": wrote past the keep mask";
  ASSERT_EQ(f.keep.size(), count) << context;
  for (size_t i = 0; i < count; ++i) {
    EXPECT_TRUE(f.keep[i] == 0 || f.keep[i] == 1)
        << context << ": keep[" << i << "] = " << static_cast<int>(f.keep[i]);
  }
}

class FilterConformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto created = createInstance(GetParam());
    ASSERT_TRUE(created) << created.error();
    filter_ = *created;
    ASSERT_NE(filter_->type().filter, nullptr);
    ASSERT_NE(filter_->type().filter->filter, nullptr);
  }
  std::string where(const Scenario& s, const RequestShape& r) const {
    return GetParam() + " (" + origin(GetParam()) + "), " + s.name + ", " + r.name;
  }

  std::shared_ptr<loader::PluginInstance> filter_;
};

TEST_P(FilterConformance, KeepsASubset) {
  for (const Scenario& scenario : scenarios()) {
    Fleet fleet(scenario.endpoints);
    for (const RequestShape& shape : requestShapes()) {
      auto request = makeRequest(fleet, shape, 7);
      expectSubset(filter(*filter_, *request, fleet.list()), fleet.size(), where(scenario, shape));
    }
  }
}

TEST_P(FilterConformance, FiltersWhatAnEarlierFilterLeft) {
  // In a decision tree a filter sees what the previous node kept: a subset, any order.
  Fleet fleet(scenarios()[2].endpoints);
  const epp_endpoint_list& all = fleet.list();
  std::vector<const epp_endpoint_view*> subset;
  for (size_t i = all.count; i-- > 0;) {
    if (i % 3 != 1) subset.push_back(all.items[i]);
  }
  epp_endpoint_list candidates{subset.data(), subset.size()};
  for (const RequestShape& shape : requestShapes()) {
    auto request = makeRequest(fleet, shape, 11);
    expectSubset(filter(*filter_, *request, candidates), subset.size(),
                 GetParam() + ", reversed subset, " + shape.name);
  }
}

TEST_P(FilterConformance, EmptyInput) {
  Fleet fleet(scenarios()[0].endpoints);
  for (const RequestShape& shape : requestShapes()) {
    auto request = makeRequest(fleet, shape, 1);
    epp_endpoint_list none{nullptr, 0};
    Filtered f = filter(*filter_, *request, none);
    EXPECT_EQ(f.status, EPP_OK) << GetParam() << ", " << shape.name;
    EXPECT_TRUE(f.guardIntact) << GetParam() << ": wrote a keep entry with no candidate";
  }
}

TEST_P(FilterConformance, DeterministicForIdenticalInputs) {
  for (const Scenario& scenario : scenarios()) {
    Fleet fleet(scenario.endpoints);
    for (const RequestShape& shape : requestShapes()) {
      auto first = makeRequest(fleet, shape, 99);
      auto second = makeRequest(fleet, shape, 99);
      EXPECT_EQ(filter(*filter_, *first, fleet.list()).keep,
                filter(*filter_, *second, fleet.list()).keep)
          << where(scenario, shape) << ": two identical requests kept different endpoints";
    }
  }
}

TEST_P(FilterConformance, StaysValidThroughTheRequestLifecycle) {
  for (const Scenario& scenario : scenarios()) {
    Fleet fleet(scenario.endpoints);
    endpointsAdded(*filter_, fleet.list());
    uint64_t seed = 1000;
    for (int round = 0; round < 3; ++round) {
      for (const RequestShape& shape : requestShapes()) {
        auto request = makeRequest(fleet, shape, ++seed);
        const std::string context = where(scenario, shape) + ", round " + std::to_string(round);
        EXPECT_EQ(prepare(*filter_, *request, fleet.list()), EPP_OK) << context;
        Filtered f = filter(*filter_, *request, fleet.list());
        expectSubset(f, fleet.size(), context);
        // Route to the first kept endpoint (or the first one when the filter kept none).
        size_t target = 0;
        for (size_t i = 0; i < f.keep.size(); ++i) {
          if (f.keep[i]) {
            target = i;
            break;
          }
        }
        complete(*filter_, *request, fleet.list().items[target]);
      }
    }
    endpointsRemoved(*filter_, fleet.list());
    auto after = makeRequest(fleet, requestShapes()[0], 1);
    expectSubset(filter(*filter_, *after, fleet.list()), fleet.size(),
                 GetParam() + ", " + scenario.name + ", after the endpoints left");
  }
}

std::vector<std::string> filterTypes() { return Catalogue::get().typesOf(EPP_KIND_FILTER); }

INSTANTIATE_TEST_SUITE_P(AllFilters, FilterConformance, ::testing::ValuesIn(filterTypes()),
                         [](const auto& param) { return testName(param.param); });

TEST(FilterCatalogue, LoadsEveryLibraryAndFindsTheKnownFilters) {
  const Catalogue& catalogue = Catalogue::get();
  EXPECT_TRUE(catalogue.scanned());
  for (const auto& error : catalogue.registry().errors()) ADD_FAILURE() << error.message;
  const std::vector<std::string> types = filterTypes();
  const std::set<std::string> found(types.begin(), types.end());
  for (const char* expected :
       {"decode-filter", "prefill-filter", "low-queue-filter", "least-queue-filter",
        "least-kv-cache-filter", "lora-affinity-filter", "label-selector-filter",
        "concurrency-detector", "by-label-selector", "by-label", "prefix-cache-affinity-filter",
        "utilization-detector", "capability-filter", "cost-budget-filter",
        "example-label-match-filter"}) {
    EXPECT_EQ(found.count(expected), 1u) << expected << " is not in the catalogue";
  }
}

TEST(FilterCatalogue, TypesNeedingParametersRefuseNone) {
  for (const auto& [type, params] : requiredParameters()) {
    const loader::RegisteredType* registered = Catalogue::get().registry().find(type);
    ASSERT_NE(registered, nullptr) << type;
    auto bare = loader::PluginInstance::create(*registered, type);
    EXPECT_FALSE(bare) << type << " accepts no parameters: drop it from requiredParameters()";
  }
}

}  // namespace
}  // namespace epp::conformance
