// The profile-handler contract (epp/abi_scheduling.h), checked on every profile-handler type
// of every plugin library eppd builds (plugins/) and of the SDK's examples (sdk/examples/),
// each loaded by the real loader and driven through its ABI table the way eppd's scheduler
// drives it, over several sets of configured profiles and profile outcomes:
//  - a handler may refuse a set of profiles it does not support, on its first call only;
//    once it accepts, every call returns EPP_OK;
//  - it names only configured profiles (nothing written past the run array), never one that
//    already ran, asks for at least one, and stops (a round asking for none) within as many
//    rounds as there are profiles;
//  - process_results names a result that ran as primary when it returns EPP_OK, and returns
//    EPP_OK with a primary that found endpoints when every profile found endpoints.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "epp/abi.h"
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

constexpr uint8_t kCanary = 0xA5;
constexpr size_t kCanaryBytes = 8;

// Which profiles find endpoints.
enum class Outcome { kAllFind, kNoneFind, kFirstRunFails };

struct Drive {
  bool refused = false;          // the first pick_profiles declined the profile set
  std::vector<std::string> ran;  // in run order
  epp_status processStatus = EPP_OK;
  uint32_t primary = UINT32_MAX;
};

class ProfileHandlerConformance : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string pattern = (fs::temp_directory_path() / "eppd-conformance-XXXXXX").string();
    cache_ = ::mkdtemp(pattern.data());
    registry_ = new loader::PluginRegistry({.cache_dir = cache_, .host_abi = {}});
    registry_->scan({EPP_BUILTIN_PLUGIN_DIR, EPP_EXAMPLE_PLUGIN_DIR});
    std::vector<EndpointState> states;
    for (const char* role : {"decode", "decode", "prefill", ""}) {
      EndpointState s;
      s.address = "10.0.0." + std::to_string(states.size() + 1);
      s.port = 8000;
      s.role = role;
      if (*role) s.labels["llm-d.ai/role"] = role;
      s.hasMetrics = true;
      states.push_back(std::move(s));
    }
    endpoints_ = std::make_shared<const datalayer::EndpointSnapshot>(
        std::move(states), 1, [](uint64_t) { return std::make_shared<std::atomic<int64_t>>(0); });
  }
  static void TearDownTestSuite() {
    delete registry_;
    registry_ = nullptr;
    endpoints_.reset();
    std::error_code ec;
    fs::remove_all(cache_, ec);
  }

  static std::vector<const loader::RegisteredType*> handlers() {
    std::vector<const loader::RegisteredType*> out;
    for (const auto& [name, type] : registry_->types()) {
      if ((type.type->kinds & EPP_KIND_PROFILE_HANDLER) != 0) out.push_back(&type);
    }
    return out;
  }

  static std::unique_ptr<scheduling::RequestContext> request(const std::string& prompt) {
    scheduling::RequestFields fields;
    fields.requestId = "conformance";
    fields.path = "/v1/completions";
    fields.model = fields.targetModel = "conformance-model";
    fields.prompt = prompt;
    return std::make_unique<scheduling::RequestContext>(std::move(fields), endpoints_, 7);
  }

  // Runs `handler` over `profiles` as eppd's scheduler does, checking each call.
  static Drive drive(const PluginInstance& handler, const std::vector<std::string>& profiles,
                     Outcome outcome, const std::string& prompt) {
    Drive d;
    auto r = request(prompt);
    const epp_profile_handler_v1* table = handler.type().profile_handler;
    std::vector<epp_str> names;
    for (const auto& p : profiles) names.push_back({p.data(), p.size()});
    // Results stay where they are: the handler gets pointers to them.
    std::vector<std::unique_ptr<epp_profile_result>> results;
    std::vector<const epp_profile_result*> pointers;
    std::vector<const epp_endpoint_view*> targets = {endpoints_->view(0), endpoints_->view(2)};
    std::vector<uint8_t> ran(profiles.size(), 0);
    bool stopped = false;
    for (size_t round = 0; round <= profiles.size(); ++round) {
      std::vector<uint8_t> run(profiles.size() + kCanaryBytes, kCanary);
      std::fill(run.begin(), run.begin() + static_cast<long>(profiles.size()), 0);
      const epp_status s =
          table->pick_profiles(handler.pluginPtr(), r->view(), names.data(), names.size(),
                               pointers.data(), pointers.size(), run.data());
      for (size_t i = profiles.size(); i < run.size(); ++i) {
        EXPECT_EQ(run[i], kCanary) << "wrote past the run array, at " << i;
      }
      if (s != EPP_OK) {
        EXPECT_EQ(round, 0u) << "failed (status " << s << ") after accepting the profiles";
        d.refused = round == 0;
        return d;
      }
      bool any = false;
      for (size_t i = 0; i < profiles.size(); ++i) {
        if (!run[i]) continue;
        EXPECT_FALSE(ran[i]) << "asked to run '" << profiles[i] << "' again";
        if (ran[i]) continue;
        ran[i] = 1;
        any = true;
        d.ran.push_back(profiles[i]);
        const bool finds = outcome == Outcome::kAllFind ||
                           (outcome == Outcome::kFirstRunFails && d.ran.size() > 1);
        auto result = std::make_unique<epp_profile_result>();
        result->struct_size = sizeof(epp_profile_result);
        result->ok = finds;
        result->profile_name = names[i];
        result->targets = finds ? targets.data() + (d.ran.size() % 2) : nullptr;
        result->targets_count = finds ? 1 : 0;
        pointers.push_back(result.get());
        results.push_back(std::move(result));
      }
      if (!any) {
        stopped = true;
        break;
      }
    }
    EXPECT_TRUE(stopped) << "still asking for profiles after " << profiles.size() + 1 << " rounds";
    EXPECT_FALSE(d.ran.empty()) << "accepted the profiles but ran none";
    if (d.ran.empty()) return d;
    d.processStatus = table->process_results(handler.pluginPtr(), r->view(), pointers.data(),
                                             pointers.size(), &d.primary);
    if (d.processStatus == EPP_OK) {
      EXPECT_LT(d.primary, pointers.size()) << "primary names no result";
    }
    if (outcome == Outcome::kAllFind) {
      EXPECT_EQ(d.processStatus, EPP_OK);
      if (d.primary < pointers.size()) {
        EXPECT_GT(pointers[d.primary]->targets_count, 0u);
      }
    }
    return d;
  }

  static inline fs::path cache_;
  static inline loader::PluginRegistry* registry_ = nullptr;
  static inline EndpointSnapshotPtr endpoints_;
};

