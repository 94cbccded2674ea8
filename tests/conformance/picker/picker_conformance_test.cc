// The picker contract (epp/abi_scheduling.h), checked on every picker type of every plugin
// library eppd builds (plugins/) and of the SDK's examples (sdk/examples/), each loaded by
// the real loader and called through its ABI table with requests and endpoint views the
// host builds:
//  - status EPP_OK; at least one index when there are candidates, never more than
//    maxNumOfEndpoints (default 1) nor than the candidates; each index below the candidate
//    count; no index twice; nothing written past `*picked_count` entries of room;
//  - one candidate, no candidate, tied and extreme scores;
//  - ties broken with the request's generator (or, for a picker keyed by the request, by the
//    request): tied candidates do not always lose, and two fresh instances fed the same
//    requests pick the same (replays stay deterministic);
//  - calls from several threads at once.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "epp/abi.h"
#include "host/config/param_tree.h"
#include "host/datalayer/endpoint_snapshot.h"
#include "host/loader/plugin_instance.h"
#include "host/loader/plugin_registry.h"
#include "host/scheduling/request_context.h"

namespace epp::conformance {
namespace {

namespace fs = std::filesystem;
using datalayer::EndpointSnapshotPtr;
using datalayer::EndpointState;
using loader::PluginInstance;

constexpr uint32_t kCanary = 0xC0FFEE;
constexpr size_t kCanarySlots = 8;

class PickerConformance : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string pattern = (fs::temp_directory_path() / "eppd-conformance-XXXXXX").string();
    cache_ = ::mkdtemp(pattern.data());
    registry_ = new loader::PluginRegistry({.cache_dir = cache_, .host_abi = {}});
    registry_->scan({EPP_BUILTIN_PLUGIN_DIR, EPP_EXAMPLE_PLUGIN_DIR});
  }
  static void TearDownTestSuite() {
    delete registry_;
    registry_ = nullptr;
    std::error_code ec;
    fs::remove_all(cache_, ec);
  }

  static std::vector<const loader::RegisteredType*> pickers() {
    std::vector<const loader::RegisteredType*> out;
    for (const auto& [name, type] : registry_->types()) {
      if ((type.type->kinds & EPP_KIND_PICKER) != 0) out.push_back(&type);
    }
    return out;
  }

  static std::shared_ptr<PluginInstance> create(const loader::RegisteredType& type,
                                                const std::string& yaml) {
    auto params = config::ParamTree::parse(yaml, "conformance.yaml");
    EXPECT_TRUE(params) << params.error();
    if (!params) return nullptr;
    auto instance = PluginInstance::create(type, type.type->type_name, params->root());
    EXPECT_TRUE(instance) << instance.error();
    return instance ? *instance : nullptr;
  }

  // `n` endpoints; `varied`: different queues, KV use and in-flight counts, else identical.
  static EndpointSnapshotPtr endpoints(size_t n, bool varied) {
    std::vector<EndpointState> states;
    for (size_t i = 0; i < n; ++i) {
      EndpointState s;
      s.address = "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
      s.port = 8000;
      s.hasMetrics = true;
      s.cacheBlockSize = 16;
      s.cacheNumBlocks = 1000;
      s.waiting = varied ? static_cast<int64_t>((i * 7) % 5) : 1;
      s.running = varied ? static_cast<int64_t>((i * 3) % 4) : 1;
      s.kvCacheUsage = varied ? static_cast<double>(i % 10) / 10 : 0.5;
      states.push_back(std::move(s));
    }
    return std::make_shared<const datalayer::EndpointSnapshot>(
        std::move(states), 1, [varied](uint64_t id) {
          return std::make_shared<std::atomic<int64_t>>(varied ? static_cast<int64_t>(id % 3) : 0);
        });
  }

  static std::unique_ptr<scheduling::RequestContext> request(const EndpointSnapshotPtr& eps,
                                                             uint64_t seed) {
    scheduling::RequestFields fields;
    fields.requestId = "conformance-" + std::to_string(seed);
    fields.path = "/v1/completions";
    fields.model = fields.targetModel = "conformance-model";
    // Requests differ as real ones do: a picker keyed by the request (consistent-hash-picker
    // hashes the prompt) must spread different requests too.
    fields.prompt = "request " + std::to_string(seed) + ": a prompt for the pickers that read it";
    return std::make_unique<scheduling::RequestContext>(std::move(fields), eps, seed);
  }

  // One pick, with every rule that holds for any input checked; returns the indices.
  static std::vector<uint32_t> pick(const PluginInstance& picker, const EndpointSnapshotPtr& eps,
                                    const std::vector<double>& scores, uint64_t seed,
                                    size_t maxEndpoints) {
    auto r = request(eps, seed);
    const size_t n = eps->size();
    std::vector<uint32_t> picked(n + kCanarySlots, kCanary);
    size_t count = n;
    const epp_status status = picker.type().picker->pick(picker.pluginPtr(), r->view(), &eps->all(),
                                                         scores.data(), picked.data(), &count);
    EXPECT_EQ(status, EPP_OK);
    for (size_t i = n; i < picked.size(); ++i) {
      EXPECT_EQ(picked[i], kCanary) << "wrote past the room it was given, at " << i;
    }
    EXPECT_LE(count, std::min(n, maxEndpoints));
    if (n > 0) {
      EXPECT_GE(count, 1u) << "picked nothing among " << n << " candidates";
    }
    count = std::min(count, n);
    picked.resize(count);
    std::set<uint32_t> seen;
    for (uint32_t index : picked) {
      EXPECT_LT(index, n);
      EXPECT_TRUE(seen.insert(index).second) << "index " << index << " twice";
    }
    return picked;
  }

