#include "plugins/scorer/prefix_cache/prefix_cache_plugin.h"

#include "plugins/scorer/prefix_cache/approx_prefix_cache_producer.h"
#include "plugins/scorer/prefix_cache/prefix_cache_scorer.h"

EPP_PLUGIN_ENTRY_FN(eppPrefixCacheEntry, "prefix-cache", "1.0.0",
                    "Approximate prefix-cache index and the scorer that reads it",
                    EPP_TYPE(epp::plugins::ApproxPrefixCacheProducer,
                             "approx-prefix-cache-producer",
                             "Per-endpoint LRU of prompt-prefix blocks; publishes match ratios"),
                    EPP_TYPE(epp::plugins::PrefixCacheScorer, "prefix-cache-scorer",
                             "matched / total prefix blocks from the producer"))
