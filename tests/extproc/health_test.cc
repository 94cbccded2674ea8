// grpc.health.v1 on the health port and the ext_proc port, driven by HealthState.
#include <gtest/gtest.h>

#include <string>

#include "host/extproc/proto/health.grpc.pb.h"
#include "tests/extproc/extproc_fixture.h"
#include "tests/integration/health_client.h"

namespace epp::testing {
namespace {

using extproc::HealthState;

TEST_F(ExtProcTest, HealthFollowsReadiness) {
  const std::string healthTarget = "127.0.0.1:" + std::to_string(server_->healthPort());
  ASSERT_NE(server_->healthPort(), 0);
  for (const std::string& target : {healthTarget, target_}) {
    SCOPED_TRACE(target);
    EXPECT_TRUE(checkHealth(target, std::string(HealthState::kLiveness)).serving());
    for (std::string_view service :
         {HealthState::kReadiness, HealthState::kExtProcService, std::string_view()}) {
      HealthCheck check = checkHealth(target, std::string(service));
      EXPECT_EQ(check.code, grpc::StatusCode::OK) << service;
      EXPECT_EQ(check.servingStatus, kNotServing) << service;
    }
    EXPECT_EQ(checkHealth(target, "no.such.Service").code, grpc::StatusCode::NOT_FOUND);
  }

  health_.setReady(true);
  for (const std::string& target : {healthTarget, target_}) {
    for (std::string_view service : {HealthState::kLiveness, HealthState::kReadiness,
                                     HealthState::kExtProcService, std::string_view()}) {
      EXPECT_TRUE(checkHealth(target, std::string(service)).serving()) << target << " " << service;
    }
  }

  health_.setReady(false);
  EXPECT_EQ(checkHealth(healthTarget, std::string(HealthState::kReadiness)).servingStatus,
            kNotServing);
  EXPECT_TRUE(checkHealth(healthTarget, std::string(HealthState::kLiveness)).serving());
}

TEST_F(ExtProcTest, HealthStateSurvivesRestart) {
  health_.setReady(true);
  startServer();  // a new server attaches to the same state
  const std::string healthTarget = "127.0.0.1:" + std::to_string(server_->healthPort());
  EXPECT_TRUE(checkHealth(healthTarget, std::string(HealthState::kReadiness)).serving());
}

TEST_F(ExtProcTest, WatchStreamsChangesAndEndsOnShutdown) {
  namespace hpb = ::grpc::health::v1;
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->healthPort()),
                                     grpc::InsecureChannelCredentials());
  auto stub = hpb::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  hpb::HealthCheckRequest request;
  request.set_service(std::string(HealthState::kReadiness));
  auto reader = stub->Watch(&context, request);
  hpb::HealthCheckResponse response;
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.status(), hpb::HealthCheckResponse::NOT_SERVING);
  health_.setReady(true);
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.status(), hpb::HealthCheckResponse::SERVING);
  // Draining: the watcher hears NOT_SERVING, then the stream ends cleanly.
  server_->shutdown(std::chrono::seconds(2));
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.status(), hpb::HealthCheckResponse::NOT_SERVING);
  EXPECT_FALSE(reader->Read(&response));
  EXPECT_TRUE(reader->Finish().ok());
}

TEST_F(ExtProcTest, WatchOfUnknownServiceSaysSo) {
  namespace hpb = ::grpc::health::v1;
  auto channel = grpc::CreateChannel(target_, grpc::InsecureChannelCredentials());
  auto stub = hpb::Health::NewStub(channel);
  grpc::ClientContext context;
  hpb::HealthCheckRequest request;
  request.set_service("nope");
  auto reader = stub->Watch(&context, request);
  hpb::HealthCheckResponse response;
  ASSERT_TRUE(reader->Read(&response));
  EXPECT_EQ(response.status(), hpb::HealthCheckResponse::SERVICE_UNKNOWN);
  context.TryCancel();
  while (reader->Read(&response)) {
  }
  reader->Finish();
}

TEST(ServerStartTest, ReportsAnAddressInUse) {
  ScriptedPipeline pipeline;
  extproc::HealthState health;
  extproc::ServerOptions options;
  options.address = "127.0.0.1:0";
  options.healthAddress = "";
  auto first = extproc::Server::start(options, pipeline, health);
  ASSERT_TRUE(first.ok()) << first.error();
  EXPECT_EQ((*first)->healthPort(), 0);
  options.address = "127.0.0.1:" + std::to_string((*first)->port());
  auto second = extproc::Server::start(options, pipeline, health);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().find("cannot listen"), std::string::npos) << second.error();
}

}  // namespace
}  // namespace epp::testing
