#include "host/flowcontrol/rate_limiter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "host/config/picker_config.h"

namespace epp::flowcontrol {
namespace {

using ::testing::HasSubstr;
constexpr int64_t kSecond = 1'000'000'000;

config::RateLimitSpec tokenBucket(double rate, double burst) {
  config::RateLimitSpec spec;
  spec.name = "tb";
  spec.rule.algorithm = config::RateLimitRule::Algorithm::kTokenBucket;
  spec.rule.rate = rate;
  spec.rule.burst = burst;
  return spec;
}

config::RateLimitSpec slidingWindow(int64_t maxRequests, int64_t windowNs) {
  config::RateLimitSpec spec;
  spec.name = "sw";
  spec.rule.algorithm = config::RateLimitRule::Algorithm::kSlidingWindow;
  spec.rule.maxRequests = maxRequests;
  spec.rule.windowNs = windowNs;
  return spec;
}

TEST(RateLimiterTest, TokenBucketAllowsTheBurstThenTheRate) {
  RateLimiter limiter(tokenBucket(/*rate=*/2, /*burst=*/3));
  int64_t t = 100 * kSecond;
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.tryAcquire("a", t)) << i;
  auto wait = limiter.tryAcquire("a", t);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, kSecond / 2);  // one token every 500 ms
  EXPECT_TRUE(limiter.tryAcquire("a", t + kSecond / 2 - 1));
  EXPECT_FALSE(limiter.tryAcquire("a", t + kSecond / 2));
  // Another key has its own bucket.
  EXPECT_FALSE(limiter.tryAcquire("b", t));
  // Ten idle seconds refill to the burst, not beyond.
  t += 11 * kSecond;
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.tryAcquire("a", t)) << i;
  EXPECT_TRUE(limiter.tryAcquire("a", t));
}

TEST(RateLimiterTest, TokenBucketLongRunRateIsTheConfiguredRate) {
  RateLimiter limiter(tokenBucket(/*rate=*/10, /*burst=*/1));
  int allowed = 0;
  // One attempt every millisecond for 10 s: 1 (the burst) + 10/s * 10 s.
  for (int64_t t = 0; t < 10 * kSecond; t += 1'000'000) {
    if (!limiter.tryAcquire("k", t)) ++allowed;
  }
  EXPECT_EQ(allowed, 100);
}

TEST(RateLimiterTest, SlidingWindowCountsAnyWindowNotFixedOnes) {
  RateLimiter limiter(slidingWindow(/*maxRequests=*/3, /*windowNs=*/10 * kSecond));
  EXPECT_FALSE(limiter.tryAcquire("k", 1 * kSecond));
  EXPECT_FALSE(limiter.tryAcquire("k", 8 * kSecond));
  EXPECT_FALSE(limiter.tryAcquire("k", 9 * kSecond));
  // A fixed window starting at 10 s would allow this one; the sliding one waits until the
  // request of 1 s is 10 s old.
  auto wait = limiter.tryAcquire("k", 10 * kSecond);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 1 * kSecond);
  EXPECT_FALSE(limiter.tryAcquire("k", 11 * kSecond));
  auto next = limiter.tryAcquire("k", 12 * kSecond);
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, 6 * kSecond);  // the 8 s request leaves the window at 18 s
}

TEST(RateLimiterTest, OverridesGiveAKeyItsOwnRule) {
  config::RateLimitSpec spec = tokenBucket(1, 1);
  config::RateLimitRule gold = spec.rule;
  gold.burst = 5;
  spec.overrides.emplace("gold", gold);
  RateLimiter limiter(spec);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(limiter.tryAcquire("gold", 0)) << i;
  EXPECT_TRUE(limiter.tryAcquire("gold", 0));
  EXPECT_FALSE(limiter.tryAcquire("silver", 0));
  EXPECT_TRUE(limiter.tryAcquire("silver", 0));
}

TEST(RateLimiterTest, KeysAreBoundedLeastRecentlySeenFirst) {
  config::RateLimitSpec spec = tokenBucket(1, 1);
  spec.maxKeys = 2;
  RateLimiter limiter(spec);
  EXPECT_FALSE(limiter.tryAcquire("a", 0));
  EXPECT_FALSE(limiter.tryAcquire("b", 0));
  EXPECT_TRUE(limiter.tryAcquire("a", 0));   // a is now the most recent
  EXPECT_FALSE(limiter.tryAcquire("c", 0));  // pushes out b
  EXPECT_EQ(limiter.trackedKeys(), 2u);
  EXPECT_TRUE(limiter.tryAcquire("a", 0));   // a kept its empty bucket
  EXPECT_FALSE(limiter.tryAcquire("b", 0));  // b starts over
}

TEST(RateLimiterTest, CheckUsesTheKeyHeaderAndSaysWhenToRetry) {
  config::RateLimitSpec spec = tokenBucket(0.5, 1);
  spec.keyHeader = "x-tenant";
  auto limiters = RateLimiters::global().acquire({spec});
  std::vector<std::pair<std::string, std::string>> tenantA = {{"x-tenant", "a"}};
  std::vector<std::pair<std::string, std::string>> none = {{"x-other", "a"}};
  EXPECT_FALSE(checkRateLimits(limiters, tenantA, 0));
  auto refused = checkRateLimits(limiters, tenantA, 0);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->key, "a");
  EXPECT_EQ(refused->retryAfterSeconds(), "2");
  // Without the header the request counts under defaultKey ("default-flow").
  EXPECT_FALSE(checkRateLimits(limiters, none, 0));
  auto second = checkRateLimits(limiters, none, 0);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->key, "default-flow");
}

TEST(RateLimiterTest, AnUnchangedSpecKeepsItsLimiterAcrossReloads) {
  config::RateLimitSpec spec = tokenBucket(1, 1);
  spec.name = "reload";
  auto first = RateLimiters::global().acquire({spec});
  auto same = RateLimiters::global().acquire({spec});
  EXPECT_EQ(first[0], same[0]);
  config::RateLimitSpec changed = spec;
  changed.rule.burst = 2;
  auto fresh = RateLimiters::global().acquire({changed});
  EXPECT_NE(first[0], fresh[0]);
}

}  // namespace
}  // namespace epp::flowcontrol
