#include "plugins/ordering/fcfs_ordering_policy/fcfs_ordering_policy.h"

EPP_PLUGIN_ENTRY_FN(eppFcfsOrderingPolicyEntry, "fcfs-ordering-policy", "1.0.0",
                    "First come, first served within a flow",
                    EPP_TYPE(epp::plugins::FcfsOrderingPolicy, "fcfs-ordering-policy",
                             "earlier enqueue sequence first; FIFO queue"))
