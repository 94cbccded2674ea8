#pragma once

#include "epp/abi.h"

// The prefix-cache library: approx-prefix-cache-producer and prefix-cache-scorer, together
// because the scorer reads what the producer publishes.
const epp_plugin_descriptor* eppPrefixCacheEntry(const epp_entry_args* args);
