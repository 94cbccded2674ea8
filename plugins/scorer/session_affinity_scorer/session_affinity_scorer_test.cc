#include "plugins/scorer/session_affinity_scorer/session_affinity_scorer.h"

#include <gtest/gtest.h>

#include "epp/testing/fake_host.h"
#include "plugins/scorer/session_affinity_scorer/session_token.h"

namespace epp::plugins {
namespace {

using testing::EndpointSet;
using testing::FakeHost;
using testing::FakeProfileResult;
using testing::FakeRequest;
using testing::FakeRequestSpec;
using testing::FakeResponse;
using testing::ParamValue;

FakeRequestSpec withToken(const std::string& header, const std::string& value) {
  return FakeRequestSpec{.headers = {{header, value}}};
}

class SessionAffinityScorerTest : public ::testing::Test {
 protected:
  std::unique_ptr<testing::FakeInstance> create(const ParamValue& params = ParamValue()) {
    auto scorer = host_.create(plugin_, "session-affinity-scorer", params);
    EXPECT_NE(scorer, nullptr) << host_.lastError();
    return scorer;
  }

  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = host_.load(&eppSessionAffinityScorerEntry);
  EndpointSet eps_{{.address = "10.0.0.1", .name = "vllm-0"},
                   {.address = "10.0.0.2", .name = "vllm-1"},
                   {.address = "10.0.0.3"}};
};

TEST_F(SessionAffinityScorerTest, OneForTheEndpointTheTokenNames) {
  auto scorer = create();
  FakeRequest request(withToken("x-session-token", encodeBase64("vllm-1")));
  EXPECT_EQ(scorer->score(request, eps_), (std::vector<double>{0.0, 1.0, 0.0}));
  EXPECT_EQ(scorer->status(), EPP_OK);
}

TEST_F(SessionAffinityScorerTest, AcceptsAnAddressOrANamespacedName) {
  auto scorer = create();
  FakeRequest byAddress(withToken("x-session-token", encodeBase64("10.0.0.3:8000")));
  EXPECT_EQ(scorer->score(byAddress, eps_), (std::vector<double>{0.0, 0.0, 1.0}));
  FakeRequest namespaced(withToken("x-session-token", encodeBase64("team-a/vllm-0")));
  EXPECT_EQ(scorer->score(namespaced, eps_), (std::vector<double>{1.0, 0.0, 0.0}));
  FakeRequest suffixOnly(withToken("x-session-token", encodeBase64("xvllm-0")));
  EXPECT_EQ(scorer->score(suffixOnly, eps_), (std::vector<double>{0.0, 0.0, 0.0}));
}

TEST_F(SessionAffinityScorerTest, NoTokenOrAnUnknownOneScoresZeroEverywhere) {
  auto scorer = create();
  FakeRequest none;
  EXPECT_EQ(scorer->score(none, eps_), (std::vector<double>{0.0, 0.0, 0.0}));
  FakeRequest garbage(withToken("x-session-token", "not base64!"));
  EXPECT_EQ(scorer->score(garbage, eps_), (std::vector<double>{0.0, 0.0, 0.0}));
  EXPECT_EQ(scorer->status(), EPP_OK);
  FakeRequest gone(withToken("x-session-token", encodeBase64("vllm-9")));
  EXPECT_EQ(scorer->score(gone, eps_), (std::vector<double>{0.0, 0.0, 0.0}));
}

TEST_F(SessionAffinityScorerTest, WritesTheServingEndpointOnTheResponse) {
  auto scorer = create();
  FakeRequest request;
  scorer->preRequest(request, {FakeProfileResult{.name = "default", .targets = {eps_.view(0)}}});
  // The gateway fell back to the second pick: the token names the endpoint that served.
  scorer->responseHeaders(request, FakeResponse{.endpoint = eps_.view(1)});
  ASSERT_EQ(request.responseHeaders().count("x-session-token"), 1u);
  const std::string token = request.responseHeaders().at("x-session-token");
  EXPECT_EQ(token, encodeBase64("vllm-1"));

  // The client sends it back: the session sticks.
  FakeRequest next(withToken("x-session-token", token));
  EXPECT_EQ(scorer->score(next, eps_), (std::vector<double>{0.0, 1.0, 0.0}));
}

TEST_F(SessionAffinityScorerTest, UnnamedEndpointsAreNamedByAddress) {
  auto scorer = create();
  FakeRequest request;
  scorer->responseHeaders(request, FakeResponse{.endpoint = eps_.view(2)});
  EXPECT_EQ(request.responseHeaders().at("x-session-token"), encodeBase64("10.0.0.3:8000"));
}

TEST_F(SessionAffinityScorerTest, NoEndpointKnownNoHeader) {
  auto scorer = create();
  FakeRequest request;
  scorer->responseHeaders(request, FakeResponse{});
  EXPECT_TRUE(request.responseHeaders().empty());
}

TEST_F(SessionAffinityScorerTest, ProfileNamePinsThatProfilesPick) {
  auto scorer = create(
      ParamValue::map({{"headerName", "X-Session-Token-Prefill"}, {"profileName", "prefill"}}));
  FakeRequest request;
  scorer->preRequest(request, {FakeProfileResult{.name = "decode", .targets = {eps_.view(0)}},
                               FakeProfileResult{.name = "prefill", .targets = {eps_.view(1)}}});
  scorer->responseHeaders(request, FakeResponse{.endpoint = eps_.view(0)});
  EXPECT_EQ(request.responseHeaders().at("x-session-token-prefill"), encodeBase64("vllm-1"));

  FakeRequest next(withToken("x-session-token-prefill", encodeBase64("vllm-1")));
  EXPECT_EQ(scorer->score(next, eps_), (std::vector<double>{0.0, 1.0, 0.0}));
  // The default header is not read by this instance.
  FakeRequest other(withToken("x-session-token", encodeBase64("vllm-0")));
  EXPECT_EQ(scorer->score(other, eps_), (std::vector<double>{0.0, 0.0, 0.0}));
}

TEST_F(SessionAffinityScorerTest, ProfileThatDidNotRunWritesNothing) {
  auto scorer = create(ParamValue::map({{"profileName", "prefill"}}));
  FakeRequest request;
  scorer->preRequest(request, {FakeProfileResult{.name = "decode", .targets = {eps_.view(0)}}});
  scorer->responseHeaders(request, FakeResponse{.endpoint = eps_.view(0)});
  EXPECT_TRUE(request.responseHeaders().empty());
}

TEST_F(SessionAffinityScorerTest, Parameters) {
  EXPECT_NE(create(ParamValue::map({{"algorithm", "encoded_endpoint_header"}})), nullptr);
  EXPECT_EQ(host_.create(plugin_, "session-affinity-scorer",
                         ParamValue::map({{"algorithm", "session_id_header"}})),
            nullptr);
  EXPECT_NE(host_.lastError().find("\"session_id_header\" (server-side session bindings) is "
                                   "not implemented"),
            std::string::npos)
      << host_.lastError();
  EXPECT_EQ(
      host_.create(plugin_, "session-affinity-scorer", ParamValue::map({{"algorithm", "cookie"}})),
      nullptr);
  EXPECT_EQ(host_.create(plugin_, "session-affinity-scorer", ParamValue::map({{"headerName", ""}})),
            nullptr);
  EXPECT_NE(host_.lastError().find("params.headerName: parameter \"headerName\" must name a"),
            std::string::npos)
      << host_.lastError();
  EXPECT_EQ(
      host_.create(plugin_, "session-affinity-scorer", ParamValue::map({{"missThreshold", 3}})),
      nullptr);
}

}  // namespace
}  // namespace epp::plugins
