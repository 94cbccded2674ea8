#include "plugins/filter/prefill_filter/prefill_filter.h"

#include <algorithm>
#include <array>
#include <optional>
#include <string_view>

namespace epp::plugins {
namespace {

constexpr std::string_view kRoleLabel = "llm-d.ai/role";
constexpr std::array<std::string_view, 5> kPrefillRoles = {
    "prefill", "encode-prefill", "prefill-decode", "both", "encode-prefill-decode"};

// The role label's value; nullopt when the endpoint has none.
std::optional<std::string_view> roleOf(const cpp::Endpoint& e) {
  if (auto label = e.label(kRoleLabel)) return label;
  if (!e.role().empty()) return e.role();
  return std::nullopt;
}

}  // namespace

void PrefillFilter::filter(const cpp::Request&, const cpp::EndpointList& candidates,
                           std::span<uint8_t> keep) {
  for (size_t i = 0; i < candidates.size(); ++i) {
    const std::optional<std::string_view> role = roleOf(candidates[i]);
    keep[i] =
        role && std::find(kPrefillRoles.begin(), kPrefillRoles.end(), *role) != kPrefillRoles.end();
  }
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppPrefillFilterEntry, "prefill-filter", "1.0.0",
                    "Keeps endpoints that can prefill (llm-d.ai/role)",
                    EPP_TYPE(epp::plugins::PrefillFilter, "prefill-filter",
                             "role prefill, encode-prefill, prefill-decode, both, "
                             "encode-prefill-decode"))
