// File: host/flowcontrol/live_pool.h
//
// The endpoints as a saturation detector sees them: copies of one endpoint snapshot's
// views whose in-flight counts are re-read from the host's live counters. A snapshot's own
// views carry the count as of the snapshot's build (a scrape), which is too old for a
// detector that counts in-flight requests; copying the views per request would defeat
// "views are filled once per snapshot". So a copy is shared by every request and rebuilt
// when the snapshot changes or the copy is older than `maxAgeNs`.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "epp/abi.h"
#include "host/datalayer/endpoint_snapshot.h"

namespace epp::flowcontrol {

struct LiveViews {
  datalayer::EndpointSnapshotPtr snapshot;  // keeps the strings the views point into alive
  std::vector<epp_endpoint_view> views;     // views[i] is snapshot->view(i), live in-flight
  std::vector<const epp_endpoint_view*> pointers;
  int64_t builtNs = 0;
  epp_endpoint_list all() const { return {pointers.data(), pointers.size()}; }
};

// A fresh copy of `snapshot`'s views with the in-flight counts of this instant.
std::shared_ptr<const LiveViews> liveViews(const datalayer::EndpointSnapshotPtr& snapshot);

class LivePool {
 public:
  explicit LivePool(int64_t maxAgeNs) : maxAgeNs_(maxAgeNs) {}

  // The views of `snapshot`, with in-flight counts at most maxAgeNs old at `nowNs`.
  std::shared_ptr<const LiveViews> get(const datalayer::EndpointSnapshotPtr& snapshot,
                                       int64_t nowNs);

 private:
  int64_t maxAgeNs_;
  std::mutex mutex_;  // guards current_ (rebuilds are rare and short)
  std::shared_ptr<const LiveViews> current_;
};

}  // namespace epp::flowcontrol
