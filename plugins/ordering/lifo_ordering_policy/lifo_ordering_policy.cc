#include "plugins/ordering/lifo_ordering_policy/lifo_ordering_policy.h"

EPP_PLUGIN_ENTRY_FN(eppLifoOrderingPolicyEntry, "lifo-ordering-policy", "1.0.0",
                    "Last come, first served within a flow",
                    EPP_TYPE(epp::plugins::LifoOrderingPolicy, "lifo-ordering-policy",
                             "later enqueue sequence first; heap queue"))
