#pragma once

#include <cstdint>

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// low-queue-filter: keeps endpoints whose waiting queue is at most `threshold` (default 128).
// Endpoints without metrics are dropped: nothing shows their queue is short.
class LowQueueFilter : public cpp::Plugin, public cpp::Filter {
 public:
  static constexpr int64_t kDefaultThreshold = 128;

  explicit LowQueueFilter(const cpp::CreateContext& ctx);
  void filter(const cpp::Request& request, const cpp::EndpointList& candidates,
              std::span<uint8_t> keep) override;

 private:
  int64_t threshold_;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppLowQueueFilterEntry(const epp_entry_args* args);
