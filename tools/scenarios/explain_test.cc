#include "tools/scenarios/explain.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace epp::scenarios {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

// A /decisions entry as the admin server renders it (host/admin/admin_json.cc).
json scoredDecision() {
  return json::parse(R"js({
    "requestId": "r-1", "model": "sql-lora", "targetModel": "llama-3-8b", "status": 200,
    "routed": true, "profile": "default", "pick": "10.0.0.2:8000", "priority": 100,
    "objective": "critical",
    "routing": {"requestedModel": "sql-lora", "targetModel": "llama-3-8b",
                "loraFallback": "base-model", "bodyRewritten": true},
    "queue": {"outcome": "Dispatched", "fairnessId": "default-flow", "band": 100, "waitMs": 12.4},
    "profiles": [{
      "profile": "default", "ok": true, "error": "",
      "steps": [{"step": "gpu", "plugin": "capability-filter", "kind": "filter", "result": true,
                 "candidates": ["10.0.0.1:8000", "10.0.0.2:8000"]}],
      "candidates": ["10.0.0.1:8000", "10.0.0.2:8000"],
      "scorers": [
        {"plugin": "queue-scorer", "weight": 2,
         "scores": {"10.0.0.1:8000": {"raw": 0.25, "weighted": 0.5},
                    "10.0.0.2:8000": {"raw": 1, "weighted": 2}}},
        {"plugin": "cost-scorer", "weight": 1,
         "scores": {"10.0.0.1:8000": {"raw": 1, "weighted": 1},
                    "10.0.0.2:8000": {"raw": 0, "weighted": 0}}}],
      "totals": {"10.0.0.1:8000": 1.5, "10.0.0.2:8000": 2},
      "picker": "max-score-picker", "picked": ["10.0.0.2:8000", "10.0.0.1:8000"]}]
  })js");
}

ExplainOptions names() {
  ExplainOptions o;
  o.names = {{"10.0.0.1:8000", "l40s-1"}, {"10.0.0.2:8000", "a100-1"}, {"10.0.0.3:8000", "x"}};
  o.poolSize = 3;
  o.indent = "";
  return o;
}

TEST(ExplainTest, ShowsWhatWasAskedRoutingQueueFiltersEveryScoreAndThePick) {
  const std::string text = explainDecision(scoredDecision(), names());
  EXPECT_THAT(text, HasSubstr("request r-1: model sql-lora, objective critical, priority 100\n"));
  EXPECT_THAT(text, HasSubstr("LoRA adapter sql-lora is loaded on no server and no server has "
                              "a free adapter slot, so it is sent as its base model llama-3-8b"));
  EXPECT_THAT(text, HasSubstr("flow control: band 100, waited 12 ms, Dispatched\n"));
  EXPECT_THAT(text, HasSubstr("profile default: 3 endpoints\n"));
  EXPECT_THAT(text, HasSubstr("filter gpu (capability-filter): 3 -> 2 (l40s-1, a100-1)\n"));
  EXPECT_THAT(text, HasSubstr("queue x2"));
  EXPECT_THAT(text, HasSubstr("cost x1"));
  // The pick first, marked, with each scorer's weighted (raw) score and the total.
  const size_t pick = text.find("* a100-1");
  const size_t other = text.find("  l40s-1 ");
  ASSERT_NE(pick, std::string::npos) << text;
  ASSERT_NE(other, std::string::npos) << text;
  EXPECT_LT(pick, other);
  const std::string pickRow = text.substr(pick, text.find('\n', pick) - pick);
  EXPECT_THAT(pickRow, HasSubstr("2.00 (1.00)"));
  EXPECT_THAT(pickRow, HasSubstr("0.00 (0.00)"));
  EXPECT_THAT(pickRow, ::testing::EndsWith("2.00"));
  EXPECT_THAT(text, HasSubstr("picker max-score-picker: a100-1\n"));
  EXPECT_THAT(text, HasSubstr("pick: a100-1 (10.0.0.2:8000)\n"));
}

TEST(ExplainTest, ARefusedRequestShowsItsStatusAndReason) {
  json d = json::parse(R"js({
    "requestId": "s-3", "model": "sim-model", "targetModel": "sim-model", "status": 429,
    "routed": false, "priority": -1, "objective": "sheddable",
    "error": "inference error: ResourceExhausted - request rejected by flow control",
    "queue": {"outcome": "RejectedCapacity", "fairnessId": "default-flow", "band": -1,
              "waitMs": 0, "detail": "band -1 holds 4 requests (maxRequests 4)"},
    "profiles": [], "pick": ""})js");
  const std::string text = explainDecision(d, names());
  EXPECT_THAT(text, HasSubstr("flow control: band -1, waited 0 ms, RejectedCapacity: band -1 "
                              "holds 4 requests (maxRequests 4)\n"));
  EXPECT_THAT(text, HasSubstr("answer: 429 inference error: ResourceExhausted"));
  EXPECT_THAT(text, Not(HasSubstr("pick:")));
}

TEST(ExplainTest, LongCandidateListsAreCut) {
  json d = scoredDecision();
  json& p = d["profiles"][0];
  p["steps"] = json::array();
  for (int i = 0; i < 8; ++i) {
    const std::string hp = "10.1.0." + std::to_string(i) + ":8000";
    p["candidates"].push_back(hp);
    p["totals"][hp] = 0.1 * i;
    for (auto& s : p["scorers"]) s["scores"][hp] = {{"raw", 0.1}, {"weighted", 0.1}};
  }
  ExplainOptions o = names();
  o.maxRows = 3;
  const std::string text = explainDecision(d, o);
  EXPECT_THAT(text, HasSubstr("… and 7 more, totals"));
}

}  // namespace
}  // namespace epp::scenarios
