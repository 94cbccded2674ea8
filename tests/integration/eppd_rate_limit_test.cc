// rateLimits through the real eppd binary: a tenant over its token bucket gets 429 with
// retry-after while another tenant is routed; a sliding window keyed by another header
// counts requests without that header under its default key; refusals show in /metrics,
// /decisions and the log with the request id.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/integration/envoy_client.h"
#include "tests/integration/eppd_process.h"

namespace epp::testing {
namespace {

using ::testing::HasSubstr;

const std::string kConfig = R"(apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: queue-scorer
- type: max-score-picker
schedulingProfiles:
- name: default
  plugins: [{pluginRef: queue-scorer}, {pluginRef: max-score-picker}]
rateLimits:
- name: tenants
  tokenBucket: {rate: 0.01, burst: 2}
  overrides: {gold: {tokenBucket: {rate: 0.01, burst: 4}}}
- name: per-user
  keyHeader: x-user
  defaultKey: anonymous
  slidingWindow: {maxRequests: 3, window: 1h}
endpoints:
- {address: 10.3.0.1, port: 8000}
)";

class EppdRateLimitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    eppd_ = std::make_unique<EppdProcess>(kConfig);
    ASSERT_TRUE(eppd_->started()) << eppd_->error();
    client_ = std::make_unique<EnvoyClient>(eppd_->extprocTarget());
  }
  RequestResult send(HeaderList headers) {
    RequestSpec spec;
    spec.headers = std::move(headers);
    spec.body = R"({"model":"llama","messages":[{"role":"user","content":"hi"}]})";
    return client_->process(spec);
  }
  static std::string header(const HeaderList& headers, const std::string& name) {
    for (const auto& [k, v] : headers) {
      if (k == name) return v;
    }
    return "";
  }
  std::unique_ptr<EppdProcess> eppd_;
  std::unique_ptr<EnvoyClient> client_;
};

TEST_F(EppdRateLimitTest, TenantOverItsBucketGets429WithRetryAfter) {
  auto tenant = [](const std::string& id, const std::string& user) {
    return HeaderList{{"x-gateway-inference-fairness-id", id}, {"x-user", user}};
  };
  EXPECT_TRUE(send(tenant("blue", "u1")).routed);
  EXPECT_TRUE(send(tenant("blue", "u2")).routed);
  RequestResult refused = send({{"x-gateway-inference-fairness-id", "blue"},
                                {"x-user", "u3"},
                                {"x-request-id", "rl-req-7"}});
  ASSERT_TRUE(refused.immediate);
  EXPECT_EQ(refused.immediateStatus, 429);
  EXPECT_EQ(refused.immediateBody, "inference error: ResourceExhausted - rate limit exceeded");
  // One token per 100 s: the next one is 100 s away.
  EXPECT_EQ(header(refused.immediateHeaders, "retry-after"), "100");
  // Another tenant has its own bucket; the gold override allows four.
  EXPECT_TRUE(send(tenant("green", "u4")).routed);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(send(tenant("gold", "g" + std::to_string(i))).routed);
  EXPECT_EQ(send(tenant("gold", "g9")).immediateStatus, 429);

  EXPECT_EQ(eppd_->metric(R"(eppd_rate_limited_requests_total{limit="tenants"})"), 2);
  EXPECT_THAT(eppd_->log(), HasSubstr("rl-req-7"));
  EXPECT_THAT(eppd_->log(), HasSubstr("limit 'tenants', key 'blue'"));
  auto decisions = nlohmann::json::parse(httpRequest(eppd_->adminPort(), "GET", "/decisions").body);
  bool found = false;
  for (const auto& d : decisions["decisions"]) {
    if (d["requestId"] == "rl-req-7") {
      found = true;
      EXPECT_EQ(d["status"], 429);
      EXPECT_EQ(d["error"], "rate limit exceeded");
    }
  }
  EXPECT_TRUE(found) << decisions.dump();
}

TEST_F(EppdRateLimitTest, SlidingWindowCountsRequestsWithoutTheHeaderUnderTheDefaultKey) {
  // Each request has its own tenant, so only per-user limits.
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(send({{"x-gateway-inference-fairness-id", "t" + std::to_string(i)}}).routed);
  }
  RequestResult refused = send({{"x-gateway-inference-fairness-id", "t9"}});
  EXPECT_EQ(refused.immediateStatus, 429);
  int retry = std::stoi(header(refused.immediateHeaders, "retry-after"));
  EXPECT_GT(retry, 3500);  // the first of the three leaves the 1 h window in ~3600 s
  EXPECT_LE(retry, 3600);
  RequestResult other = send({{"x-gateway-inference-fairness-id", "t10"}, {"x-user", "someone"}});
  EXPECT_TRUE(other.routed) << "gRPC " << other.status.error_code() << " "
                            << other.status.error_message() << ", immediate "
                            << other.immediateStatus << " " << other.immediateBody << "\n"
                            << eppd_->log();
  EXPECT_EQ(eppd_->metric(R"(eppd_rate_limited_requests_total{limit="per-user"})"), 1);
}

}  // namespace
}  // namespace epp::testing
