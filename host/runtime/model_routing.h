// File: host/runtime/model_routing.h
//
// The request path's model-routing step (host/routing/router.h) with what surrounds it in
// the pipeline: the splitter's plugin metrics and faults, the log lines, the /decisions
// fields, and the body: when the request is routed as another model than its body names,
// the body's "model" is rewritten in place before anything else reads it, so plugins and
// the upstream see the target (the transport's Content-Length follows the body). The
// response Observer rewrites the name back (model_rewrite.h).
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "epp/abi.h"
#include "host/extproc/request_pipeline.h"
#include "host/request/openai_request.h"
#include "host/routing/router.h"
#include "host/runtime/config_snapshot.h"
#include "host/runtime/decision_log.h"

namespace epp::runtime {

// Routes the model of a parsed request; fills record.targetModel and record.routing, and
// rewrites in.body's model when the route changed it.
routing::Route routeModel(const ConfigSnapshot& snapshot, extproc::RequestInput& in,
                          const request::OpenAiRequest& parsed,
                          std::span<const epp_endpoint_view* const> candidates,
                          const std::function<uint64_t()>& seeds, DecisionRecord& record);

}  // namespace epp::runtime
