#include "plugins/picker/consistent_hash_picker/consistent_hash_picker.h"

#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "plugins/common/text_values.h"

namespace epp::plugins {

ConsistentHashPicker::ConsistentHashPicker(const cpp::CreateContext& ctx)
    : Plugin(ctx),
      maxNumOfEndpoints_(ctx.params().getInt("maxNumOfEndpoints", 1, /*min=*/1)),
      header_(text::lower(ctx.params().getString("hashHeader", kDefaultHeader))),
      prefixChars_(static_cast<size_t>(ctx.params().getInt("prefixChars", 256, /*min=*/1))),
      loadFactor_(ctx.params().getDouble("loadFactor", 1.25, /*min=*/1.0)),
      rings_(static_cast<uint32_t>(
          ctx.params().getInt("virtualNodes", 100, /*min=*/1, /*max=*/10'000))) {}

uint64_t ConsistentHashPicker::memberKey(const cpp::Endpoint& endpoint) {
  const std::string_view name = endpoint.name();
  if (!name.empty()) return XXH64(name.data(), name.size(), endpoint.port());
  const std::string_view hostPort = endpoint.hostPort();
  return XXH64(hostPort.data(), hostPort.size(), 0);
}

uint64_t ConsistentHashPicker::keyOf(const cpp::Request& request) const {
  if (!header_.empty()) {
    if (auto value = request.header(header_); value && !value->empty()) {
      return XXH64(value->data(), value->size(), 0);
    }
  }
  const std::string_view prefix = request.prompt().substr(0, prefixChars_);
  if (!prefix.empty()) return XXH64(prefix.data(), prefix.size(), 0);
  // Nothing to be consistent about: a point drawn from the request's generator spreads such
  // requests evenly (and replays alike).
  return request.random();
}

size_t ConsistentHashPicker::pick(const cpp::Request& request, const cpp::EndpointList& candidates,
                                  std::span<const double>, std::span<uint32_t> picked) {
  const size_t count = candidates.size();
  const size_t want = std::min({static_cast<size_t>(maxNumOfEndpoints_), count, picked.size()});
  if (want == 0) return 0;

  // Ring members in key order (ties by id): member m is candidate byKey[m].
  std::vector<uint64_t> keys(count);
  for (size_t i = 0; i < count; ++i) keys[i] = memberKey(candidates[i]);
  std::vector<uint32_t> byKey(count);
  std::iota(byKey.begin(), byKey.end(), 0u);
  std::sort(byKey.begin(), byKey.end(), [&](uint32_t a, uint32_t b) {
    return keys[a] != keys[b] ? keys[a] < keys[b] : candidates[a].id() < candidates[b].id();
  });
  std::vector<uint64_t> members(count);
  for (size_t m = 0; m < count; ++m) members[m] = keys[byKey[m]];
  const std::shared_ptr<const HashRing> ring = rings_.get(members);

  // Bounded load (Mirrokni, Thorup, Zadimoghaddam): with this request counted, no endpoint
  // takes more than ceil(loadFactor x mean). eppd's count is as old as the snapshot; the
  // ledger sees this picker's own decisions at once; the larger is the better guess.
  std::vector<InflightLoad> booked(count);
  ledger_.read(candidates, booked);
  std::vector<int64_t> load(count);
  int64_t total = 0;
  for (size_t i = 0; i < count; ++i) {
    load[i] = std::max(booked[i].requests, candidates[i].inflightRequests());
    total += load[i];
  }
  const double capacity =
      std::ceil(loadFactor_ * static_cast<double>(total + 1) / static_cast<double>(count));

  std::vector<uint8_t> seen(count, 0);
  std::vector<uint32_t> overloaded;
  size_t n = 0;
  size_t seenCount = 0;
  const size_t first = ring->start(keyOf(request));
  for (size_t step = 0; step < ring->pointCount() && n < want && seenCount < count; ++step) {
    const uint32_t member = ring->memberAtPoint(first + step);
    if (seen[member]) continue;
    seen[member] = 1;
    ++seenCount;
    const uint32_t candidate = byKey[member];
    if (static_cast<double>(load[candidate] + 1) <= capacity) {
      picked[n++] = candidate;
    } else {
      overloaded.push_back(candidate);
    }
  }
  // Fallbacks beyond the endpoints within bounds: the passed-over ones, in ring order.
  for (size_t i = 0; i < overloaded.size() && n < want; ++i) picked[n++] = overloaded[i];
  return n;
}

void ConsistentHashPicker::preRequest(const cpp::Request& request,
                                      const cpp::SchedulingResult& result) {
  ledger_.book(*this, request, result, nullptr);
}

void ConsistentHashPicker::requestComplete(const cpp::Request& request, const cpp::Response*,
                                           epp_request_outcome) {
  ledger_.release(*this, request);
}

void ConsistentHashPicker::endpointsRemoved(std::span<const uint64_t> endpointIds) {
  ledger_.forget(endpointIds);
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppConsistentHashPickerEntry, "consistent-hash-picker", "1.0.0",
                    "Same key, same endpoint: a hash ring over the candidates with bounded load",
                    EPP_TYPE(epp::plugins::ConsistentHashPicker, "consistent-hash-picker",
                             "hash of a header or the prompt prefix on a ring of endpoint names, "
                             "bounded load"))
