// Legacy admission through the real eppd binary: a request whose InferenceObjective has a
// negative priority is shed with 429 while the endpoints report saturation, others are
// routed at the same time, and the outcome shows in /decisions, /metrics and the log.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/integration/envoy_client.h"
#include "tests/integration/eppd_process.h"

namespace epp::testing {
namespace {

using ::testing::HasSubstr;

// The reference default profile; utilization-detector is injected (staleness relaxed so
// the states set through the admin API stay fresh on a loaded machine).
const std::string kConfig = R"(apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: queue-scorer
- type: kv-cache-utilization-scorer
- type: max-score-picker
- type: utilization-detector
  parameters: {metricsStalenessThreshold: 10m}
schedulingProfiles:
- name: default
  plugins:
  - {pluginRef: queue-scorer, weight: 2}
  - {pluginRef: kv-cache-utilization-scorer, weight: 2}
  - {pluginRef: max-score-picker}
objectives:
- {name: batch, priority: -1}
- {name: interactive, priority: 10}
endpoints:
- {address: 10.2.0.1, port: 8000}
- {address: 10.2.0.2, port: 8000}
)";

std::string chat(const std::string& content) {
  return nlohmann::json(
             {{"model", "llama"}, {"messages", {{{"role", "user"}, {"content", content}}}}})
      .dump();
}

class EppdAdmissionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    eppd_ = std::make_unique<EppdProcess>(kConfig);
    ASSERT_TRUE(eppd_->started()) << eppd_->error();
    client_ = std::make_unique<EnvoyClient>(eppd_->extprocTarget());
  }
  void state(const std::string& endpoint, int waiting, double kv) {
    ASSERT_EQ(
        eppd_->setEndpointState(
            nlohmann::json({{"endpoint", endpoint}, {"waiting", waiting}, {"kvCacheUsage", kv}})
                .dump()),
        200);
  }
  RequestResult post(const std::string& requestId, const std::string& objective) {
    RequestSpec spec;
    spec.body = chat("summarise the logs");
    spec.headers = {{"x-request-id", requestId}};
    if (!objective.empty()) spec.headers.push_back({"x-gateway-inference-objective", objective});
    return client_->process(spec);
  }
  nlohmann::json decision(const std::string& requestId) {
    auto doc =
        nlohmann::json::parse(httpRequest(eppd_->adminPort(), "GET", "/decisions?n=50").body);
    for (const auto& d : doc["decisions"]) {
      if (d["requestId"] == requestId) return d;
    }
    return nullptr;
  }

  std::unique_ptr<EppdProcess> eppd_;
  std::unique_ptr<EnvoyClient> client_;
};

TEST_F(EppdAdmissionTest, SheddableRequestIsShedOnlyWhileSaturated) {
  // max(12/5, 0.3/0.8) = 2.4 and max(3/5, 0.9/0.8) = 1.125: the pool reads 1.7625.
  state("10.2.0.1:8000", 12, 0.3);
  state("10.2.0.2:8000", 3, 0.9);

  RequestResult shed = post("shed-1", "batch");
  EXPECT_TRUE(shed.violations.empty()) << ::testing::PrintToString(shed.violations);
  ASSERT_TRUE(shed.immediate);
  EXPECT_EQ(shed.immediateStatus, 429);
  EXPECT_EQ(shed.immediateBody,
            "inference error: ResourceExhausted - system saturated, sheddable request dropped");
  EXPECT_FALSE(shed.routed);

  // The same moment, a priority-10 request and one without an objective are routed.
  RequestResult interactive = post("interactive-1", "interactive");
  EXPECT_TRUE(interactive.violations.empty()) << ::testing::PrintToString(interactive.violations);
  ASSERT_TRUE(interactive.routed) << interactive.immediateBody;
  EXPECT_EQ(interactive.destination, "10.2.0.2:8000");
  RequestResult plain = post("plain-1", "");
  ASSERT_TRUE(plain.routed) << plain.immediateBody;

  // /decisions explains the 429 by request id.
  nlohmann::json d = decision("shed-1");
  ASSERT_FALSE(d.is_null());
  EXPECT_EQ(d["status"], 429);
  EXPECT_EQ(d["routed"], false);
  EXPECT_EQ(d["priority"], -1);
  EXPECT_EQ(d["objective"], "batch");
  EXPECT_EQ(d["admission"]["outcome"], "rejected");
  EXPECT_EQ(d["admission"]["detector"], "utilization-detector");
  EXPECT_DOUBLE_EQ(d["admission"]["saturation"].get<double>(), 1.7625);
  EXPECT_EQ(d["error"], "system saturated, sheddable request dropped");
  nlohmann::json i = decision("interactive-1");
  EXPECT_EQ(i["priority"], 10);
  EXPECT_FALSE(i.contains("admission"));

  // The endpoints drain: max(1/5, 0.2/0.8) = 0.25 and max(0/5, 0.4/0.8) = 0.5 -> 0.375.
  state("10.2.0.1:8000", 1, 0.2);
  state("10.2.0.2:8000", 0, 0.4);
  RequestResult later = post("shed-2", "batch");
  EXPECT_TRUE(later.violations.empty()) << ::testing::PrintToString(later.violations);
  ASSERT_TRUE(later.routed) << later.immediateBody;
  nlohmann::json admitted = decision("shed-2");
  EXPECT_EQ(admitted["admission"]["outcome"], "unsaturated");
  EXPECT_DOUBLE_EQ(admitted["admission"]["saturation"].get<double>(), 0.375);

  // Counted under the reference's names and eppd's own.
  EXPECT_DOUBLE_EQ(eppd_->metric(R"(inference_objective_request_error_total{error_code=)"
                                 R"("ResourceExhausted",model_name="llama",)"
                                 R"(target_model_name="llama"})"),
                   1);
  EXPECT_DOUBLE_EQ(eppd_->metric(R"(eppd_admission_rejections_total{reason="saturated"})"), 1);
  EXPECT_DOUBLE_EQ(eppd_->metric(R"(eppd_admission_fail_open_total)"), 0);
  EXPECT_DOUBLE_EQ(eppd_->metric(R"(inference_objective_request_total{model_name="llama",)"
                                 R"(priority="-1",target_model_name="llama"})"),
                   2);
  EXPECT_DOUBLE_EQ(eppd_->metric(R"(inference_objective_request_total{model_name="llama",)"
                                 R"(priority="10",target_model_name="llama"})"),
                   1);
  EXPECT_DOUBLE_EQ(eppd_->metric(R"(inference_extension_flow_control_pool_saturation{)"
                                 R"(inference_pool="default"})"),
                   0.375);
  EXPECT_DOUBLE_EQ(eppd_->metric(R"(eppd_extproc_streams_total{code="429",)"
                                 R"(result="immediate_response"})"),
                   1);

  // The log line names the request.
  std::string log = eppd_->log();
  EXPECT_THAT(log, HasSubstr("shed-1"));
  EXPECT_THAT(log, HasSubstr("429 ResourceExhausted - system saturated, sheddable request "
                             "dropped (priority -1, objective 'batch', pool saturation 1.76"));
  EXPECT_THAT(log, HasSubstr("admission: legacy mode: sheddable requests (priority < 0) shed "
                             "while utilization-detector (utilization-detector) reads >= 1.0"));
}

}  // namespace
}  // namespace epp::testing