  // The score patterns every picker meets: distinct, all tied, all zero, huge, partly tied.
  static std::vector<std::vector<double>> scorePatterns(size_t n) {
    std::vector<double> distinct(n), tied(n, 1.5), zero(n, 0.0), huge(n), partly(n);
    for (size_t i = 0; i < n; ++i) {
      distinct[i] = static_cast<double>((i * 37) % n) / static_cast<double>(n);
      huge[i] = 1e12 * static_cast<double>(i + 1);
      partly[i] = i % 2 ? 3.0 : 0.25;
    }
    return {distinct, tied, zero, huge, partly};
  }

  static inline fs::path cache_;
  static inline loader::PluginRegistry* registry_ = nullptr;
};

TEST_F(PickerConformance, TheBuiltinPickersAreFound) {
  for (const auto& error : registry_->errors()) ADD_FAILURE() << error.message;
  std::set<std::string> names;
  for (const auto* type : pickers()) names.insert(type->type->type_name);
  for (const char* builtin :
       {"max-score-picker", "random-picker", "weighted-random-picker", "round-robin-picker",
        "power-of-two-picker", "least-request-picker", "least-response-time-picker",
        "weighted-round-robin-picker", "consistent-hash-picker"}) {
    EXPECT_EQ(names.count(builtin), 1u) << builtin;
  }
}

TEST_F(PickerConformance, ValidDistinctIndicesWithinMaxNumOfEndpoints) {
  for (const auto* type : pickers()) {
    SCOPED_TRACE(type->type->type_name);
    for (auto [yaml, max] : {std::pair<std::string, size_t>{"", 1},
                             {"maxNumOfEndpoints: 3\n", 3},
                             {"maxNumOfEndpoints: 100\n", 100}}) {
      SCOPED_TRACE(yaml);
      auto picker = create(*type, yaml);
      ASSERT_NE(picker, nullptr);
      for (size_t n : {1u, 2u, 3u, 8u, 40u}) {
        for (bool varied : {false, true}) {
          EndpointSnapshotPtr eps = endpoints(n, varied);
          for (const auto& scores : scorePatterns(n)) {
            for (uint64_t seed = 0; seed < 5; ++seed) {
              auto picked = pick(*picker, eps, scores, seed, max);
              // Asked for more than there are: every candidate, once.
              if (max >= n) {
                EXPECT_EQ(picked.size(), n);
              }
            }
          }
        }
      }
    }
  }
}

TEST_F(PickerConformance, OneCandidateIsPickedAndNoneIsNothing) {
  for (const auto* type : pickers()) {
    SCOPED_TRACE(type->type->type_name);
    auto picker = create(*type, "maxNumOfEndpoints: 2\n");
    ASSERT_NE(picker, nullptr);
    for (double score : {0.0, 0.7, 1e9}) {
      EXPECT_EQ(pick(*picker, endpoints(1, true), {score}, 3, 2), std::vector<uint32_t>{0});
    }
    EXPECT_TRUE(pick(*picker, endpoints(0, true), {}, 3, 2).empty());
  }
}

TEST_F(PickerConformance, TiesAreBrokenNotAlwaysTheSameWay) {
  for (const auto* type : pickers()) {
    SCOPED_TRACE(type->type->type_name);
    auto picker = create(*type, "");
    ASSERT_NE(picker, nullptr);
    // Four identical endpoints with the same score: every one is the primary sometimes.
    EndpointSnapshotPtr eps = endpoints(4, false);
    std::set<uint32_t> primaries;
    for (uint64_t seed = 0; seed < 64; ++seed) {
      auto picked = pick(*picker, eps, {2.0, 2.0, 2.0, 2.0}, seed, 1);
      if (!picked.empty()) primaries.insert(picked[0]);
    }
    EXPECT_EQ(primaries.size(), 4u);
  }
}

TEST_F(PickerConformance, FreshInstancesFedTheSameRequestsPickTheSame) {
  for (const auto* type : pickers()) {
    SCOPED_TRACE(type->type->type_name);
    auto a = create(*type, "maxNumOfEndpoints: 2\n");
    auto b = create(*type, "maxNumOfEndpoints: 2\n");
    ASSERT_TRUE(a && b);
    EndpointSnapshotPtr eps = endpoints(6, true);
    for (uint64_t seed = 0; seed < 30; ++seed) {
      const std::vector<double> scores = scorePatterns(6)[seed % 5];
      EXPECT_EQ(pick(*a, eps, scores, seed, 2), pick(*b, eps, scores, seed, 2)) << seed;
    }
  }
}

TEST_F(PickerConformance, ConcurrentCallsOnOneInstance) {
  for (const auto* type : pickers()) {
    SCOPED_TRACE(type->type->type_name);
    auto picker = create(*type, "maxNumOfEndpoints: 2\n");
    ASSERT_NE(picker, nullptr);
    EndpointSnapshotPtr eps = endpoints(5, true);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (uint64_t i = 0; i < 200; ++i) {
          pick(*picker, eps, scorePatterns(5)[i % 5], static_cast<uint64_t>(t) * 1000 + i, 2);
        }
      });
    }
    for (auto& thread : threads) thread.join();
  }
}

}  // namespace
}  // namespace epp::conformance
