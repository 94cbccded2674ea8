// The reload debouncer on made-up times: a burst is one action after the quiet period,
// a never-ending burst still acts after maxDelay, reasons are kept once each.
#include "host/common/debouncer.h"

#include <gtest/gtest.h>

namespace epp::common {
namespace {

using namespace std::chrono_literals;
using Clock = Debouncer::Clock;

TEST(DebouncerTest, ABurstIsDueOnceQuietForThePeriod) {
  Debouncer d(200ms, 2s);
  Clock::time_point t0{};
  EXPECT_FALSE(d.pending());
  d.poke(t0, "config.yaml");
  d.poke(t0 + 50ms, "..data");
  d.poke(t0 + 120ms, "config.yaml");
  EXPECT_TRUE(d.pending());
  EXPECT_EQ(d.due(), t0 + 320ms);
  EXPECT_FALSE(d.isDue(t0 + 319ms));
  EXPECT_TRUE(d.isDue(t0 + 320ms));
  EXPECT_EQ(d.take(), (std::vector<std::string>{"config.yaml", "..data"}));
  EXPECT_FALSE(d.pending());
  EXPECT_FALSE(d.isDue(t0 + 10s));
}

TEST(DebouncerTest, AChangeEveryFewMillisecondsIsStillPickedUpAfterMaxDelay) {
  Debouncer d(200ms, 1s);
  Clock::time_point t0{};
  for (int i = 0; i < 20; ++i) d.poke(t0 + i * 100ms, "busy.yaml");
  EXPECT_EQ(d.due(), t0 + 1s);
  EXPECT_TRUE(d.isDue(t0 + 1s));
  EXPECT_EQ(d.take().size(), 1u);
}

TEST(DebouncerTest, MaxDelayIsNeverShorterThanTheQuietPeriod) {
  Debouncer d(500ms, 100ms);
  Clock::time_point t0{};
  d.poke(t0, "x");
  EXPECT_EQ(d.due(), t0 + 500ms);
}

TEST(DebouncerTest, ANewBurstStartsAfterTake) {
  Debouncer d(200ms, 1s);
  Clock::time_point t0{};
  d.poke(t0, "a");
  (void)d.take();
  d.poke(t0 + 5s, "b");
  EXPECT_EQ(d.due(), t0 + 5s + 200ms);
  EXPECT_EQ(d.take(), std::vector<std::string>{"b"});
}

TEST(DebouncerTest, ReasonsAreBounded) {
  Debouncer d(200ms, 1s);
  for (int i = 0; i < 100; ++i) d.poke(Clock::time_point{}, "file-" + std::to_string(i));
  EXPECT_EQ(d.take().size(), 16u);
}

}  // namespace
}  // namespace epp::common
