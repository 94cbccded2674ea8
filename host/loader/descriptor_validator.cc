#include "host/loader/descriptor_validator.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "host/loader/kinds.h"
#include "host/loader/sized_struct.h"

namespace epp::loader {
namespace {

using common::Error;
using common::Status;

// Plugin strings are read with a bound so a missing terminator cannot run off the mapping.
constexpr size_t kMaxStringLength = 1024;
// A descriptor listing more types than this is garbage, not a plugin.
constexpr size_t kMaxTypes = 4096;

bool isAlnumDash(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

bool isNumeric(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Dot-separated identifiers of [0-9A-Za-z-]; numeric ones without leading zeros when
// `strict_numbers` (pre-release identifiers).
bool isIdentifierList(std::string_view s, bool strict_numbers) {
  if (s.empty()) return false;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    std::string_view part = s.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (part.empty()) return false;
    for (char c : part) {
      if (!isAlnumDash(c)) return false;
    }
    if (strict_numbers && isNumeric(part) && part.size() > 1 && part[0] == '0') return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool isVersionNumber(std::string_view s) { return isNumeric(s) && (s.size() == 1 || s[0] != '0'); }

std::string abiText(uint32_t major, uint32_t minor) { return fmt::format("{}.{}", major, minor); }

Status checkVersionPair(std::string_view what, uint32_t major, uint32_t minor, HostAbi host) {
  if (major != host.major) {
    return Error{fmt::format("{} built for ABI {}, this eppd speaks {}", what,
                             abiText(major, minor), abiText(host.major, host.minor))};
  }
  if (minor > host.minor) {
    return Error{fmt::format("{} built for ABI {}, newer than this eppd's ABI {}", what,
                             abiText(major, minor), abiText(host.major, host.minor))};
  }
  return {};
}

// A plugin string as an error quotes it: control characters escaped (the error is one log
// line) and cut after 64 bytes (a garbage pointer may point at a kilobyte of anything).
std::string quoted(std::string_view s) {
  constexpr size_t kMaxShown = 64;
  std::string out = "'";
  for (char c : s.substr(0, kMaxShown)) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;
    }
  }
  out += s.size() > kMaxShown ? "'..." : "'";
  return out;
}

// A NUL-terminated plugin string, or an error naming `what`.
common::Result<std::string_view> readString(const char* s, std::string_view what) {
  if (s == nullptr) return Error{fmt::format("{} is NULL", what)};
  size_t length = strnlen(s, kMaxStringLength);
  if (length == kMaxStringLength) {
    return Error{fmt::format("{} is not NUL-terminated within {} bytes", what, kMaxStringLength)};
  }
  return std::string_view(s, length);
}

// One kind table: its bit, where it hangs off the type descriptor (and whether the type's
// struct_size reaches that far), and its mandatory functions. `check` returns the first
// problem or an empty string.
struct TableRule {
  uint32_t bit;
  std::function<const void*(const epp_type_descriptor*)> table;
  std::function<bool(const epp_type_descriptor*)> covered;
  std::function<std::string(const void*)> check;
};

template <typename T>
struct Required {
  const char* name;
  size_t end;
  std::function<bool(const T*)> present;
};

template <typename T, typename F>
Required<T> required(const char* name, F T::*member) {
  return {name, fieldEnd(member), [member](const T* t) { return fieldOr(t, member) != nullptr; }};
}

// `since` names the ABI minor that introduced the table ("v1.0"): its mandatory fields are
// that minor's.
template <typename T>
TableRule rule(uint32_t bit, const T* const epp_type_descriptor::*member,
               std::vector<Required<T>> fields,
               std::function<std::string(const T*)> extra = nullptr, const char* since = "v1.0") {
  auto check = [fields = std::move(fields), extra = std::move(extra), since](const void* raw) {
    const T* table = static_cast<const T*>(raw);
    size_t min_size = sizeof(uint32_t);
    for (const Required<T>& field : fields) min_size = std::max(min_size, field.end);
    if (table->struct_size < min_size) {
      return fmt::format("struct_size {} is smaller than the {} bytes of its {} fields",
                         table->struct_size, min_size, since);
    }
    for (const Required<T>& field : fields) {
      if (!field.present(table)) return fmt::format("has no '{}' function", field.name);
    }
    return extra ? extra(table) : std::string();
  };
  auto get = [member](const epp_type_descriptor* type) -> const void* {
    return fieldOr(type, member);
  };
  auto covered = [member](const epp_type_descriptor* type) { return hasField(type, member); };
  return {bit, get, covered, check};
}

const std::vector<TableRule>& tableRules() {
  using T = epp_type_descriptor;
  static const std::vector<TableRule> rules = {
      rule<epp_filter_v1>(EPP_KIND_FILTER, &T::filter,
                          {required("filter", &epp_filter_v1::filter)}),
      rule<epp_scorer_v1>(EPP_KIND_SCORER, &T::scorer, {required("score", &epp_scorer_v1::score)}),
      rule<epp_picker_v1>(EPP_KIND_PICKER, &T::picker, {required("pick", &epp_picker_v1::pick)}),
      rule<epp_profile_handler_v1>(
          EPP_KIND_PROFILE_HANDLER, &T::profile_handler,
          {required("pick_profiles", &epp_profile_handler_v1::pick_profiles),
           required("process_results", &epp_profile_handler_v1::process_results)}),
      rule<epp_ordering_policy_v1>(EPP_KIND_ORDERING_POLICY, &T::ordering_policy,
                                   {required("less", &epp_ordering_policy_v1::less)}),
      rule<epp_fairness_policy_v1>(
          EPP_KIND_FAIRNESS_POLICY, &T::fairness_policy,
          {required("pick_flow", &epp_fairness_policy_v1::pick_flow)},
          [](const epp_fairness_policy_v1* table) {
            // States band_state_new hands out must be destroyable.
            bool has_new = fieldOr(table, &epp_fairness_policy_v1::band_state_new) != nullptr;
            bool has_destroy =
                fieldOr(table, &epp_fairness_policy_v1::band_state_destroy) != nullptr;
            return has_new && !has_destroy ? std::string(
                                                 "has band_state_new without "
                                                 "band_state_destroy")
                                           : std::string();
          }),
      rule<epp_saturation_detector_v1>(
          EPP_KIND_SATURATION_DETECTOR, &T::saturation_detector,
          {required("saturation", &epp_saturation_detector_v1::saturation)}),
      rule<epp_traffic_splitter_v1>(EPP_KIND_TRAFFIC_SPLITTER, &T::traffic_splitter,
                                    {required("split", &epp_traffic_splitter_v1::split)}),
      rule<epp_backend_adapter_v1>(
          EPP_KIND_BACKEND_ADAPTER, &T::backend_adapter,
          {required("info", &epp_backend_adapter_v1::info),
           required("parse_metrics", &epp_backend_adapter_v1::parse_metrics),
           required("check_health", &epp_backend_adapter_v1::check_health)}),
      rule<epp_request_hooks_v1>(EPP_KIND_REQUEST_HOOKS, &T::request_hooks, {}),
      rule<epp_data_hooks_v1>(EPP_KIND_DATA_HOOKS, &T::data_hooks, {}),
      // ABI 1.1. A hand-over needs both halves: an instance that can only export would
      // hand its state to nobody of its own version.
      rule<epp_state_handover_v1>(EPP_KIND_STATE_HANDOVER, &T::state_handover,
                                  {required("export_state", &epp_state_handover_v1::export_state),
                                   required("import_state", &epp_state_handover_v1::import_state)},
                                  nullptr, "v1.1"),
  };
  return rules;
}

std::string_view kindName(uint32_t bit) {
  for (const KindName& kind : kKindNames) {
    if (kind.bit == bit) return kind.name;
  }
  return "?";
}

Status validateType(const epp_type_descriptor* type, size_t index,
                    std::set<std::string, std::less<>>& seen) {
  std::string where = fmt::format("types[{}]", index);
  if (type == nullptr) return Error{where + " is NULL"};
  if (type->struct_size < minTypeDescriptorSize()) {
    return Error{fmt::format("{} struct_size {} is smaller than the {} bytes of its v1.0 fields",
                             where, type->struct_size, minTypeDescriptorSize())};
  }
  // The size check covers every field up to `destroy`; later ones go through fieldOr.
  auto name = readString(type->type_name, where + ".type_name");
  if (!name) return Error{name.error()};
  if (!isKebabCase(*name)) {
    return Error{fmt::format("{} type name {} is not lower-case kebab-case (like 'queue-scorer')",
                             where, quoted(*name))};
  }
  where = fmt::format("type '{}'", *name);
  if (!seen.insert(std::string(*name)).second) return Error{where + " is listed twice"};
  if (type->create == nullptr) return Error{where + " has no create function"};
  if (type->destroy == nullptr) return Error{where + " has no destroy function"};

  uint32_t kinds = type->kinds;
  if (kinds & ~kKnownKinds) {
    return Error{fmt::format("{} has unknown kind bits {:#x}", where, kinds & ~kKnownKinds)};
  }
  if (kinds == 0) return Error{where + " sets no kind bit"};
  for (const TableRule& rule : tableRules()) {
    const void* table = rule.table(type);
    bool wanted = (kinds & rule.bit) != 0;
    std::string_view kind = kindName(rule.bit);
    if (wanted && table == nullptr) {
      if (!rule.covered(type)) {
        // A kind newer than the layout the plugin was built with.
        return Error{
            fmt::format("{} declares kind {} but its struct_size {} ends before the {} "
                        "table",
                        where, kind, type->struct_size, kind)};
      }
      return Error{
          fmt::format("{} declares kind {} but its {} table is absent", where, kind, kind)};
    }
    if (!wanted && table != nullptr) {
      return Error{
          fmt::format("{} has a {} table but does not declare kind {}", where, kind, kind)};
    }
    if (table != nullptr) {
      std::string problem = rule.check(table);
      if (!problem.empty()) return Error{fmt::format("{}: {} table {}", where, kind, problem)};
    }
  }
  return {};
}

}  // namespace

size_t minPluginDescriptorSize() { return fieldEnd(&epp_plugin_descriptor::types_count); }
size_t minTypeDescriptorSize() { return fieldEnd(&epp_type_descriptor::destroy); }

bool isSemver(std::string_view version) {
  size_t plus = version.find('+');
  if (plus != std::string_view::npos) {
    if (!isIdentifierList(version.substr(plus + 1), false)) return false;
    version = version.substr(0, plus);
  }
  size_t dash = version.find('-');
  if (dash != std::string_view::npos) {
    if (!isIdentifierList(version.substr(dash + 1), true)) return false;
    version = version.substr(0, dash);
  }
  int parts = 0;
  size_t start = 0;
  while (true) {
    size_t dot = version.find('.', start);
    std::string_view part =
        version.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (!isVersionNumber(part)) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts == 3;
}

bool isKebabCase(std::string_view name) {
  if (name.empty() || name.size() > 63 || name.front() < 'a' || name.front() > 'z') return false;
  if (name.back() == '-') return false;
  char previous = 0;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok || (c == '-' && previous == '-')) return false;
    previous = c;
  }
  return true;
}

Status checkAbi(uint32_t packed_abi, HostAbi host) {
  return checkVersionPair("plugin", EPP_ABI_PACKED_MAJOR(packed_abi),
                          EPP_ABI_PACKED_MINOR(packed_abi), host);
}

Status validateDescriptor(const epp_plugin_descriptor* descriptor, uint32_t packed_abi,
                          HostAbi host) {
  if (Status abi = checkAbi(packed_abi, host); !abi) return abi;
  if (descriptor == nullptr) return Error{"entry point returned no descriptor"};
  if (descriptor->struct_size < minPluginDescriptorSize()) {
    return Error{
        fmt::format("descriptor struct_size {} is smaller than the {} bytes of its v1.0 "
                    "fields",
                    descriptor->struct_size, minPluginDescriptorSize())};
  }
  // The size check covers every field up to `types_count`; `shutdown` is read by the loader
  // through fieldOr.
  uint32_t major = descriptor->abi_major;
  uint32_t minor = descriptor->abi_minor;
  if (Status abi = checkVersionPair("descriptor", major, minor, host); !abi) return abi;
  if (major != EPP_ABI_PACKED_MAJOR(packed_abi) || minor != EPP_ABI_PACKED_MINOR(packed_abi)) {
    return Error{
        fmt::format("descriptor declares ABI {} but epp_plugin_abi is {}", abiText(major, minor),
                    abiText(EPP_ABI_PACKED_MAJOR(packed_abi), EPP_ABI_PACKED_MINOR(packed_abi)))};
  }

  auto name = readString(descriptor->name, "descriptor name");
  if (!name) return Error{name.error()};
  if (name->empty()) return Error{"descriptor name is empty"};
  auto version = readString(descriptor->version, "descriptor version");
  if (!version) return Error{version.error()};
  if (!isSemver(*version)) {
    return Error{
        fmt::format("version {} is not a semantic version (MAJOR.MINOR.PATCH)", quoted(*version))};
  }
  if (descriptor->description != nullptr) {
    auto description = readString(descriptor->description, "descriptor description");
    if (!description) return Error{description.error()};
  }

  size_t count = descriptor->types_count;
  if (count == 0) return Error{"descriptor lists no types"};
  if (count > kMaxTypes) return Error{fmt::format("descriptor lists {} types", count)};
  if (descriptor->types == nullptr) {
    return Error{fmt::format("descriptor types is NULL but types_count is {}", count)};
  }
  std::set<std::string, std::less<>> seen;
  for (size_t i = 0; i < count; ++i) {
    if (Status type = validateType(descriptor->types[i], i, seen); !type) return type;
    const epp_type_descriptor* type = descriptor->types[i];
    if (type->description != nullptr) {
      auto description = readString(type->description, "type description");
      if (!description) return Error{description.error()};
    }
  }
  return {};
}

}  // namespace epp::loader
