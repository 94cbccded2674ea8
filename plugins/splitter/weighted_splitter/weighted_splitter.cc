#include "plugins/splitter/weighted_splitter/weighted_splitter.h"

namespace epp::plugins {

size_t WeightedSplitter::split(const cpp::Request& request, const cpp::SplitTargets& targets) {
  return targets.byWeight(request.randomUnit());
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppWeightedSplitterEntry, "weighted-splitter", "1.0.0",
                    "Splits traffic between a rule's targets at random by weight",
                    EPP_TYPE(epp::plugins::WeightedSplitter, "weighted-splitter",
                             "random target, probability weight / total weight"))
