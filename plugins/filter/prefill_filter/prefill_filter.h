#pragma once

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// prefill-filter: keeps the endpoints that can prefill: label llm-d.ai/role one of prefill,
// encode-prefill, prefill-decode, both, encode-prefill-decode. Unlabelled endpoints are
// dropped: a prefill pool is opted into explicitly.
class PrefillFilter : public cpp::Plugin, public cpp::Filter {
 public:
  explicit PrefillFilter(const cpp::CreateContext& ctx) : Plugin(ctx) {}
  void filter(const cpp::Request& request, const cpp::EndpointList& candidates,
              std::span<uint8_t> keep) override;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppPrefillFilterEntry(const epp_entry_args* args);
