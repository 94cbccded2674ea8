#include "plugins/splitter/canary_splitter/canary_splitter.h"

#include <algorithm>
#include <cctype>

namespace epp::plugins {

CanarySplitter::CanarySplitter(const cpp::CreateContext& ctx)
    : Plugin(ctx),
      canary_(ctx.params().getString("canary", "")),
      header_(ctx.params().getString("header", "")),
      headerValues_(ctx.params().getStringList("headerValues")) {
  const cpp::Params& p = ctx.params();
  if (p.has("percentage")) percentage_ = p.getDouble("percentage", 0, /*min=*/0, /*max=*/100);
  // Header names arrive lower-case; accept the name as people write it.
  std::transform(header_.begin(), header_.end(), header_.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!headerValues_.empty() && header_.empty()) {
    throw cpp::Error(p.location("headerValues") + ": headerValues needs header");
  }
}

bool CanarySplitter::headerSelects(const cpp::Request& request) const {
  if (header_.empty()) return false;
  std::optional<std::string_view> value = request.header(header_);
  if (!value || value->empty()) return false;
  if (headerValues_.empty()) return true;
  return std::find(headerValues_.begin(), headerValues_.end(), *value) != headerValues_.end();
}

size_t CanarySplitter::split(const cpp::Request& request, const cpp::SplitTargets& targets) {
  const size_t canary = canary_.empty() ? targets.size() - 1 : targets.find(canary_);
  if (canary == targets.size()) {
    throw cpp::Error("canary model '" + canary_ + "' is not a target of the rule",
                     EPP_ERR_INVALID_ARGUMENT);
  }
  if (headerSelects(request)) return canary;
  if (targets.size() == 1) return canary;
  const double u = request.randomUnit();
  if (percentage_) {
    if (u * 100 < *percentage_) return canary;
    // The same draw, rescaled onto the rest, picks the stable target by weight.
    return targets.byWeight((u * 100 - *percentage_) / (100 - *percentage_), canary);
  }
  return targets.byWeight(u);
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppCanarySplitterEntry, "canary-splitter", "1.0.0",
                    "Sends a percentage of traffic, or requests with a header, to a canary model",
                    EPP_TYPE(epp::plugins::CanarySplitter, "canary-splitter",
                             "header match or percentage to the canary, the rest by weight"))
