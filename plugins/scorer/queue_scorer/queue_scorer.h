#pragma once

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// queue-scorer: prefers endpoints with shorter waiting queues, min-max normalised over
// the candidates: (max - q) / (max - min); every candidate scores 1 when all queues are
// equal.
class QueueScorer : public cpp::Plugin, public cpp::Scorer {
 public:
  explicit QueueScorer(const cpp::CreateContext& ctx) : Plugin(ctx) {}
  void score(const cpp::Request& request, const cpp::EndpointList& candidates,
             std::span<double> scores) override;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppQueueScorerEntry(const epp_entry_args* args);
