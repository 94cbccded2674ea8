#pragma once

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// lora-affinity-filter: splits the candidates into those that hold the request's LoRA
// adapter (active or waiting) and those with a free adapter slot, and keeps one group: the
// affinity group with probability `threshold` (default 0.999) when both are non-empty,
// otherwise whichever is non-empty. Requests without an adapter keep every candidate.
class LoraAffinityFilter : public cpp::Plugin, public cpp::Filter {
 public:
  static constexpr double kDefaultThreshold = 0.999;

  explicit LoraAffinityFilter(const cpp::CreateContext& ctx);
  void filter(const cpp::Request& request, const cpp::EndpointList& candidates,
              std::span<uint8_t> keep) override;

 private:
  double threshold_;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppLoraAffinityFilterEntry(const epp_entry_args* args);
