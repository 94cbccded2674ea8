// State hand-over (ABI 1.1) on real shared objects: a plugin built for 1.0 still loads and
// simply has no hook; the new table is validated; two versions of one plugin loaded side
// by side hand a counter from the old instance to the new one through the C ABI, and every
// outcome (imported, refused, nothing, failed, not offered) is logged and counted.
#include "host/runtime/state_handover.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <cstddef>

#include "host/common/metrics_registry.h"
#include "host/config/param_tree.h"
#include "host/loader/plugin_registry.h"
#include "host/loader/state_exchange.h"
#include "host/loader/type_tables.h"
#include "test_support.h"

namespace epp::runtime {
namespace {

using loader::HandoverResult;
using loader::LoadedLibrary;
using loader::PluginInstance;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_abi::LogCapture;
using testing_abi::score;
using testing_abi::TempDir;
namespace fs = std::filesystem;

constexpr const char* kType = "handover-counter";

// eppd_plugin_state_handover_total{result}, 0 before the first hand-over of that result.
double handovers(const std::string& result) {
  for (const auto& family : common::metricsRegistry().Collect()) {
    if (family.name != "eppd_plugin_state_handover_total") continue;
    for (const auto& metric : family.metric) {
      for (const auto& label : metric.label) {
        if (label.name == "result" && label.value == result) return metric.counter.value;
      }
    }
  }
  return 0;
}

struct Counts {
  double imported = handovers("imported");
  double refused = handovers("refused");
  double nothing = handovers("nothing");
  double failed = handovers("failed");
  bool operator==(const Counts&) const = default;
};

// ABI 1.1 only appended: every 1.0 field keeps its offset. These are the LP64 sizes of the
// 1.0 structs, where the new fields begin.
TEST(AbiLayoutTest, Minor1OnlyAppendsAtTheEnd) {
  static_assert(sizeof(void*) == 8, "the offsets below are LP64's");
  EXPECT_EQ(offsetof(epp_type_descriptor, data_hooks) + sizeof(void*), 128u);
  EXPECT_EQ(offsetof(epp_type_descriptor, state_handover), 128u);
  EXPECT_EQ(sizeof(epp_type_descriptor), 136u);
  EXPECT_EQ(offsetof(epp_host_api, sink_set_label) + sizeof(void*), 264u);
  EXPECT_EQ(offsetof(epp_host_api, state_sink_set_format), 264u);
  EXPECT_EQ(offsetof(epp_host_api, state_sink_write), 272u);
  EXPECT_EQ(offsetof(epp_host_api, state_sink_write) + sizeof(void*), 280u);
  EXPECT_EQ(EPP_KIND_STATE_HANDOVER, 1u << 11);
}

// ABI 1.2 appended one host callback after the last 1.1 field.
TEST(AbiLayoutTest, Minor2OnlyAppendsAtTheEnd) {
  static_assert(sizeof(void*) == 8, "the offsets below are LP64's");
  EXPECT_EQ(offsetof(epp_host_api, response_set_header), 280u);
  EXPECT_EQ(offsetof(epp_host_api, response_set_header) + sizeof(void*), 288u);
  EXPECT_EQ(sizeof(epp_type_descriptor), 136u);
}

// ABI 1.3 appended kv_events_subscribe after the last 1.2 field.
TEST(AbiLayoutTest, Minor3OnlyAppendsAtTheEnd) {
  static_assert(sizeof(void*) == 8, "the offsets below are LP64's");
  EXPECT_EQ(offsetof(epp_host_api, kv_events_subscribe), 288u);
  EXPECT_EQ(sizeof(epp_host_api), 296u);
  EXPECT_EQ(sizeof(epp_type_descriptor), 136u);
}

class StateHandoverTest : public ::testing::Test {
 protected:
  // `source` as a library of its own (its own file, so its own content-addressed copy).
  std::shared_ptr<LoadedLibrary> load(const char* source, const std::string& file) {
    auto library = LoadedLibrary::load(testing_abi::copyPlugin(source, dir_ / file), cache());
    EXPECT_TRUE(library) << library.error();
    return library ? *library : nullptr;
  }
  std::shared_ptr<PluginInstance> create(const std::shared_ptr<LoadedLibrary>& library,
                                         const std::string& yaml = "",
                                         const std::string& name = "counter") {
    loader::RegisteredType type{library, library->findType(kType), library->sourcePath()};
    auto tree = config::ParamTree::parse(yaml.empty() ? "~" : yaml, "params.yaml");
    EXPECT_TRUE(tree) << tree.error();
    auto instance = PluginInstance::create(type, name, tree->root());
    EXPECT_TRUE(instance) << instance.error();
    return instance ? *instance : nullptr;
  }
  fs::path cache() const { return dir_ / "cache"; }

