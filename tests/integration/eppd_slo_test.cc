// SLO headers through the real binary: x-slo-ttft-ms / x-slo-tpot-ms are recorded in the
// request's decision, and the response path counts each objective as met, missed or
// unmeasured, exactly, by model and primary profile. The upstream is played by the test
// (EnvoyClient's response path), so the TTFT of each request is under its control: a
// response held back 300 ms misses a 50 ms TTFT objective.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "tests/integration/envoy_client.h"
#include "tests/integration/eppd_process.h"

namespace epp::testing {
namespace {

using nlohmann::json;

constexpr char kConfig[] = R"(apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: queue-scorer
- type: max-score-picker
schedulingProfiles:
- name: latency
  plugins:
  - {pluginRef: queue-scorer}
  - {pluginRef: max-score-picker}
endpoints:
- {address: 10.4.0.1, port: 8000, scrape: false}
)";

std::string chat() {
  return json{
      {"model", "m"}, {"stream", true}, {"messages", {{{"role", "user"}, {"content", "hello"}}}}}
      .dump();
}

// A streamed answer: two token chunks, then usage with `completionTokens` (none when < 0).
ResponseSpec streamed(int completionTokens, int status = 200) {
  ResponseSpec r;
  r.status = status;
  r.headers = {{"content-type", "text/event-stream"}};
  r.bodyChunks = {"data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n",
                  "data: {\"choices\":[{\"delta\":{\"content\":\"b\"}}]}\n\n"};
  if (completionTokens >= 0) {
    r.bodyChunks.push_back(
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,"
        "\"completion_tokens\":" +
        std::to_string(completionTokens) +
        ",\"total_tokens\":" + std::to_string(5 + completionTokens) + "}}\n\n");
  }
  r.bodyChunks.push_back("data: [DONE]\n\n");
  return r;
}

class EppdSloTest : public ::testing::Test {
 protected:
  void SetUp() override {
    eppd_ = std::make_unique<EppdProcess>(kConfig);
    ASSERT_TRUE(eppd_->started()) << eppd_->error();
    client_ = std::make_unique<EnvoyClient>(eppd_->extprocTarget());
  }
  RequestResult send(HeaderList headers, ResponseSpec response,
                     std::chrono::milliseconds upstreamDelay = std::chrono::milliseconds(0)) {
    RequestSpec spec;
    spec.body = chat();
    spec.headers = std::move(headers);
    spec.upstream = [response, upstreamDelay](const RequestResult&) {
      std::this_thread::sleep_for(upstreamDelay);
      return std::optional<ResponseSpec>(response);
    };
    return client_->process(spec);
  }
  double slo(const char* objective, const char* outcome) {
    return eppd_->metric(std::string(R"(eppd_slo_requests_total{model_name="m",outcome=")") +
                         outcome + R"(",profile="latency",slo=")" + objective + R"("})");
  }

  std::unique_ptr<EppdProcess> eppd_;
  std::unique_ptr<EnvoyClient> client_;
};

TEST_F(EppdSloTest, OutcomesAreCountedExactlyPerObjective) {
  using std::chrono::milliseconds;
  // Met both: a generous TTFT and TPOT, usage says 11 tokens.
  RequestResult met = send({{"x-slo-ttft-ms", "5000"}, {"x-slo-tpot-ms", "10000"}}, streamed(11));
  ASSERT_TRUE(met.routed);
  EXPECT_TRUE(met.violations.empty()) << met.violations.front();
  json d = json::parse(httpRequest(eppd_->adminPort(), "GET", "/decisions?n=1").body);
  EXPECT_EQ(d["decisions"][0]["slo"], (json{{"ttftMs", 5000.0}, {"tpotMs", 10000.0}}));

  // Missed both: the answer comes 300 ms late; 10 tokens in more than a nanosecond each.
  send({{"x-slo-ttft-ms", "50"}, {"x-slo-tpot-ms", "0.000001"}}, streamed(11), milliseconds(300));
  // TPOT unmeasured: no usage, so no token count.
  send({{"x-slo-tpot-ms", "100"}}, streamed(-1));
  // TTFT unmeasured: the server failed.
  send({{"x-slo-ttft-ms", "100"}}, streamed(3, 500));
  // Malformed: ignored and counted, the request is served.
  RequestResult bad = send({{"x-slo-ttft-ms", "fast"}}, streamed(3));
  EXPECT_TRUE(bad.routed);
  // No objective: nothing counted.
  send({}, streamed(3));

  EXPECT_EQ(
      eppd_->awaitMetric(
          R"(eppd_slo_requests_total{model_name="m",outcome="unmeasured",profile="latency",slo="ttft"})",
          1),
      1);
  EXPECT_EQ(slo("ttft", "met"), 1);
  EXPECT_EQ(slo("ttft", "missed"), 1);
  EXPECT_EQ(slo("tpot", "met"), 1);
  EXPECT_EQ(slo("tpot", "missed"), 1);
  EXPECT_EQ(slo("tpot", "unmeasured"), 1);
  EXPECT_EQ(eppd_->metric(R"(eppd_slo_invalid_headers_total{header="x-slo-ttft-ms"})"), 1);
  // Every successful request's TTFT is observed (5 of the 6 succeeded).
  EXPECT_EQ(eppd_->metric(R"(eppd_request_ttft_seconds_count{model_name="m"})"), 5);
  EXPECT_NE(eppd_->log().find("header x-slo-ttft-ms: 'fast' is not a positive number"),
            std::string::npos);
}

}  // namespace
}  // namespace epp::testing
