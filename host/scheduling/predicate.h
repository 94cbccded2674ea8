// File: host/scheduling/predicate.h
//
// Request predicates of decision-tree nodes (header, model, LoRA, prompt length, priority).
#pragma once

#include "host/config/picker_config.h"
#include "host/scheduling/request_context.h"

namespace epp::scheduling {

// Prompt length is measured in estimated tokens (characters / 4), like every other
// token count eppd estimates without a tokenizer.
bool evaluatePredicate(const config::PredicateSpec& p, const RequestContext& request);

}  // namespace epp::scheduling
