#include "plugins/scorer/lora_affinity_scorer/lora_affinity_scorer.h"

#include <gtest/gtest.h>

#include "epp/testing/fake_host.h"

namespace epp::plugins {
namespace {

using testing::EndpointSet;
using testing::FakeEndpoint;
using testing::FakeHost;
using testing::FakeRequest;
using testing::ParamValue;

class LoraAffinityScorerTest : public ::testing::Test {
 protected:
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppLoraAffinityScorerEntry);
  std::unique_ptr<testing::FakeInstance> scorer_ = host_.create(plugin_, "lora-affinity-scorer");
  FakeRequest sqlRequest_{{.loraAdapter = "sql"}};
};

TEST_F(LoraAffinityScorerTest, ScoresEachAdapterState) {
  ASSERT_NE(scorer_, nullptr) << host_.lastError();
  EXPECT_EQ(scorer_->type()->scorer->category, EPP_SCORER_AFFINITY);
  EndpointSet eps({
      {.activeLoras = {"chat", "sql"}, .maxLoras = 2},  // active, even though full
      {.activeLoras = {"chat"}, .maxLoras = 4},         // free slot
      {.activeLoras = {"a", "b"}, .waitingLoras = {"sql"}, .maxLoras = 3},  // waiting, full
      {.activeLoras = {"a", "b"}, .maxLoras = 2},                           // full
      {.maxLoras = 0},  // engine reports no slots
  });
  auto s = scorer_->score(sqlRequest_, eps);
  EXPECT_EQ(scorer_->status(), EPP_OK);
  EXPECT_EQ(s, (std::vector<double>{1.0, 0.8, 0.6, 0.0, 0.0}));
}

TEST_F(LoraAffinityScorerTest, FreeSlotTakesPrecedenceOverWaiting) {
  // The reference checks the free slot before the waiting list: loading into a free slot
  // starts at once, a waiting adapter queues behind others.
  EndpointSet eps(std::vector<FakeEndpoint>{{.waitingLoras = {"sql"}, .maxLoras = 4}});
  EXPECT_EQ(scorer_->score(sqlRequest_, eps), (std::vector<double>{0.8}));
}

TEST_F(LoraAffinityScorerTest, WaitingAdaptersCountAgainstFreeSlots) {
  EndpointSet eps({{.activeLoras = {"a"}, .waitingLoras = {"b"}, .maxLoras = 2},
                   {.activeLoras = {"a"}, .waitingLoras = {"b"}, .maxLoras = 3}});
  EXPECT_EQ(scorer_->score(sqlRequest_, eps), (std::vector<double>{0.0, 0.8}));
}

TEST_F(LoraAffinityScorerTest, NoAdapterRequestedScoresAllOne) {
  FakeRequest base;
  EndpointSet eps(
      {{.activeLoras = {"a", "b"}, .maxLoras = 2}, {.flags = EPP_ENDPOINT_FLAG_NO_METRICS}, {}});
  EXPECT_EQ(scorer_->score(base, eps), (std::vector<double>{1.0, 1.0, 1.0}));
}

TEST_F(LoraAffinityScorerTest, EndpointWithoutMetricsScoresZero) {
  EndpointSet eps({{.activeLoras = {"sql"}, .maxLoras = 4, .flags = EPP_ENDPOINT_FLAG_NO_METRICS},
                   {.activeLoras = {"sql"}, .maxLoras = 4}});
  EXPECT_EQ(scorer_->score(sqlRequest_, eps), (std::vector<double>{0.0, 1.0}));
}

TEST_F(LoraAffinityScorerTest, AdapterNamesMatchExactly) {
  EndpointSet eps(std::vector<FakeEndpoint>{{.activeLoras = {"sql-v2", "SQL"}, .maxLoras = 2}});
  EXPECT_EQ(scorer_->score(sqlRequest_, eps), (std::vector<double>{0.0}));
}

TEST_F(LoraAffinityScorerTest, EmptyCandidates) {
  EndpointSet none;
  EXPECT_TRUE(scorer_->score(sqlRequest_, none).empty());
  EXPECT_EQ(scorer_->status(), EPP_OK);
}

TEST_F(LoraAffinityScorerTest, RejectsParameters) {
  EXPECT_EQ(host_.create(plugin_, "lora-affinity-scorer", ParamValue::map({{"threshold", 0.9}})),
            nullptr);
  EXPECT_NE(host_.lastError().find("unknown parameter \"threshold\""), std::string::npos);
}

}  // namespace
}  // namespace epp::plugins
