// The descriptor rules, on descriptors built in memory: every rule has a case that breaks
// it alone and the exact message it produces.
#include "host/loader/descriptor_validator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "host/loader/sized_struct.h"

namespace epp::loader {
namespace {

epp_instance_plugin_ptr createStub(const epp_create_args*, epp_error_host_ptr) { return nullptr; }
void destroyStub(epp_instance_plugin_ptr) {}
epp_status scoreStub(epp_instance_plugin_ptr, const epp_request_view*, const epp_endpoint_list*,
                     double*) {
  return EPP_OK;
}
epp_status filterStub(epp_instance_plugin_ptr, const epp_request_view*, const epp_endpoint_list*,
                      uint8_t*) {
  return EPP_OK;
}
epp_status pickFlowStub(epp_instance_plugin_ptr, epp_band_state_plugin_ptr,
                        const epp_flow_view* const*, size_t, uint32_t*) {
  return EPP_OK;
}
epp_band_state_plugin_ptr bandNewStub(epp_instance_plugin_ptr, int32_t) { return nullptr; }
void bandDestroyStub(epp_instance_plugin_ptr, epp_band_state_plugin_ptr) {}
epp_status exportStub(epp_instance_plugin_ptr, epp_state_sink_host_ptr, epp_error_host_ptr) {
  return EPP_OK;
}
epp_status importStub(epp_instance_plugin_ptr, epp_str, epp_bytes, epp_error_host_ptr) {
  return EPP_OK;
}

// A valid two-type library the cases below break one field at a time.
struct Library {
  epp_scorer_v1 scorer{sizeof(epp_scorer_v1), EPP_SCORER_DISTRIBUTION, scoreStub};
  epp_filter_v1 filter{sizeof(epp_filter_v1), filterStub};
  epp_fairness_policy_v1 fairness{sizeof(epp_fairness_policy_v1), nullptr, nullptr, pickFlowStub};
  epp_request_hooks_v1 hooks{sizeof(epp_request_hooks_v1)};
  epp_state_handover_v1 handover{sizeof(epp_state_handover_v1), exportStub, importStub};
  epp_type_descriptor first{};
  epp_type_descriptor second{};
  const epp_type_descriptor* types[2] = {&first, &second};
  epp_plugin_descriptor descriptor{};

