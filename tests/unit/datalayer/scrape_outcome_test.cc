// How collection results change endpoint state: failure threshold, recovery, staleness,
// partial metrics, and endpoints the scraper must not touch.
#include "host/datalayer/scrape_outcome.h"

#include <gtest/gtest.h>

namespace epp::datalayer {
namespace {

constexpr int64_t kMs = 1'000'000;

EndpointState at(uint32_t port) {
  EndpointState s;
  s.address = "10.0.0.1";
  s.port = port;
  return s;
}

ScrapeOutcome ok(uint32_t port, int64_t waiting, int64_t atNs) {
  ScrapeOutcome o;
  o.pool = "default";
  o.hostPort = "10.0.0.1:" + std::to_string(port);
  o.ok = true;
  o.metrics.numbers.present = EPP_METRICS_HAS_WAITING;
  o.metrics.numbers.waiting_requests = waiting;
  o.atNs = atNs;
  return o;
}

ScrapeOutcome failed(uint32_t port, int64_t atNs) {
  ScrapeOutcome o;
  o.pool = "default";
  o.hostPort = "10.0.0.1:" + std::to_string(port);
  o.reason = "timeout";
  o.error = "/metrics: no complete answer within 1000 ms";
  o.atNs = atNs;
  return o;
}

class ScrapeOutcomeTest : public ::testing::Test {
 protected:
  ScrapeSettings settings_;  // threshold 3, staleness 2 s
  std::vector<EndpointState> states_{at(1), at(2)};
};

TEST_F(ScrapeOutcomeTest, SuccessSetsOnlyWhatTheAdapterReported) {
  states_[0].running = 4;
  states_[0].activeLoras = {"keep"};
  EXPECT_TRUE(applyOutcomes(states_, {ok(1, 6, 10 * kMs)}, settings_, 10 * kMs));
  EXPECT_TRUE(states_[0].hasMetrics);
  EXPECT_EQ(states_[0].waiting, 6);
  EXPECT_EQ(states_[0].running, 4);  // not reported: unchanged
  EXPECT_EQ(states_[0].activeLoras, std::vector<std::string>{"keep"});
  EXPECT_EQ(states_[0].metricsUpdatedNs, 10 * kMs);
  EXPECT_EQ(states_[0].lastScrapeNs, 10 * kMs);
  EXPECT_FALSE(states_[1].hasMetrics);

  ScrapeOutcome lora = ok(1, 6, 20 * kMs);
  lora.metrics.numbers.present |= EPP_METRICS_HAS_MAX_LORAS;
  lora.metrics.numbers.max_loras = 2;
  applyOutcomes(states_, {lora}, settings_, 20 * kMs);
  EXPECT_TRUE(states_[0].activeLoras.empty());  // LoRA info present, with no adapter running
  EXPECT_EQ(states_[0].maxLoras, 2);
}

TEST_F(ScrapeOutcomeTest, ThresholdFailuresMakeUnhealthyAndASuccessHeals) {
  applyOutcomes(states_, {failed(1, 1 * kMs)}, settings_, 1 * kMs);
  applyOutcomes(states_, {failed(1, 2 * kMs)}, settings_, 2 * kMs);
  EXPECT_EQ(states_[0].health, EPP_HEALTH_HEALTHY);
  EXPECT_EQ(states_[0].consecutiveFailures, 2);
  applyOutcomes(states_, {failed(1, 3 * kMs)}, settings_, 3 * kMs);
  EXPECT_EQ(states_[0].health, EPP_HEALTH_UNHEALTHY);
  EXPECT_EQ(states_[0].scrapeError, "/metrics: no complete answer within 1000 ms");
  EXPECT_EQ(states_[0].scrapeErrorNs, 3 * kMs);
  applyOutcomes(states_, {ok(1, 1, 4 * kMs)}, settings_, 4 * kMs);
  EXPECT_EQ(states_[0].health, EPP_HEALTH_HEALTHY);
  EXPECT_EQ(states_[0].consecutiveFailures, 0);
  EXPECT_EQ(states_[0].scrapeError, "");
}

TEST_F(ScrapeOutcomeTest, ProbedHealthWins) {
  ScrapeOutcome o = ok(1, 0, kMs);
  o.probedHealth = EPP_HEALTH_NOT_READY;
  applyOutcomes(states_, {o}, settings_, kMs);
  EXPECT_EQ(states_[0].health, EPP_HEALTH_NOT_READY);
}

TEST_F(ScrapeOutcomeTest, AProbeThatKeepsTheEndpointOutLeavesItsReasonUntilAProbeLetsItIn) {
  ScrapeOutcome probed = ok(1, 0, kMs);
  probed.probedHealth = EPP_HEALTH_UNHEALTHY;
  probed.healthError = "/health: HTTP 500: unhealthy";
  applyOutcomes(states_, {probed}, settings_, kMs);
  EXPECT_EQ(states_[0].health, EPP_HEALTH_UNHEALTHY);
  EXPECT_EQ(states_[0].scrapeError, "/health: HTTP 500: unhealthy");
  EXPECT_EQ(states_[0].scrapeErrorNs, kMs);
  // Metrics keep coming between probes: still out, still saying why.
  applyOutcomes(states_, {ok(1, 2, 2 * kMs)}, settings_, 2 * kMs);
  EXPECT_EQ(states_[0].health, EPP_HEALTH_UNHEALTHY);
  EXPECT_EQ(states_[0].waiting, 2);
  EXPECT_EQ(states_[0].scrapeError, "/health: HTTP 500: unhealthy");
  ScrapeOutcome healthy = ok(1, 0, 3 * kMs);
  healthy.probedHealth = EPP_HEALTH_HEALTHY;
  applyOutcomes(states_, {healthy}, settings_, 3 * kMs);
  EXPECT_EQ(states_[0].health, EPP_HEALTH_HEALTHY);
  EXPECT_EQ(states_[0].scrapeError, "");
}

TEST_F(ScrapeOutcomeTest, MetricsOlderThanTheThresholdAreStale) {
  applyOutcomes(states_, {ok(1, 1, 0)}, settings_, 0);
  EXPECT_FALSE(states_[0].stale);
  EXPECT_FALSE(applyOutcomes(states_, {}, settings_, 2000 * kMs));  // exactly at the limit
  EXPECT_TRUE(applyOutcomes(states_, {}, settings_, 2001 * kMs));
  EXPECT_TRUE(states_[0].stale);
  EXPECT_FALSE(states_[1].stale);  // never scraped: no metrics to be stale
  applyOutcomes(states_, {ok(1, 1, 2002 * kMs)}, settings_, 2002 * kMs);
  EXPECT_FALSE(states_[0].stale);
}

TEST_F(ScrapeOutcomeTest, ManualAndUnscrapedEndpointsAreNotTouched) {
  states_[0].manual = true;
  states_[0].waiting = 3;
  states_[1].scrape = false;
  EXPECT_FALSE(applyOutcomes(states_, {ok(1, 9, kMs), failed(2, kMs)}, settings_, 10'000 * kMs));
  EXPECT_EQ(states_[0].waiting, 3);
  EXPECT_EQ(states_[1].consecutiveFailures, 0);
}

}  // namespace
}  // namespace epp::datalayer
