#include "plugins/ordering/edf_ordering_policy/edf_ordering_policy.h"

EPP_PLUGIN_ENTRY_FN(eppEdfOrderingPolicyEntry, "edf-ordering-policy", "1.0.0",
                    "Earliest deadline (enqueue time + TTL) first within a flow",
                    EPP_TYPE(epp::plugins::EdfOrderingPolicy, "edf-ordering-policy",
                             "earliest deadline_ns first, ties by sequence; heap queue"))
