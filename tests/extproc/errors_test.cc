// Errors as Envoy receives them: ImmediateResponse status and body text, 413 for an
// oversized body, protocol violations, observability mode, a throwing pipeline.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <tuple>

#include "tests/extproc/extproc_fixture.h"

namespace epp::testing {
namespace {

namespace pb = extproc_pb;

TEST_F(ExtProcTest, EachPipelineErrorIsAnImmediateResponse) {
  const std::tuple<int, const char*> cases[] = {{400, "BadRequest"},
                                                {404, "NotFound"},
                                                {429, "ResourceExhausted"},
                                                {500, "Internal"},
                                                {503, "ServiceUnavailable"}};
  for (const auto& [status, code] : cases) {
    SCOPED_TRACE(status);
    RequestResult result = client_->process(chat("error=" + std::to_string(status)));
    EXPECT_THAT(result.violations, ::testing::IsEmpty());
    EXPECT_TRUE(result.status.ok());
    ASSERT_TRUE(result.immediate);
    EXPECT_FALSE(result.routed);
    EXPECT_EQ(result.immediateStatus, status);
    EXPECT_EQ(result.immediateBody,
              std::string("inference error: ") + code + " - scripted failure");
    EXPECT_EQ(result.immediateDetails, code);
    EXPECT_EQ(result.messagesReceived, 1u);
  }
}

TEST_F(ExtProcTest, ErrorCodeDefaultsFromStatus) {
  RequestResult result = client_->process(chat("error=503 nocode"));
  ASSERT_TRUE(result.immediate);
  EXPECT_EQ(result.immediateBody, "inference error: ServiceUnavailable - scripted failure");
}

TEST_F(ExtProcTest, ErrorHeadersAreSent) {
  RequestResult result = client_->process(chat("error=429 retry-after"));
  ASSERT_TRUE(result.immediate);
  EXPECT_EQ(result.immediateStatus, 429);
  EXPECT_THAT(result.immediateHeaders, ::testing::ElementsAre(::testing::Pair("retry-after", "1")));
}

TEST_F(ExtProcTest, ErrorOnHeadersOnlyRequest) {
  RequestSpec spec;
  spec.method = "GET";
  spec.headersOnly = true;
  spec.headers = {{"x-script", "error=503"}};
  RequestResult result = client_->process(spec);
  ASSERT_TRUE(result.immediate);
  EXPECT_EQ(result.immediateStatus, 503);
}

TEST_F(ExtProcTest, DelayedErrorFromAnotherThread) {
  RequestResult result = client_->process(chat("error=429 delay=30"));
  ASSERT_TRUE(result.immediate);
  EXPECT_EQ(result.immediateStatus, 429);
}

TEST_F(ExtProcTest, InvalidPipelineAnswersBecome500) {
  RequestResult thrown = client_->process(chat("throw"));
  ASSERT_TRUE(thrown.immediate);
  EXPECT_EQ(thrown.immediateStatus, 500);
  EXPECT_EQ(thrown.immediateBody, "inference error: Internal - pipeline: scripted exception");

  RequestResult badStatus = client_->process(chat("error=42"));
  ASSERT_TRUE(badStatus.immediate);
  EXPECT_EQ(badStatus.immediateStatus, 500);

  RequestResult noDestination = client_->process(chat("empty-dest"));
  ASSERT_TRUE(noDestination.immediate);
  EXPECT_EQ(noDestination.immediateStatus, 500);
  EXPECT_EQ(noDestination.immediateBody,
            "inference error: Internal - pipeline returned no destination");
}

TEST_F(ExtProcTest, ObservabilityModeNeverReplies) {
  RequestSpec spec = chat("{\"model\":\"m\"}");
  spec.observabilityMode = true;
  RequestResult result = client_->process(spec);
  EXPECT_THAT(result.violations, ::testing::IsEmpty());
  EXPECT_EQ(result.messagesReceived, 0u);
  EXPECT_TRUE(result.status.ok());
  EXPECT_EQ(pipeline_.routeCalls(), 0u);
  ASSERT_TRUE(eventually([&] { return outcomes().size() == 1; }));
  EXPECT_EQ(outcomes()[0].result, extproc::StreamResult::kObserved);
}

class SmallBodyLimitTest : public ExtProcTest {
 protected:
  void SetUp() override {
    options_.stream.maxRequestBodyBytes = 1 << 20;
    startServer();
  }
};

TEST_F(SmallBodyLimitTest, OversizedBodyIs413) {
  RequestSpec spec = chat(std::string(2 << 20, 'x'));
  spec.headers.emplace_back("x-request-id", "too-big-1");
  RequestResult result = client_->process(spec);
  ASSERT_TRUE(result.immediate);
  EXPECT_FALSE(result.routed);
  EXPECT_EQ(result.immediateStatus, 413);
  EXPECT_EQ(result.immediateBody,
            "inference error: PayloadTooLarge - request body exceeds 1048576 bytes");
  EXPECT_EQ(pipeline_.routeCalls(), 0u);
  ASSERT_TRUE(eventually([&] { return outcomes().size() == 1; }));
  EXPECT_EQ(outcomes()[0].requestId, "too-big-1");
  EXPECT_EQ(outcomes()[0].httpStatus, 413);

  // Exactly at the limit is fine.
  RequestResult atLimit = client_->process(chat(std::string(1 << 20, 'y')));
  EXPECT_TRUE(atLimit.routed);
  EXPECT_EQ(atLimit.upstreamBody.size(), size_t{1} << 20);
}

// Sends `messages` on a raw stream and returns the first reply (if any) and the status.
std::pair<std::optional<pb::ProcessingResponse>, grpc::Status> script(
    EnvoyClient& client, const std::vector<pb::ProcessingRequest>& messages) {
  auto stream = client.open(std::chrono::seconds(5));
  for (const auto& message : messages) {
    if (!stream->send(message)) break;
  }
  std::optional<pb::ProcessingResponse> first;
  pb::ProcessingResponse reply;
  if (stream->read(reply)) first = reply;
  stream->writesDone();
  while (stream->read(reply)) {
  }
  return {first, stream->finish()};
}

RequestSpec post() {
  RequestSpec spec;
  spec.body = "{}";
  return spec;
}

TEST_F(ExtProcTest, BodyBeforeHeadersIs400) {
  auto [reply, status] = script(*client_, {EnvoyClient::requestBodyMessage("{}", true)});
  ASSERT_TRUE(reply && reply->has_immediate_response());
  EXPECT_EQ(reply->immediate_response().status().code(), 400);
  EXPECT_EQ(reply->immediate_response().body(),
            "inference error: BadRequest - protocol violation: request_body before "
            "request_headers");
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(pipeline_.routeCalls(), 0u);
}

TEST_F(ExtProcTest, SecondRequestHeadersIs400) {
  auto headers = EnvoyClient::requestHeadersMessage(post());
  auto [reply, status] = script(*client_, {headers, headers});
  ASSERT_TRUE(reply && reply->has_immediate_response());
  EXPECT_EQ(reply->immediate_response().status().code(), 400);
  EXPECT_THAT(reply->immediate_response().body(), ::testing::HasSubstr("second request_headers"));
}

TEST_F(ExtProcTest, BodyAfterEndOfStreamIs400) {
  RequestSpec spec;
  spec.method = "GET";
  spec.headersOnly = true;
  spec.headers = {{"x-script", "hold"}};
  auto stream = client_->open(std::chrono::seconds(5));
  ASSERT_TRUE(stream->send(EnvoyClient::requestHeadersMessage(spec)));
  ASSERT_TRUE(pipeline_.waitHeld(1));
  ASSERT_TRUE(stream->send(EnvoyClient::requestBodyMessage("late", true)));
  pb::ProcessingResponse reply;
  ASSERT_TRUE(stream->read(reply));
  ASSERT_TRUE(reply.has_immediate_response());
  EXPECT_EQ(reply.immediate_response().status().code(), 400);
  // The pending request is told to give up, and its decision is dropped.
  EXPECT_TRUE(pipeline_.heldCancelled(0)->cancelled());
  auto log = std::make_shared<ObserverLog>();
  pipeline_.release(0, ScriptedPipeline::routed("10.0.0.1:8000", log));
  EXPECT_EQ(log->completeCalls, 1);
  EXPECT_FALSE(log->completed);
  stream->writesDone();
  EXPECT_FALSE(stream->read(reply));
  EXPECT_TRUE(stream->finish().ok());
}

TEST_F(ExtProcTest, ResponseBeforeRoutingIs400) {
  pb::ProcessingRequest response;
  response.mutable_response_headers()->set_end_of_stream(true);
  auto [reply, status] = script(*client_, {EnvoyClient::requestHeadersMessage(post()), response});
  ASSERT_TRUE(reply && reply->has_immediate_response());
  EXPECT_EQ(reply->immediate_response().status().code(), 400);
}

TEST_F(ExtProcTest, EmptyMessageIs400) {
  auto [reply, status] = script(*client_, {pb::ProcessingRequest()});
  ASSERT_TRUE(reply && reply->has_immediate_response());
  EXPECT_EQ(reply->immediate_response().status().code(), 400);
}

TEST_F(ExtProcTest, ViolationAfterRoutingFailsTheStream) {
  RequestSpec spec = post();
  auto stream = client_->open(std::chrono::seconds(5));
  ASSERT_TRUE(stream->send(EnvoyClient::requestHeadersMessage(spec)));
  ASSERT_TRUE(stream->send(EnvoyClient::requestBodyMessage("{}", true)));
  pb::ProcessingResponse reply;
  ASSERT_TRUE(stream->read(reply));
  ASSERT_TRUE(reply.has_request_headers());
  ASSERT_TRUE(stream->read(reply));
  ASSERT_TRUE(reply.has_request_body());
  pb::ProcessingRequest headers;
  headers.mutable_response_headers()->set_end_of_stream(true);
  ASSERT_TRUE(stream->send(headers));
  ASSERT_TRUE(stream->read(reply));
  ASSERT_TRUE(reply.has_response_headers());
  pb::ProcessingRequest body;
  body.mutable_response_body()->set_body("after the end");
  stream->send(body);
  while (stream->read(reply)) {
  }
  grpc::Status status = stream->finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr("response_body after the response"));
}

}  // namespace
}  // namespace epp::testing
