// File: host/loader/kinds.h
//
// Names of the plugin kinds (EPP_KIND_* bits) as eppd prints them and configs spell them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "epp/abi.h"

namespace epp::loader {

struct KindName {
  uint32_t bit;
  std::string_view name;
};

inline constexpr KindName kKindNames[] = {
    {EPP_KIND_FILTER, "filter"},
    {EPP_KIND_SCORER, "scorer"},
    {EPP_KIND_PICKER, "picker"},
    {EPP_KIND_PROFILE_HANDLER, "profile-handler"},
    {EPP_KIND_ORDERING_POLICY, "ordering-policy"},
    {EPP_KIND_FAIRNESS_POLICY, "fairness-policy"},
    {EPP_KIND_SATURATION_DETECTOR, "saturation-detector"},
    {EPP_KIND_TRAFFIC_SPLITTER, "traffic-splitter"},
    {EPP_KIND_BACKEND_ADAPTER, "backend-adapter"},
    {EPP_KIND_REQUEST_HOOKS, "request-hooks"},
    {EPP_KIND_DATA_HOOKS, "data-hooks"},
    {EPP_KIND_STATE_HANDOVER, "state-handover"},
};

// Every bit this host knows.
inline constexpr uint32_t kKnownKinds = (EPP_KIND_STATE_HANDOVER << 1) - 1;

// Names of the bits set in `kinds`, in bit order.
std::vector<std::string_view> kindNames(uint32_t kinds);
// kindNames joined with `separator` ("scorer,filter").
std::string joinKinds(uint32_t kinds, std::string_view separator = ",");

}  // namespace epp::loader