  TempDir dir_;
};

TEST_F(StateHandoverTest, PluginBuiltFor10LoadsWithoutTheHook) {
  auto old_library = load(TP_HANDOVER_ABI10, "old.so");
  ASSERT_NE(old_library, nullptr);
  EXPECT_EQ(old_library->packedAbi(), EPP_ABI_PACK(1, 0));
  EXPECT_EQ(old_library->descriptor().abi_minor, 0);
  const epp_type_descriptor* type = old_library->findType(kType);
  ASSERT_NE(type, nullptr);
  EXPECT_EQ(type->struct_size, offsetof(epp_type_descriptor, state_handover));
  EXPECT_EQ(type->kinds, EPP_KIND_SCORER);
  EXPECT_EQ(type->state_handover, nullptr);  // set by the plugin, beyond its struct_size
  EXPECT_TRUE(loader::optionalHooks(*type).empty());
  auto old = create(old_library, "start: 3");
  ASSERT_NE(old, nullptr);
  EXPECT_THAT(score(*old), ElementsAre(1, 4, 0, 3));

  // Upgraded to a build for 1.1 that offers the hook: no hand-over in either direction.
  auto new_library = load(TP_HANDOVER_V1, "new.so");
  auto fresh = create(new_library);
  Counts before;
  loader::StateExchange up = handOverState(*old, *fresh);
  EXPECT_EQ(up.result, HandoverResult::kNotOffered);
  EXPECT_EQ(up.message, "'counter' (handover-test 0.9.0) offers no state hand-over");
  EXPECT_EQ(handOverState(*fresh, *old).message,
            "'counter' (handover-test 0.9.0) offers no state hand-over");
  EXPECT_THAT(score(*fresh), ElementsAre(1, 1, 0, 0));
  EXPECT_EQ(Counts(), before);
}

TEST_F(StateHandoverTest, TruncatedOlderLayoutsNeverExposeTheHook) {
  LogCapture log;
  auto library = LoadedLibrary::load(testing_abi::copyPlugin(TP_TRUNCATED, dir_ / "t.so"), cache());
  ASSERT_TRUE(library) << library.error();
  const epp_type_descriptor* v10 = (*library)->findType("truncated-v1-0");
  ASSERT_NE(v10, nullptr);
  EXPECT_EQ(v10->kinds, EPP_KIND_SCORER | EPP_KIND_DATA_HOOKS);
  ASSERT_NE(v10->data_hooks, nullptr);  // the last 1.0 field is read
  EXPECT_NE(v10->data_hooks->endpoints_removed, nullptr);
  EXPECT_EQ(v10->state_handover, nullptr);  // the first 1.1 field is not
  EXPECT_EQ((*library)->findType("truncated-hooks")->state_handover, nullptr);

  loader::RegisteredType type{*library, v10, (*library)->sourcePath()};
  auto a = PluginInstance::create(type, "a");
  auto b = PluginInstance::create(type, "a");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(handOverState(**a, **b).result, HandoverResult::kNotOffered);
  EXPECT_FALSE(log.contains("truncated export called"));
  EXPECT_FALSE(log.contains("truncated import called"));
}

TEST_F(StateHandoverTest, TheNewTableIsValidatedWithAPreciseMessage) {
  struct Case {
    const char* library;
    std::string reason;
  };
  const Case cases[] = {
      {TP_HANDOVER_BROKEN_1,
       "type 'handover-counter': state-handover table struct_size 16 is smaller than the 24 "
       "bytes of its v1.1 fields"},
      {TP_HANDOVER_BROKEN_2,
       "type 'handover-counter': state-handover table has no 'import_state' function"},
      {TP_HANDOVER_BROKEN_3,
       "type 'handover-counter' declares kind state-handover but its struct_size 128 ends "
       "before the state-handover table"},
  };
  for (const Case& c : cases) {
    fs::path file = testing_abi::copyPlugin(c.library, dir_ / "broken.so");
    auto library = LoadedLibrary::load(file, cache());
    ASSERT_FALSE(library) << c.reason;
    EXPECT_EQ(library.error(), file.string() + ": invalid descriptor: " + c.reason);
  }

  auto valid = load(TP_HANDOVER_V1, "valid.so");
  const epp_type_descriptor* type = valid->findType(kType);
  EXPECT_EQ(type->kinds, EPP_KIND_SCORER | EPP_KIND_STATE_HANDOVER);
  ASSERT_NE(type->state_handover, nullptr);
  EXPECT_THAT(loader::optionalHooks(*type),
              ElementsAre("state-handover.export_state", "state-handover.import_state"));
}

// The reload case: the file is replaced by a new version, which loads beside the old one;
// the re-created instance takes the old instance's count, converting its layout.
TEST_F(StateHandoverTest, OldVersionHandsItsStateToTheNewVersionSideBySide) {
  loader::PluginRegistry registry({.cache_dir = cache()});
  fs::path file = dir_ / "plugins/libhandover.so";
  testing_abi::copyPlugin(TP_HANDOVER_V1, file);
  ASSERT_TRUE(registry.scan({file.parent_path()}));
  auto tree = config::ParamTree::parse("start: 5", "old.yaml");
  auto old = PluginInstance::create(*registry.find(kType), "counter", tree->root());
  ASSERT_TRUE(old) << old.error();
  score(**old);
  score(**old);
  EXPECT_THAT(score(**old), ElementsAre(1, 8, 0, 5));

  testing_abi::copyPlugin(TP_HANDOVER_V2, file);
  ASSERT_TRUE(registry.scan({file.parent_path()}));
  auto new_tree = config::ParamTree::parse("start: 100", "new.yaml");
  auto fresh = PluginInstance::create(*registry.find(kType), "counter", new_tree->root());
  ASSERT_TRUE(fresh) << fresh.error();
  ASSERT_NE((*old)->library(), (*fresh)->library());
  EXPECT_EQ((*fresh)->library()->version(), "2.0.0");
  EXPECT_TRUE(testing_abi::isMapped((*old)->library()->cachedPath()));

  LogCapture log;
  Counts before;
  loader::StateExchange outcome = handOverState(**old, **fresh);
  EXPECT_EQ(outcome.result, HandoverResult::kImported) << outcome.message;
  EXPECT_EQ(outcome.format, "counter/v1");
  EXPECT_EQ(outcome.bytes, 8u);
  EXPECT_EQ(outcome.status, EPP_OK);
  // [layout, count after this call, layout it imported, start]
  EXPECT_THAT(score(**fresh), ElementsAre(2, 9, 1, 100));
  EXPECT_THAT(score(**old), ElementsAre(1, 9, 0, 5));  // the old one serves on, unchanged
  EXPECT_TRUE(log.contains(
      "plugin=counter type=handover-counter state hand-over from handover-test 1.0.0 to "
      "handover-test 2.0.0: imported 8 bytes of format 'counter/v1'"));
  Counts expected = before;
  expected.imported += 1;
  EXPECT_EQ(Counts(), expected);
}

TEST_F(StateHandoverTest, SameVersionWithNewParametersHandsOverItsOwnFormat) {
  auto library = load(TP_HANDOVER_V2, "v2.so");
  auto old = create(library, "start: 1");
  score(*old);
  auto fresh = create(library, "start: 50");
  loader::StateExchange outcome = handOverState(*old, *fresh);
  EXPECT_EQ(outcome.result, HandoverResult::kImported) << outcome.message;
  EXPECT_EQ(outcome.format, "counter/v2");
  EXPECT_EQ(outcome.bytes, std::string("count=2").size());
  EXPECT_THAT(score(*fresh), ElementsAre(2, 3, 2, 50));
}

TEST_F(StateHandoverTest, AnOlderVersionRefusesANewerFormatAndStartsFresh) {
  auto old = create(load(TP_HANDOVER_V2, "v2.so"), "start: 7");
  auto fresh = create(load(TP_HANDOVER_V1, "v1.so"));
  LogCapture log;
  Counts before;
  loader::StateExchange outcome = handOverState(*old, *fresh);
  EXPECT_EQ(outcome.result, HandoverResult::kRefused);
  EXPECT_EQ(outcome.status, EPP_ERR_UNIMPLEMENTED);
  EXPECT_EQ(outcome.message,
            "import_state returned EPP_ERR_UNIMPLEMENTED: counter layout 1 cannot read format "
            "'counter/v2'");
  EXPECT_TRUE(
      log.contains("state hand-over from handover-test 2.0.0 to handover-test 1.0.0: 7 "
                   "bytes of format 'counter/v2' refused (import_state returned "
                   "EPP_ERR_UNIMPLEMENTED"));
  EXPECT_TRUE(log.contains("the new instance starts fresh"));
  EXPECT_THAT(score(*fresh), ElementsAre(1, 1, 0, 0));
  Counts expected = before;
  expected.refused += 1;
  EXPECT_EQ(Counts(), expected);
}

TEST_F(StateHandoverTest, APluginWithoutTheHookIsANoOp) {
  auto library = load(TP_HANDOVER_NO_HOOK, "nohook.so");
  EXPECT_EQ(library->findType(kType)->state_handover, nullptr);
  auto old = create(library, "start: 4");
  auto fresh = create(library, "start: 9");
  auto with_hook = create(load(TP_HANDOVER_V1, "v1.so"), "start: 2");
  Counts before;
  loader::StateExchange outcome = handOverState(*old, *fresh);
  EXPECT_EQ(outcome.result, HandoverResult::kNotOffered);
  EXPECT_EQ(outcome.message, "'counter' (handover-test 1.1.0) offers no state hand-over");
  EXPECT_EQ(handOverState(*with_hook, *fresh).result, HandoverResult::kNotOffered);
  EXPECT_THAT(score(*fresh), ElementsAre(1, 10, 0, 9));
  EXPECT_EQ(Counts(), before);
}

TEST_F(StateHandoverTest, ExportOutcomes) {
  auto library = load(TP_HANDOVER_V1, "v1.so");
  auto fresh = create(library);
  struct Case {
    std::string mode;
    HandoverResult result;
    epp_status status;
    std::string message;
  };
  const Case cases[] = {
      {"nothing", HandoverResult::kNothing, EPP_ERR_NOT_FOUND,
       "export_state returned EPP_ERR_NOT_FOUND"},
      {"fail", HandoverResult::kFailed, EPP_ERR_UNAVAILABLE,
       "export_state returned EPP_ERR_UNAVAILABLE: counter store unavailable"},
      {"no-format", HandoverResult::kFailed, EPP_OK,
       "export_state returned EPP_OK without naming a format"},
  };
  Counts before;
  for (const Case& c : cases) {
    auto old = create(library, "export: " + c.mode);
    loader::StateExchange outcome = handOverState(*old, *fresh);
    EXPECT_EQ(outcome.result, c.result) << c.mode;
    EXPECT_EQ(outcome.status, c.status) << c.mode;
    EXPECT_EQ(outcome.message, c.message);
    EXPECT_EQ(outcome.bytes, 0u);
  }
  Counts expected = before;
  expected.nothing += 1;
  expected.failed += 2;
  EXPECT_EQ(Counts(), expected);
  EXPECT_THAT(score(*fresh), ElementsAre(1, 1, 0, 0));
}

TEST_F(StateHandoverTest, StateBeyondTheSizeLimitFailsEvenIfThePluginIgnoresIt) {
  auto library = load(TP_HANDOVER_V1, "v1.so");
  auto fresh = create(library);
  loader::ExchangeOptions small{.max_bytes = 100000};
  auto honest = create(library, "export: big");
  loader::StateExchange refused = loader::exchangeState(*honest, *fresh, small);
  EXPECT_EQ(refused.result, HandoverResult::kFailed);
  EXPECT_EQ(refused.status, EPP_ERR_OUT_OF_RANGE);
  EXPECT_EQ(refused.message,
            "export_state returned EPP_ERR_OUT_OF_RANGE: state of 1 MiB refused after 64 KiB");
  auto careless = create(library, "export: big-ok");
  loader::StateExchange ignored = loader::exchangeState(*careless, *fresh, small);
  EXPECT_EQ(ignored.result, HandoverResult::kFailed);
  EXPECT_EQ(ignored.status, EPP_ERR_OUT_OF_RANGE);
  EXPECT_EQ(ignored.message, "the exported state exceeds the limit of 100000 bytes");
  // Within eppd's limit the megabyte goes through, to an importer that does not know it.
  loader::StateExchange big = loader::exchangeState(*honest, *fresh);
  EXPECT_EQ(big.result, HandoverResult::kRefused);
  EXPECT_EQ(big.format, "counter/big");
  EXPECT_EQ(big.bytes, size_t{1} << 20);
}

TEST_F(StateHandoverTest, ImportOutcomes) {
  auto library = load(TP_HANDOVER_V1, "v1.so");
  auto old = create(library, "start: 3");
  Counts before;
  auto refusing = create(library, "import: refuse");
  loader::StateExchange refused = handOverState(*old, *refusing);
  EXPECT_EQ(refused.result, HandoverResult::kRefused);
  EXPECT_EQ(refused.message, "import_state returned EPP_ERR_INVALID_ARGUMENT: told to refuse");
  auto failing = create(library, "import: fail");
  loader::StateExchange failed = handOverState(*old, *failing);
  EXPECT_EQ(failed.result, HandoverResult::kFailed);
  EXPECT_EQ(failed.status, EPP_ERR_INTERNAL);
  EXPECT_EQ(failed.message, "import_state returned EPP_ERR_INTERNAL: import exploded");
  EXPECT_EQ(failed.format, "counter/v1");
  EXPECT_EQ(failed.bytes, 8u);
  Counts expected = before;
  expected.refused += 1;
  expected.failed += 1;
  EXPECT_EQ(Counts(), expected);
}

TEST_F(StateHandoverTest, OnlyBetweenTwoInstancesOfOneType) {
  auto counter = create(load(TP_HANDOVER_V1, "v1.so"));
  auto scorer_library = load(TP_SCORER_V1, "scorer.so");
  loader::RegisteredType scorer_type{scorer_library, scorer_library->findType("test-scorer"),
                                     scorer_library->sourcePath()};
  auto scorer = PluginInstance::create(scorer_type, "counter");
  ASSERT_TRUE(scorer);
  EXPECT_EQ(handOverState(**scorer, *counter).message,
            "types differ (test-scorer and handover-counter)");
  EXPECT_EQ(handOverState(*counter, *counter).message, "one instance: nothing to hand over");
  EXPECT_THAT(score(*counter), ElementsAre(1, 1, 0, 0));
}

}  // namespace
}  // namespace epp::runtime
