#pragma once

#include "epp/abi.h"

// The P/D disaggregation library: disagg-profile-handler, its deprecated alias
// pd-profile-handler, and the deciders they name (prefix-based-pd-decider,
// always-disagg-pd-decider), together because the handler reads what the deciders publish.
const epp_plugin_descriptor* eppDisaggEntry(const epp_entry_args* args);
