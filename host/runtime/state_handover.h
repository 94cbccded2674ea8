// File: host/runtime/state_handover.h
//
// State hand-over on a reload: when an instance is re-created (same name and type, but new
// parameters or a new version of its library) rather than carried over, the old instance
// may pass what it learnt (a prefix-cache index) to the new one through the ABI's
// export_state / import_state (epp/abi_state_handover.h). The old and new instances may
// come from different library versions; the state crosses as bytes in a plugin-defined,
// versioned format. A refusal or failure leaves the new instance fresh: it is logged and
// counted, never an error of the reload.
//
//   // building snapshot N+1, for each re-created instance:
//   runtime::handOverState(*old_snapshot->find(name), *fresh_instance);
//
// Call it before the new instance serves anything (before the snapshot is published); the
// old one may keep serving meanwhile. Metric: eppd_plugin_state_handover_total{result} with
// result "imported", "refused", "nothing" or "failed" (a type that does not offer the
// hook is a silent no-op, not counted).
#pragma once

#include "host/loader/plugin_instance.h"
#include "host/loader/state_exchange.h"

namespace epp::runtime {

// No-op unless both types offer the hand-over. Logs the outcome (instance, libraries and
// versions, format and bytes moved, or the refusal) and never throws. The outcome is
// returned for callers that want it (the admin view, tests).
loader::StateExchange handOverState(const loader::PluginInstance& from, loader::PluginInstance& to);

}  // namespace epp::runtime
