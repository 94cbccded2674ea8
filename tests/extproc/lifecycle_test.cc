// Stream lifetimes: cancel mid-body, a decision that arrives after the stream is gone,
// half-close while the decision is pending, drain on shutdown, the outcome hook.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/extproc/extproc_fixture.h"

namespace epp::testing {
namespace {

namespace pb = extproc_pb;
using std::chrono::milliseconds;

TEST_F(ExtProcTest, CancelMidBodyFreesTheStreamAndTheNextRequestWorks) {
  RequestSpec spec = chat(std::string(5 * 1024, 'a'));
  spec.chunkBytes = 1024;
  spec.cancelAfterChunks = 2;
  RequestResult cancelled = client_->process(spec);
  EXPECT_TRUE(cancelled.cancelled);
  EXPECT_EQ(cancelled.status.error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(eventually([&] { return server_->service().liveStreams() == 0; }));
  EXPECT_EQ(pipeline_.routeCalls(), 0u);
  ASSERT_TRUE(eventually([&] { return outcomes().size() == 1; }));
  EXPECT_EQ(outcomes()[0].result, extproc::StreamResult::kCancelled);

  RequestResult next = client_->process(chat("{\"model\":\"m\"}"));
  EXPECT_THAT(next.violations, ::testing::IsEmpty());
  EXPECT_TRUE(next.routed);
}

TEST_F(ExtProcTest, DecisionAfterCancelIsDropped) {
  auto stream = client_->open();
  ASSERT_TRUE(stream->send(EnvoyClient::requestHeadersMessage(chat(""))));
  ASSERT_TRUE(stream->send(EnvoyClient::requestBodyMessage("hold", true)));
  ASSERT_TRUE(pipeline_.waitHeld(1));
  stream->cancel();
  pb::ProcessingResponse reply;
  EXPECT_FALSE(stream->read(reply));
  stream->finish();

  // The pipeline learns the request is gone, and the stream is freed before it answers.
  auto cancelledFlag = pipeline_.heldCancelled(0);
  EXPECT_TRUE(eventually([&] { return cancelledFlag->cancelled(); }));
  EXPECT_TRUE(eventually([&] { return server_->service().liveStreams() == 0; }));
  ASSERT_TRUE(eventually([&] { return outcomes().size() == 1; }));
  EXPECT_EQ(outcomes()[0].result, extproc::StreamResult::kCancelled);

  auto log = std::make_shared<ObserverLog>();
  pipeline_.release(0, ScriptedPipeline::routed("10.0.0.1:8000", log));
  EXPECT_EQ(log->completeCalls, 1);  // the late decision's observer is still closed
  EXPECT_FALSE(log->completed);

  EXPECT_TRUE(client_->process(chat("{}")).routed);
}

TEST_F(ExtProcTest, DecisionFromAnotherThreadAfterCancelIsDropped) {
  auto stream = client_->open();
  ASSERT_TRUE(stream->send(EnvoyClient::requestHeadersMessage(chat(""))));
  ASSERT_TRUE(stream->send(EnvoyClient::requestBodyMessage("hold", true)));
  ASSERT_TRUE(pipeline_.waitHeld(1));
  auto log = std::make_shared<ObserverLog>();
  // Race the decision against the cancel: either order must be safe.
  auto releaser = std::async(std::launch::async, [&] {
    pipeline_.release(0, ScriptedPipeline::routed("10.0.0.1:8000", log));
  });
  stream->cancel();
  pb::ProcessingResponse reply;
  while (stream->read(reply)) {
  }
  stream->finish();
  releaser.get();
  EXPECT_TRUE(eventually([&] { return server_->service().liveStreams() == 0; }));
  std::lock_guard lock(log->mu);
  EXPECT_EQ(log->completeCalls, 1);
}

TEST_F(ExtProcTest, HalfCloseWhileDecisionPendingStillGetsTheReplies) {
  auto stream = client_->open();
  ASSERT_TRUE(stream->send(EnvoyClient::requestHeadersMessage(chat(""))));
  ASSERT_TRUE(stream->send(EnvoyClient::requestBodyMessage("hold", true)));
  stream->writesDone();
  ASSERT_TRUE(pipeline_.waitHeld(1));
  std::this_thread::sleep_for(milliseconds(20));
  auto log = std::make_shared<ObserverLog>();
  pipeline_.release(0, ScriptedPipeline::routed("10.0.0.7:8000", log));
  pb::ProcessingResponse reply;
  ASSERT_TRUE(stream->read(reply));
  ASSERT_TRUE(reply.has_request_headers());
  ASSERT_TRUE(stream->read(reply));
  ASSERT_TRUE(reply.has_request_body());
  EXPECT_EQ(reply.request_body().response().body_mutation().streamed_response().body(), "hold");
  EXPECT_FALSE(stream->read(reply));
  EXPECT_TRUE(stream->finish().ok());
  EXPECT_TRUE(eventually([&] {
    std::lock_guard lock(log->mu);
    return log->completeCalls == 1;
  }));
}

TEST_F(ExtProcTest, ShutdownDrainsOpenStreams) {
  auto inFlight =
      std::async(std::launch::async, [&] { return client_->process(chat("delay=300")); });
  ASSERT_TRUE(eventually([&] { return pipeline_.routeCalls() == 1; }));
  server_->shutdown(std::chrono::seconds(5));
  RequestResult result = inFlight.get();
  EXPECT_THAT(result.violations, ::testing::IsEmpty());
  EXPECT_TRUE(result.routed);
  // New streams are refused once shut down.
  RequestSpec late = chat("{}");
  late.timeout = milliseconds(500);
  EXPECT_FALSE(client_->process(late).routed);
}

TEST_F(ExtProcTest, ShutdownCancelsStreamsPastTheDrainDeadline) {
  auto stream = client_->open();
  ASSERT_TRUE(stream->send(EnvoyClient::requestHeadersMessage(chat(""))));
  ASSERT_TRUE(stream->send(EnvoyClient::requestBodyMessage("hold", true)));
  ASSERT_TRUE(pipeline_.waitHeld(1));
  const auto start = std::chrono::steady_clock::now();
  server_->shutdown(milliseconds(200));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_TRUE(pipeline_.heldCancelled(0)->cancelled());
  pb::ProcessingResponse reply;
  EXPECT_FALSE(stream->read(reply));
  EXPECT_FALSE(stream->finish().ok());
  EXPECT_EQ(server_->service().liveStreams(), 0);
  pipeline_.release(0, ScriptedPipeline::routed("10.0.0.1:8000", std::make_shared<ObserverLog>()));
}

TEST_F(ExtProcTest, OutcomeHookSeesEveryStream) {
  RequestSpec routed = chat("dest=10.1.1.1:80 padding");
  routed.headers.emplace_back("x-request-id", "r-1");
  routed.response = ResponseSpec{};
  routed.response->bodyChunks = {"12345"};
  client_->process(routed);
  RequestSpec failed = chat("error=503");
  failed.headers.emplace_back("x-request-id", "r-2");
  client_->process(failed);
  ASSERT_TRUE(eventually([&] { return outcomes().size() == 2; }));
  auto all = outcomes();
  const auto& first = all[0].requestId == "r-1" ? all[0] : all[1];
  const auto& second = all[0].requestId == "r-1" ? all[1] : all[0];
  EXPECT_EQ(first.result, extproc::StreamResult::kRouted);
  EXPECT_EQ(first.destination, "10.1.1.1:80");
  EXPECT_EQ(first.requestBodyBytes, routed.body.size());
  EXPECT_EQ(first.responseBodyBytes, 5u);
  EXPECT_TRUE(first.responseCompleted);
  EXPECT_GT(first.durationNs, 0);
  EXPECT_EQ(second.result, extproc::StreamResult::kImmediateResponse);
  EXPECT_EQ(second.httpStatus, 503);
  EXPECT_EQ(second.errorCode, "ServiceUnavailable");
}

// Routes every request at once, counting those whose cancelled flag was already set.
class CancelAwarePipeline final : public extproc::RequestPipeline {
 public:
  void route(std::shared_ptr<extproc::RequestInput> input, extproc::RouteCallback done) override {
    ++routed;
    if (input->cancelled->cancelled()) ++routedWhenCancelled;
    extproc::RoutingDecision decision;
    decision.destination = "10.0.0.1:8000";
    done(std::move(decision));
  }
  std::atomic<int> routed{0};
  std::atomic<int> routedWhenCancelled{0};
};

// Holds each stream's second message, once received, until the call is cancelled and a
// moment more: its read then completes after the cancel, as it may when a gateway resets a
// stream with a message in flight.
class HoldSecondMessageUntilCancelled final : public grpc::experimental::Interceptor {
 public:
  explicit HoldSecondMessageUntilCancelled(grpc::experimental::ServerRpcInfo* info) : info_(info) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::POST_RECV_MESSAGE) &&
        ++received_ == 2) {
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while (!info_->server_context()->IsCancelled() &&
             std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(milliseconds(1));
      }
      std::this_thread::sleep_for(milliseconds(50));  // OnCancel runs meanwhile
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* info_;
  int received_ = 0;
};

class HoldSecondMessageFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new HoldSecondMessageUntilCancelled(info);
  }
};

