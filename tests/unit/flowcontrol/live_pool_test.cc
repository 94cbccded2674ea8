// LivePool: the views a saturation detector sees carry live in-flight counts, and one copy
// is shared until the snapshot changes or the copy ages out.
#include "host/flowcontrol/live_pool.h"

#include <gtest/gtest.h>

namespace epp::flowcontrol {
namespace {

std::vector<datalayer::EndpointState> twoEndpoints() {
  std::vector<datalayer::EndpointState> states(2);
  states[0].address = "10.0.0.1";
  states[0].port = 8000;
  states[1].address = "10.0.0.2";
  states[1].port = 8000;
  return states;
}

TEST(LivePoolTest, CopiesShareTheSnapshotAndReadLiveCounts) {
  datalayer::EndpointStore store;
  store.replace(twoEndpoints());
  auto snap = store.current();
  snap->addInflight(1, 3);
  EXPECT_EQ(snap->view(1)->inflight_requests, 0);  // the snapshot's own view: as built

  LivePool pool(/*maxAgeNs=*/1000);
  auto a = pool.get(snap, 10'000);
  ASSERT_EQ(a->all().count, 2u);
  EXPECT_EQ(a->all().items[0]->inflight_requests, 0);
  EXPECT_EQ(a->all().items[1]->inflight_requests, 3);
  // Everything but the count is the snapshot's view, pointing at the snapshot's strings.
  EXPECT_EQ(a->views[1].host_port.ptr, snap->view(1)->host_port.ptr);
  EXPECT_EQ(a->views[1].id, snap->view(1)->id);

  snap->addInflight(1, 1);
  EXPECT_EQ(pool.get(snap, 11'000).get(), a.get());  // within maxAge: the same copy
  EXPECT_EQ(a->views[1].inflight_requests, 3);
  auto b = pool.get(snap, 11'001);  // older than maxAge: re-read
  EXPECT_NE(b.get(), a.get());
  EXPECT_EQ(b->views[1].inflight_requests, 4);

  // A new snapshot is copied at once, and in-flight counts carry over by endpoint.
  store.replace(twoEndpoints());
  auto c = pool.get(store.current(), 11'002);
  EXPECT_NE(c.get(), b.get());
  EXPECT_EQ(c->snapshot, store.current());
  EXPECT_EQ(c->views[1].inflight_requests, 4);
}

TEST(LivePoolTest, EmptySnapshot) {
  datalayer::EndpointStore store;
  LivePool pool(0);
  auto v = pool.get(store.current(), 1);
  EXPECT_EQ(v->all().count, 0u);
}

}  // namespace
}  // namespace epp::flowcontrol