const std::vector<std::vector<std::string>> kProfileSets = {
    {"default"}, {"decode", "prefill"}, {"prefill", "decode"}, {"decode"}, {"a", "b", "c"}};

TEST_F(ProfileHandlerConformance, TheBuiltinHandlersAreFound) {
  for (const auto& error : registry_->errors()) ADD_FAILURE() << error.message;
  std::set<std::string> names;
  for (const auto* type : handlers()) names.insert(type->type->type_name);
  for (const char* builtin :
       {"single-profile-handler", "data-parallel-profile-handler", "disagg-profile-handler",
        "pd-profile-handler", "adaptive-profile-handler"}) {
    EXPECT_EQ(names.count(builtin), 1u) << builtin;
  }
}

TEST_F(ProfileHandlerConformance, EveryHandlerFollowsTheLoopContract) {
  for (const auto* type : handlers()) {
    SCOPED_TRACE(type->type->type_name);
    auto handler = PluginInstance::create(*type, type->type->type_name);
    ASSERT_TRUE(handler) << handler.error();
    size_t accepted = 0;
    for (const auto& profiles : kProfileSets) {
      for (Outcome outcome : {Outcome::kAllFind, Outcome::kNoneFind, Outcome::kFirstRunFails}) {
        for (const std::string& prompt : {std::string("hi"), std::string(4000, 'x')}) {
          SCOPED_TRACE(::testing::Message()
                       << "profiles " << profiles.size() << " first '" << profiles[0]
                       << "', outcome " << static_cast<int>(outcome) << ", prompt "
                       << prompt.size());
          Drive d = drive(**handler, profiles, outcome, prompt);
          if (!d.refused) ++accepted;
        }
      }
    }
    // A handler that supports no profile set at all is of no use.
    EXPECT_GT(accepted, 0u);
  }
}

TEST_F(ProfileHandlerConformance, TheSameRequestRunsTheSameProfiles) {
  for (const auto* type : handlers()) {
    SCOPED_TRACE(type->type->type_name);
    auto handler = PluginInstance::create(*type, type->type->type_name);
    ASSERT_TRUE(handler) << handler.error();
    for (const auto& profiles : kProfileSets) {
      Drive first = drive(**handler, profiles, Outcome::kAllFind, std::string(500, 'y'));
      Drive second = drive(**handler, profiles, Outcome::kAllFind, std::string(500, 'y'));
      EXPECT_EQ(first.refused, second.refused);
      EXPECT_EQ(first.ran, second.ran);
      EXPECT_EQ(first.primary, second.primary);
    }
  }
}

}  // namespace
}  // namespace epp::conformance
