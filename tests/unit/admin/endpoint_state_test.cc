// POST /endpoints/state and the scraper: a hand-set endpoint is taken away from the
// scraper (and loses an unhealthy mark its failed scrapes left) until handed back.
#include <gtest/gtest.h>

#include "host/admin/admin_json.h"

namespace epp::admin {
namespace {

using nlohmann::json;

std::vector<datalayer::EndpointState> scrapedAndFailing() {
  datalayer::EndpointState s;
  s.address = "10.0.0.1";
  s.port = 8000;
  s.health = EPP_HEALTH_UNHEALTHY;
  s.consecutiveFailures = 5;
  s.scrapeError = "connect: Connection refused";
  return {s};
}

TEST(EndpointStateTest, HandSetStateTakesOverFromTheScraper) {
  auto states = scrapedAndFailing();
  ASSERT_TRUE(applyEndpointState(json{{"endpoint", "10.0.0.1:8000"}, {"waiting", 3}}, states, 7));
  EXPECT_TRUE(states[0].manual);
  EXPECT_EQ(states[0].health, EPP_HEALTH_HEALTHY);
  EXPECT_EQ(states[0].consecutiveFailures, 0);
  EXPECT_EQ(states[0].scrapeError, "");
  EXPECT_EQ(states[0].waiting, 3);
  EXPECT_TRUE(states[0].hasMetrics);
  EXPECT_EQ(states[0].metricsUpdatedNs, 7);
}

TEST(EndpointStateTest, ExplicitHealthIsKeptAndManualFalseHandsBack) {
  auto states = scrapedAndFailing();
  ASSERT_TRUE(
      applyEndpointState(json{{"endpoint", "10.0.0.1:8000"}, {"health", "not-ready"}}, states, 1));
  EXPECT_EQ(states[0].health, EPP_HEALTH_NOT_READY);
  ASSERT_TRUE(
      applyEndpointState(json{{"endpoint", "10.0.0.1:8000"}, {"manual", false}}, states, 2));
  EXPECT_FALSE(states[0].manual);
  auto bad = applyEndpointState(json{{"endpoint", "10.0.0.1:8000"}, {"manual", "no"}}, states, 3);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("wrong type"), std::string::npos);
}

TEST(EndpointStateTest, EndpointsJsonShowsScrapeState) {
  datalayer::EndpointStore store;
  auto states = scrapedAndFailing();
  states[0].scrapeErrorNs = 1'000'000'000;
  states[0].lastScrapeNs = 1'500'000'000;
  states[0].engineLabels = {{"model_name", "m"}};
  store.replace(states);
  json doc = endpointsJson(*store.current(), 2'000'000'000);
  const json& e = doc["endpoints"][0];
  EXPECT_EQ(e["health"], "unhealthy");
  EXPECT_EQ(e["scrape"]["enabled"], true);
  EXPECT_EQ(e["scrape"]["manual"], false);
  EXPECT_EQ(e["scrape"]["consecutiveFailures"], 5);
  EXPECT_EQ(e["scrape"]["lastError"], "connect: Connection refused");
  EXPECT_EQ(e["scrape"]["lastErrorAgeMs"], 1000);
  EXPECT_EQ(e["scrape"]["lastAttemptAgeMs"], 500);
  EXPECT_EQ(e["engineLabels"]["model_name"], "m");
  EXPECT_EQ(doc["pool"]["available_backends"], 0);
}

}  // namespace
}  // namespace epp::admin
