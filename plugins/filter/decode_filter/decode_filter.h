#pragma once

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// decode-filter: keeps the endpoints that can decode: label llm-d.ai/role one of decode,
// prefill-decode, both, encode-prefill-decode, or no role label at all (a plain aggregated
// server does everything).
class DecodeFilter : public cpp::Plugin, public cpp::Filter {
 public:
  explicit DecodeFilter(const cpp::CreateContext& ctx) : Plugin(ctx) {}
  void filter(const cpp::Request& request, const cpp::EndpointList& candidates,
              std::span<uint8_t> keep) override;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppDecodeFilterEntry(const epp_entry_args* args);
