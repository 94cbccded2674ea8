// The simulator's wall-to-virtual clock: scaling, and stalls that repeat or overlap.
#include "tools/sim/virtual_clock.h"

#include <gtest/gtest.h>

namespace epp::sim {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const VirtualClock::Wall kStart{seconds(1000)};

TEST(VirtualClock, ScalesWallTime) {
  VirtualClock clock(kStart, 10);
  EXPECT_EQ(clock.at(kStart + milliseconds(5)), 50'000);
  EXPECT_EQ(clock.wallAt(50'000), kStart + milliseconds(5));
}

TEST(VirtualClock, RepeatedStallsEachStopVirtualTime) {
  VirtualClock clock(kStart, 1);
  clock.stall(kStart + seconds(1), seconds(2));  // [1 s, 3 s)
  clock.stall(kStart + seconds(5), seconds(1));  // [5 s, 6 s)
  EXPECT_EQ(clock.at(kStart + milliseconds(500)), 500'000);
  EXPECT_EQ(clock.at(kStart + seconds(2)), 1'000'000);  // inside the first stall
  EXPECT_EQ(clock.at(kStart + seconds(4)), 2'000'000);
  EXPECT_EQ(clock.at(kStart + milliseconds(5500)), 3'000'000);  // inside the second
  EXPECT_EQ(clock.at(kStart + seconds(7)), 4'000'000);
  EXPECT_TRUE(clock.stalled(kStart + milliseconds(5500)));
  EXPECT_FALSE(clock.stalled(kStart + seconds(6)));
  // wallAt is at's inverse outside stalls: the first wall time a virtual time is reached.
  EXPECT_EQ(clock.wallAt(500'000), kStart + milliseconds(500));
  EXPECT_EQ(clock.wallAt(2'000'000), kStart + seconds(4));
  EXPECT_EQ(clock.wallAt(4'000'000), kStart + seconds(7));
}

TEST(VirtualClock, AStallStartedDuringAnotherExtendsIt) {
  VirtualClock clock(kStart, 1);
  clock.stall(kStart + seconds(1), seconds(2));  // [1 s, 3 s)
  clock.stall(kStart + seconds(2), seconds(2));  // [2 s, 4 s): together [1 s, 4 s)
  EXPECT_EQ(clock.at(kStart + seconds(4)), 1'000'000);
  EXPECT_EQ(clock.at(kStart + seconds(5)), 2'000'000);
  EXPECT_TRUE(clock.stalled(kStart + milliseconds(3500)));
  EXPECT_EQ(clock.wallAt(2'000'000), kStart + seconds(5));
  clock.stall(kStart + seconds(3), milliseconds(500));  // inside: changes nothing
  EXPECT_EQ(clock.at(kStart + seconds(5)), 2'000'000);
}

}  // namespace
}  // namespace epp::sim
