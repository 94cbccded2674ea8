#pragma once

#include <cstdint>
#include <string>

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// sticky-splitter: the same user (or session) always gets the same target. The value of
// request header `header` (default x-session-id) is hashed (xxHash64 with `seed`) to a point
// in [0, 1), which falls on a target by weight. The choice depends on the request alone, so
// it survives reloads and restarts and agrees across eppd replicas; a weight change moves
// only the users whose point lies in the span that changed hands. Requests without the
// header are split at random by weight (`whenHeaderMissing: weighted`, default) or go to the
// first target (`first`).
class StickySplitter : public cpp::Plugin, public cpp::TrafficSplitter {
 public:
  explicit StickySplitter(const cpp::CreateContext& ctx);
  size_t split(const cpp::Request& request, const cpp::SplitTargets& targets) override;

  // Where `value` falls in [0, 1) (exposed for tests and documentation).
  static double point(std::string_view value, uint64_t seed);

 private:
  std::string header_;
  uint64_t seed_;
  bool missingToFirst_;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppStickySplitterEntry(const epp_entry_args* args);
