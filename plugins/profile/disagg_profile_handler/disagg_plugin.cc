#include "plugins/profile/disagg_profile_handler/disagg_plugin.h"

#include "plugins/profile/disagg_profile_handler/disagg_profile_handler.h"
#include "plugins/profile/disagg_profile_handler/pd_deciders.h"

EPP_PLUGIN_ENTRY_FN(
    eppDisaggEntry, "disagg", "1.0.0", "Prefill/decode disaggregation: handler and deciders",
    EPP_TYPE(epp::plugins::DisaggProfileHandler, "disagg-profile-handler",
             "decode, then prefill elsewhere when a decider says so; x-prefiller-host-port"),
    EPP_TYPE(epp::plugins::DisaggProfileHandler, "pd-profile-handler",
             "deprecated alias of disagg-profile-handler (also reads its v0.3 parameters)"),
    EPP_TYPE(epp::plugins::PrefixBasedPdDecider, "prefix-based-pd-decider",
             "prefill elsewhere when the decode endpoint lacks nonCachedTokens of the prompt"),
    EPP_TYPE(epp::plugins::AlwaysDisaggPdDecider, "always-disagg-pd-decider",
             "prefill always runs elsewhere"))
