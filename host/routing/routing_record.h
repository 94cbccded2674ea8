// File: host/routing/routing_record.h
//
// What model routing decided for one request, as /decisions shows it.
#pragma once

#include <string>

namespace epp::routing {

struct RoutingRecord {
  // The name routing started from: header x-gateway-model-name-rewrite when sent, else the
  // body's model.
  std::string requestedModel;
  bool fromRewriteHeader = false;
  // The served model that name resolved to, and how ("exact", "alias", "version"); empty
  // when no model list is configured or the name is not served.
  std::string resolvedModel;
  std::string resolvedBy;
  // The routing rule that matched, its traffic splitter instance (empty for a one-target
  // rule) and the target it chose.
  std::string rule;
  std::string splitter;
  std::string splitTarget;
  // "base-model" when a LoRA adapter no endpoint could take was sent to its base model,
  // "rejected" when it got 503; empty otherwise.
  std::string loraFallback;
  // The base model of the LoRA adapter the request is routed as, when the config names it.
  std::string baseModel;
  // The model the request is routed as (and the body's model upstream).
  std::string targetModel;
  // True when the upstream body carries targetModel instead of the client's model, and
  // responses are rewritten back.
  bool bodyRewritten = false;
};

}  // namespace epp::routing
