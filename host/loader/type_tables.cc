#include "host/loader/type_tables.h"

#include <cstddef>

#include "host/loader/sized_struct.h"

namespace epp::loader {
namespace {

// Copies the listed fields the plugin declared; the rest stay zero.
template <typename S, typename... F>
void copyCovered(S& out, const S* raw, F S::*... members) {
  out.struct_size = raw->struct_size;
  ((out.*members = fieldOr(raw, members)), ...);
}

// Copies a kind table into `storage` and returns the pointer the normalised descriptor
// carries: NULL when the plugin has none.
template <typename T, typename... F>
const T* copyTable(const T* raw, T& storage, F T::*... members) {
  if (raw == nullptr) return nullptr;
  copyCovered(storage, raw, members...);
  return &storage;
}

// Each copy below names its struct's fields; a field appended in a later minor must be
// added there, which these checks force by failing when the last field is not last.
#define EPP_LAST_FIELD(type, field)                                          \
  static_assert(offsetof(type, field) + sizeof(type::field) == sizeof(type), \
                #type " grew: copy its new fields in type_tables.cc")

EPP_LAST_FIELD(epp_plugin_descriptor, shutdown);
EPP_LAST_FIELD(epp_type_descriptor, state_handover);
EPP_LAST_FIELD(epp_filter_v1, filter);
EPP_LAST_FIELD(epp_scorer_v1, score);
EPP_LAST_FIELD(epp_picker_v1, pick);
EPP_LAST_FIELD(epp_profile_handler_v1, process_results);
EPP_LAST_FIELD(epp_ordering_policy_v1, less);
EPP_LAST_FIELD(epp_fairness_policy_v1, pick_flow);
EPP_LAST_FIELD(epp_saturation_detector_v1, saturation);
EPP_LAST_FIELD(epp_traffic_splitter_v1, split);
EPP_LAST_FIELD(epp_backend_adapter_v1, detect);
EPP_LAST_FIELD(epp_request_hooks_v1, request_complete);
EPP_LAST_FIELD(epp_data_hooks_v1, kv_events);
EPP_LAST_FIELD(epp_state_handover_v1, import_state);

#undef EPP_LAST_FIELD

template <typename Fn>
void addIf(std::vector<std::string>& out, Fn pointer, const char* name) {
  if (pointer != nullptr) out.emplace_back(name);
}

}  // namespace

NormalizedType::NormalizedType(const epp_type_descriptor* raw) {
  using T = epp_type_descriptor;
  copyCovered(descriptor_, raw, &T::kinds, &T::type_name, &T::description, &T::create, &T::destroy);
  descriptor_.filter = copyTable(fieldOr(raw, &T::filter), filter_, &epp_filter_v1::filter);
  descriptor_.scorer =
      copyTable(fieldOr(raw, &T::scorer), scorer_, &epp_scorer_v1::category, &epp_scorer_v1::score);
  descriptor_.picker = copyTable(fieldOr(raw, &T::picker), picker_, &epp_picker_v1::pick);
  descriptor_.profile_handler =
      copyTable(fieldOr(raw, &T::profile_handler), profile_handler_,
                &epp_profile_handler_v1::pick_profiles, &epp_profile_handler_v1::process_results);
  descriptor_.ordering_policy =
      copyTable(fieldOr(raw, &T::ordering_policy), ordering_policy_,
                &epp_ordering_policy_v1::queue_capabilities, &epp_ordering_policy_v1::less);
  descriptor_.fairness_policy = copyTable(
      fieldOr(raw, &T::fairness_policy), fairness_policy_, &epp_fairness_policy_v1::band_state_new,
      &epp_fairness_policy_v1::band_state_destroy, &epp_fairness_policy_v1::pick_flow);
  descriptor_.saturation_detector =
      copyTable(fieldOr(raw, &T::saturation_detector), saturation_detector_,
                &epp_saturation_detector_v1::saturation);
  descriptor_.traffic_splitter = copyTable(fieldOr(raw, &T::traffic_splitter), traffic_splitter_,
                                           &epp_traffic_splitter_v1::split);
  descriptor_.backend_adapter =
      copyTable(fieldOr(raw, &T::backend_adapter), backend_adapter_, &epp_backend_adapter_v1::info,
                &epp_backend_adapter_v1::parse_metrics, &epp_backend_adapter_v1::check_health,
                &epp_backend_adapter_v1::detect);
  descriptor_.request_hooks = copyTable(
      fieldOr(raw, &T::request_hooks), request_hooks_, &epp_request_hooks_v1::prepare_request,
      &epp_request_hooks_v1::pre_request, &epp_request_hooks_v1::response_headers,
      &epp_request_hooks_v1::response_body, &epp_request_hooks_v1::request_complete);
  descriptor_.data_hooks =
      copyTable(fieldOr(raw, &T::data_hooks), data_hooks_, &epp_data_hooks_v1::endpoints_added,
                &epp_data_hooks_v1::endpoints_removed, &epp_data_hooks_v1::kv_events);
  // ABI 1.1: NULL for a 1.0 plugin, whose struct_size ends before the pointer.
  descriptor_.state_handover =
      copyTable(fieldOr(raw, &T::state_handover), state_handover_,
                &epp_state_handover_v1::export_state, &epp_state_handover_v1::import_state);
}

epp_plugin_descriptor normalizeDescriptor(const epp_plugin_descriptor* raw) {
  using D = epp_plugin_descriptor;
  epp_plugin_descriptor out{};
  copyCovered(out, raw, &D::abi_major, &D::abi_minor, &D::name, &D::version, &D::description,
              &D::types, &D::types_count, &D::shutdown);
  return out;
}

std::vector<std::string> optionalHooks(const epp_type_descriptor& type) {
  std::vector<std::string> hooks;
  if (const auto* adapter = type.backend_adapter) {
    addIf(hooks, adapter->detect, "backend-adapter.detect");
  }
  if (const auto* fairness = type.fairness_policy) {
    addIf(hooks, fairness->band_state_new, "fairness-policy.band_state_new");
    addIf(hooks, fairness->band_state_destroy, "fairness-policy.band_state_destroy");
  }
  if (const auto* request = type.request_hooks) {
    addIf(hooks, request->prepare_request, "request-hooks.prepare_request");
    addIf(hooks, request->pre_request, "request-hooks.pre_request");
    addIf(hooks, request->response_headers, "request-hooks.response_headers");
    addIf(hooks, request->response_body, "request-hooks.response_body");
    addIf(hooks, request->request_complete, "request-hooks.request_complete");
  }
  if (const auto* data = type.data_hooks) {
    addIf(hooks, data->endpoints_added, "data-hooks.endpoints_added");
    addIf(hooks, data->endpoints_removed, "data-hooks.endpoints_removed");
    addIf(hooks, data->kv_events, "data-hooks.kv_events");
  }
  if (const auto* handover = type.state_handover) {
    addIf(hooks, handover->export_state, "state-handover.export_state");
    addIf(hooks, handover->import_state, "state-handover.import_state");
  }
  return hooks;
}

}  // namespace epp::loader