// Found by the ext_proc fuzzer (tests/fuzz): a message whose read completed after the client
// had cancelled was still routed, running the pipeline and its plugins for a request nobody
// waits for.
TEST(ExtProcCancelTest, MessageReadAfterTheCancelIsNotRouted) {
  CancelAwarePipeline pipeline;
  extproc::ExtProcServer service(pipeline);
  grpc::ServerBuilder builder;
  builder.RegisterService(&service);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> hold;
  hold.push_back(std::make_unique<HoldSecondMessageFactory>());
  builder.experimental().SetInterceptorCreators(std::move(hold));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  EnvoyClient client(server->InProcessChannel(grpc::ChannelArguments()));
  RequestSpec spec;
  spec.headers = {{"content-type", "application/json"}};
  for (int round = 0; round < 3; ++round) {
    auto stream = client.open();
    ASSERT_TRUE(stream->send(EnvoyClient::requestHeadersMessage(spec)));
    ASSERT_TRUE(stream->send(EnvoyClient::requestBodyMessage("{\"model\":\"m\"}", true)));
    stream->cancel();
    pb::ProcessingResponse reply;
    while (stream->read(reply)) {
    }
    stream->finish();
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (service.liveStreams() != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(2));
  }
  EXPECT_EQ(service.liveStreams(), 0);
  EXPECT_EQ(pipeline.routed.load(), 0);
  server->Shutdown();
}

}  // namespace
}  // namespace epp::testing
