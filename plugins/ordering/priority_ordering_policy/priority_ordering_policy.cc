#include "plugins/ordering/priority_ordering_policy/priority_ordering_policy.h"

EPP_PLUGIN_ENTRY_FN(eppPriorityOrderingPolicyEntry, "priority-ordering-policy", "1.0.0",
                    "Higher request priority first, then first come first served",
                    EPP_TYPE(epp::plugins::PriorityOrderingPolicy, "priority-ordering-policy",
                             "higher priority first, ties by sequence; heap queue"))
