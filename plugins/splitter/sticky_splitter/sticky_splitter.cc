#include "plugins/splitter/sticky_splitter/sticky_splitter.h"

#include <xxhash.h>

#include <algorithm>
#include <cctype>

namespace epp::plugins {

StickySplitter::StickySplitter(const cpp::CreateContext& ctx)
    : Plugin(ctx),
      header_(ctx.params().getString("header", "x-session-id")),
      seed_(static_cast<uint64_t>(ctx.params().getInt("seed", 0, /*min=*/0))),
      missingToFirst_(false) {
  const cpp::Params& p = ctx.params();
  std::transform(header_.begin(), header_.end(), header_.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (header_.empty()) throw cpp::Error(p.location("header") + ": header must not be empty");
  std::string missing = p.getString("whenHeaderMissing", "weighted");
  if (missing != "weighted" && missing != "first") {
    throw cpp::Error(p.location("whenHeaderMissing") + ": whenHeaderMissing must be weighted or " +
                     "first, not '" + missing + "'");
  }
  missingToFirst_ = missing == "first";
}

double StickySplitter::point(std::string_view value, uint64_t seed) {
  return static_cast<double>(XXH64(value.data(), value.size(), seed) >> 11) * 0x1.0p-53;
}

size_t StickySplitter::split(const cpp::Request& request, const cpp::SplitTargets& targets) {
  std::optional<std::string_view> value = request.header(header_);
  if (value && !value->empty()) return targets.byWeight(point(*value, seed_));
  return missingToFirst_ ? 0 : targets.byWeight(request.randomUnit());
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppStickySplitterEntry, "sticky-splitter", "1.0.0",
                    "Keeps each user or session on one target: a hash of a request header",
                    EPP_TYPE(epp::plugins::StickySplitter, "sticky-splitter",
                             "hash of a user/session header, by weight"))