  Library() {
    first.struct_size = sizeof(first);
    first.kinds =
        EPP_KIND_SCORER | EPP_KIND_FILTER | EPP_KIND_REQUEST_HOOKS | EPP_KIND_STATE_HANDOVER;
    first.type_name = "queue-scorer";
    first.create = createStub;
    first.destroy = destroyStub;
    first.scorer = &scorer;
    first.filter = &filter;
    first.request_hooks = &hooks;
    first.state_handover = &handover;
    second = first;
    second.kinds = EPP_KIND_FAIRNESS_POLICY;
    second.type_name = "round-robin2";
    second.scorer = nullptr;
    second.filter = nullptr;
    second.request_hooks = nullptr;
    second.state_handover = nullptr;
    second.fairness_policy = &fairness;
    descriptor.struct_size = sizeof(descriptor);
    descriptor.abi_major = EPP_ABI_MAJOR;
    descriptor.abi_minor = EPP_ABI_MINOR;
    descriptor.name = "core";
    descriptor.version = "1.2.3";
    descriptor.types = types;
    descriptor.types_count = 2;
  }
};

constexpr uint32_t kAbi = EPP_ABI_PACK(EPP_ABI_MAJOR, EPP_ABI_MINOR);

struct Case {
  const char* name;
  std::function<void(Library&)> mutate;
  std::string error;
};

void PrintTo(const Case& c, std::ostream* out) { *out << c.name; }

class DescriptorRuleTest : public ::testing::TestWithParam<Case> {};

TEST_P(DescriptorRuleTest, ProducesExactMessage) {
  Library library;
  GetParam().mutate(library);
  common::Status status = validateDescriptor(&library.descriptor, kAbi);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error(), GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    Rules, DescriptorRuleTest,
    ::testing::Values(
        Case{"DescriptorTooSmall", [](Library& l) { l.descriptor.struct_size = 40; },
             "descriptor struct_size 40 is smaller than the 48 bytes of its v1.0 fields"},
        Case{"DescriptorOtherMajor", [](Library& l) { l.descriptor.abi_major = 2; },
             "descriptor built for ABI 2.3, this eppd speaks 1.3"},
        Case{"DescriptorNewerMinor", [](Library& l) { l.descriptor.abi_minor = EPP_ABI_MINOR + 1; },
             "descriptor built for ABI 1.4, newer than this eppd's ABI 1.3"},
        Case{"NullName", [](Library& l) { l.descriptor.name = nullptr; },
             "descriptor name is NULL"},
        Case{"EmptyName", [](Library& l) { l.descriptor.name = ""; }, "descriptor name is empty"},
        Case{"NullVersion", [](Library& l) { l.descriptor.version = nullptr; },
             "descriptor version is NULL"},
        Case{"BadSemver", [](Library& l) { l.descriptor.version = "v1.2.3"; },
             "version 'v1.2.3' is not a semantic version (MAJOR.MINOR.PATCH)"},
        Case{"NoTypes", [](Library& l) { l.descriptor.types_count = 0; },
             "descriptor lists no types"},
        Case{"NullTypes", [](Library& l) { l.descriptor.types = nullptr; },
             "descriptor types is NULL but types_count is 2"},
        Case{"NullTypeEntry", [](Library& l) { l.types[1] = nullptr; }, "types[1] is NULL"},
        Case{"TypeTooSmall", [](Library& l) { l.second.struct_size = 16; },
             "types[1] struct_size 16 is smaller than the 40 bytes of its v1.0 fields"},
        Case{"NullTypeName", [](Library& l) { l.first.type_name = nullptr; },
             "types[0].type_name is NULL"},
        Case{"UpperCaseTypeName", [](Library& l) { l.first.type_name = "QueueScorer"; },
             "types[0] type name 'QueueScorer' is not lower-case kebab-case (like "
             "'queue-scorer')"},
        // Found by the descriptor fuzzer (tests/fuzz): plugin strings were quoted as they
        // were, so a line break in one split the loader's one-line error.
        Case{"TypeNameWithALineBreak", [](Library& l) { l.first.type_name = "queue\nscorer"; },
             "types[0] type name 'queue\\x0ascorer' is not lower-case kebab-case (like "
             "'queue-scorer')"},
        Case{"LongVersionIsCut",
             [](Library& l) {
               static const std::string version(100, 'v');
               l.descriptor.version = version.c_str();
             },
             "version '" + std::string(64, 'v') +
                 "'... is not a semantic version (MAJOR.MINOR.PATCH)"},
        Case{"DuplicateType", [](Library& l) { l.second.type_name = "queue-scorer"; },
             "type 'queue-scorer' is listed twice"},
        Case{"NullCreate", [](Library& l) { l.first.create = nullptr; },
             "type 'queue-scorer' has no create function"},
        Case{"NullDestroy", [](Library& l) { l.second.destroy = nullptr; },
             "type 'round-robin2' has no destroy function"},
        Case{"NoKinds",
             [](Library& l) {
               l.second.kinds = 0;
               l.second.fairness_policy = nullptr;
             },
             "type 'round-robin2' sets no kind bit"},
        Case{"UnknownKind", [](Library& l) { l.second.kinds |= 1u << 20; },
             "type 'round-robin2' has unknown kind bits 0x100000"},
        Case{"KindWithoutTable", [](Library& l) { l.first.kinds |= EPP_KIND_PICKER; },
             "type 'queue-scorer' declares kind picker but its picker table is absent"},
        Case{"TableWithoutKind", [](Library& l) { l.first.kinds &= ~EPP_KIND_FILTER; },
             "type 'queue-scorer' has a filter table but does not declare kind filter"},
        Case{"ScorerWithoutScore", [](Library& l) { l.scorer.score = nullptr; },
             "type 'queue-scorer': scorer table has no 'score' function"},
        Case{"ScorerTableTooSmall", [](Library& l) { l.scorer.struct_size = 8; },
             "type 'queue-scorer': scorer table struct_size 8 is smaller than the 16 bytes of "
             "its v1.0 fields"},
        Case{"FairnessWithoutPickFlow", [](Library& l) { l.fairness.pick_flow = nullptr; },
             "type 'round-robin2': fairness-policy table has no 'pick_flow' function"},
        Case{"BandStateNewWithoutDestroy",
             [](Library& l) { l.fairness.band_state_new = bandNewStub; },
             "type 'round-robin2': fairness-policy table has band_state_new without "
             "band_state_destroy"},
        Case{"HooksTableWithoutSize", [](Library& l) { l.hooks.struct_size = 0; },
             "type 'queue-scorer': request-hooks table struct_size 0 is smaller than the 4 "
             "bytes of its v1.0 fields"},
        // ABI 1.1: the state hand-over table, on the first type.
        Case{"HandoverTableWithoutKind",
             [](Library& l) { l.first.kinds &= ~EPP_KIND_STATE_HANDOVER; },
             "type 'queue-scorer' has a state-handover table but does not declare kind "
             "state-handover"},
        Case{"HandoverKindWithoutTable", [](Library& l) { l.first.state_handover = nullptr; },
             "type 'queue-scorer' declares kind state-handover but its state-handover table is "
             "absent"},
        Case{
            "HandoverKindBeyondAnOlderLayout",
            [](Library& l) { l.first.struct_size = offsetof(epp_type_descriptor, state_handover); },
            "type 'queue-scorer' declares kind state-handover but its struct_size 128 ends "
            "before the state-handover table"},
        Case{"HandoverTableTooSmall",
             [](Library& l) {
               l.handover.struct_size = offsetof(epp_state_handover_v1, import_state);
             },
             "type 'queue-scorer': state-handover table struct_size 16 is smaller than the 24 "
             "bytes of its v1.1 fields"},
        Case{"HandoverWithoutExport", [](Library& l) { l.handover.export_state = nullptr; },
             "type 'queue-scorer': state-handover table has no 'export_state' function"},
        Case{"HandoverWithoutImport", [](Library& l) { l.handover.import_state = nullptr; },
             "type 'queue-scorer': state-handover table has no 'import_state' function"}),
    [](const ::testing::TestParamInfo<Case>& param_info) {
      return std::string(param_info.param.name);
    });

TEST(DescriptorValidatorTest, ValidLibraryPasses) {
  Library library;
  common::Status status = validateDescriptor(&library.descriptor, kAbi);
  EXPECT_TRUE(status) << status.error();
}

TEST(DescriptorValidatorTest, OptionalPiecesMayBeAbsent) {
  Library library;
  library.fairness.band_state_destroy = bandDestroyStub;  // destroy without new is harmless
  library.hooks.struct_size = sizeof(uint32_t);           // a hooks table with no hook at all
  library.descriptor.description = "one line";
  library.descriptor.version = "0.1.0-alpha.1+sha.5114f85";
  EXPECT_TRUE(validateDescriptor(&library.descriptor, kAbi));
}

TEST(DescriptorValidatorTest, AbiSymbolRulesAgainstInjectedHost) {
  EXPECT_TRUE(checkAbi(EPP_ABI_PACK(1, 0), HostAbi{1, 3}));
  EXPECT_TRUE(checkAbi(EPP_ABI_PACK(1, 3), HostAbi{1, 3}));
  EXPECT_EQ(checkAbi(EPP_ABI_PACK(1, 4), HostAbi{1, 3}).error(),
            "plugin built for ABI 1.4, newer than this eppd's ABI 1.3");
  EXPECT_EQ(checkAbi(EPP_ABI_PACK(2, 0), HostAbi{1, 3}).error(),
            "plugin built for ABI 2.0, this eppd speaks 1.3");
  EXPECT_EQ(checkAbi(EPP_ABI_PACK(0, 9), HostAbi{1, 0}).error(),
            "plugin built for ABI 0.9, this eppd speaks 1.0");
}

TEST(DescriptorValidatorTest, OlderMinorDescriptorAcceptedByNewerHost) {
  Library library;
  EXPECT_TRUE(validateDescriptor(&library.descriptor, kAbi, HostAbi{EPP_ABI_MAJOR, 3}));
}

// A 1.0 plugin: descriptor and ABI 1.0, types ending at data_hooks. Whatever lies beyond
// (here a valid-looking hand-over table) is not its, so it is neither checked nor a
// mismatch with its kinds.
TEST(DescriptorValidatorTest, Abi10LayoutIsValidWithAnythingBeyondIt) {
  Library library;
  library.descriptor.abi_minor = 0;
  library.first.kinds &= ~EPP_KIND_STATE_HANDOVER;
  library.first.struct_size = offsetof(epp_type_descriptor, state_handover);
  library.handover.import_state = nullptr;  // would be refused if it were read
  common::Status status = validateDescriptor(&library.descriptor, EPP_ABI_PACK(1, 0));
  EXPECT_TRUE(status) << status.error();
}

TEST(DescriptorValidatorTest, DescriptorMustAgreeWithAbiSymbol) {
  Library library;
  library.descriptor.abi_minor = 0;
  EXPECT_EQ(validateDescriptor(&library.descriptor, EPP_ABI_PACK(1, 2), HostAbi{1, 3}).error(),
            "descriptor declares ABI 1.0 but epp_plugin_abi is 1.2");
}

TEST(DescriptorValidatorTest, SemverGrammar) {
  for (const char* good : {"0.0.0", "1.2.3", "10.20.30", "1.0.0-alpha", "1.0.0-alpha.1",
                           "1.0.0-0.3.7", "1.0.0-x.7.z.92", "1.0.0+20130313144700",
                           "1.0.0-beta+exp.sha.5114f85", "1.0.0+21AF26D3---117B344092BD"}) {
    EXPECT_TRUE(isSemver(good)) << good;
  }
  for (const char* bad :
       {"", "1", "1.2", "1.2.3.4", "01.2.3", "1.02.3", "1.2.03", "v1.2.3", "1.2.3-", "1.2.3+",
        "1.2.3-01", "1.2.3-a..b", "1.2.3-a_b", "1.2.3 ", "a.b.c", "-1.2.3", "1.2.-3"}) {
    EXPECT_FALSE(isSemver(bad)) << bad;
  }
}

TEST(DescriptorValidatorTest, KebabCaseGrammar) {
  for (const char* good : {"queue-scorer", "max-score-picker", "lora-affinity-scorer", "x",
                           "prefix-cache-scorer-v2", "a1-b2"}) {
    EXPECT_TRUE(isKebabCase(good)) << good;
  }
  for (const char* bad : {"", "Queue-scorer", "queue_scorer", "-queue", "queue-", "queue--scorer",
                          "1queue", "queue scorer", "quéue"}) {
    EXPECT_FALSE(isKebabCase(bad)) << bad;
  }
  EXPECT_TRUE(isKebabCase(std::string(63, 'a')));
  EXPECT_FALSE(isKebabCase(std::string(64, 'a')));
}

TEST(SizedStructTest, FieldsBeyondStructSizeReadAsAbsent) {
  epp_backend_adapter_v1 adapter{};
  auto detect = [](epp_instance_plugin_ptr, epp_bytes, bool*) -> epp_status { return EPP_OK; };
  adapter.detect = detect;
  adapter.struct_size = offsetof(epp_backend_adapter_v1, detect);
  EXPECT_FALSE(hasField(&adapter, &epp_backend_adapter_v1::detect));
  EXPECT_EQ(fieldOr(&adapter, &epp_backend_adapter_v1::detect), nullptr);
  adapter.struct_size = offsetof(epp_backend_adapter_v1, detect) + 4;  // partly covered
  EXPECT_EQ(fieldOr(&adapter, &epp_backend_adapter_v1::detect), nullptr);
  adapter.struct_size = sizeof(adapter);
  EXPECT_NE(fieldOr(&adapter, &epp_backend_adapter_v1::detect), nullptr);
  EXPECT_EQ(fieldOffset(&epp_backend_adapter_v1::detect), offsetof(epp_backend_adapter_v1, detect));
  const epp_backend_adapter_v1* none = nullptr;
  EXPECT_FALSE(hasField(none, &epp_backend_adapter_v1::info));
}

}  // namespace
}  // namespace epp::loader
