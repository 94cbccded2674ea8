// The response path: headers answered, body chunks (SSE) echoed at once and in order
// through the request's ResponseObserver, trailers answered, onComplete once.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "host/extproc/headers.h"
#include "tests/extproc/extproc_fixture.h"

namespace epp::testing {
namespace {

std::vector<std::string> sseChunks() {
  return {
      "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n",
      "data: {\"choices\":[{\"delta\":{\"content\":\"lo\"}}]}\n\n",
      "data: {\"choices\":[{\"delta\":{\"content\":\"!\"}}]}\n\n",
      "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":3}}\n\n",
      "data: [DONE]\n\n",
  };
}

TEST_F(ExtProcTest, SseChunksAreEchoedInOrderAsTheyArrive) {
  RequestSpec spec = chat(R"({"model":"m","stream":true})");
  spec.response = ResponseSpec{};
  spec.response->headers = {{"content-type", "text/event-stream"}};
  spec.response->bodyChunks = sseChunks();
  spec.response->lockstep = true;  // each echo must come before the next chunk is sent
  RequestResult result = client_->process(spec);

  EXPECT_THAT(result.violations, ::testing::IsEmpty());
  ASSERT_TRUE(result.routed);
  EXPECT_TRUE(result.responseHeadersReplied);
  EXPECT_THAT(result.responseSetHeaders,
              ::testing::ElementsAre(::testing::Pair("x-observed", "1")));
  EXPECT_EQ(result.echoedResponseChunks, sseChunks());

  auto log = pipeline_.observerLog(0);
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(log->mu);
    return log->completeCalls == 1;
  }));
  std::lock_guard lock(log->mu);
  EXPECT_EQ(log->chunks, sseChunks());
  EXPECT_THAT(log->chunkEos, ::testing::ElementsAre(false, false, false, false, true));
  EXPECT_TRUE(log->completed);
  ASSERT_NE(extproc::findHeader(log->responseHeaders, ":status"), nullptr);
  EXPECT_EQ(*extproc::findHeader(log->responseHeaders, ":status"), "200");
  EXPECT_EQ(*extproc::findHeader(log->responseHeaders, "content-type"), "text/event-stream");
}

TEST_F(ExtProcTest, EchoesChunksSentWithoutWaiting) {
  RequestSpec spec = chat("{}");
  spec.response = ResponseSpec{};
  for (int i = 0; i < 50; ++i) spec.response->bodyChunks.push_back("chunk-" + std::to_string(i));
  spec.response->lockstep = false;
  RequestResult result = client_->process(spec);
  EXPECT_THAT(result.violations, ::testing::IsEmpty());
  EXPECT_EQ(result.echoedResponseChunks, spec.response->bodyChunks);
}

TEST_F(ExtProcTest, ObserverMayRewriteChunks) {
  RequestSpec spec = chat("upper-response");
  spec.response = ResponseSpec{};
  spec.response->bodyChunks = {"abc", "def"};
  RequestResult result = client_->process(spec);
  EXPECT_THAT(result.violations, ::testing::IsEmpty());
  EXPECT_THAT(result.echoedResponseChunks, ::testing::ElementsAre("ABC", "DEF"));
}

TEST_F(ExtProcTest, ResponseHeadersWithEndOfStreamCompleteTheResponse) {
  RequestSpec spec = chat("{}");
  spec.response = ResponseSpec{};
  spec.response->status = 204;
  RequestResult result = client_->process(spec);
  EXPECT_THAT(result.violations, ::testing::IsEmpty());
  EXPECT_TRUE(result.responseHeadersReplied);
  EXPECT_TRUE(result.echoedResponseChunks.empty());
  auto log = pipeline_.observerLog(0);
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(log->mu);
    return log->completeCalls == 1;
  }));
  std::lock_guard lock(log->mu);
  EXPECT_TRUE(log->completed);
}

TEST_F(ExtProcTest, ResponseTrailersAreAnswered) {
  RequestSpec spec = chat("{}");
  spec.response = ResponseSpec{};
  spec.response->bodyChunks = {"{\"usage\":{}}"};
  spec.response->sendTrailers = true;
  spec.response->trailers = {{"grpc-status", "0"}};
  RequestResult result = client_->process(spec);
  EXPECT_THAT(result.violations, ::testing::IsEmpty());
  EXPECT_TRUE(result.responseTrailersReplied);
  auto log = pipeline_.observerLog(0);
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(log->mu);
    return log->completeCalls == 1;
  }));
  std::lock_guard lock(log->mu);
  EXPECT_TRUE(log->completed);
  EXPECT_THAT(log->chunkEos, ::testing::ElementsAre(false));
}

TEST_F(ExtProcTest, ResponsePathWorksWithoutObserver) {
  RequestSpec spec = chat("no-observer");
  spec.response = ResponseSpec{};
  spec.response->bodyChunks = {"x", "y"};
  RequestResult result = client_->process(spec);
  EXPECT_THAT(result.violations, ::testing::IsEmpty());
  EXPECT_TRUE(result.responseSetHeaders.empty());
  EXPECT_THAT(result.echoedResponseChunks, ::testing::ElementsAre("x", "y"));
}

TEST_F(ExtProcTest, ResponseOfHeadersOnlyRequest) {
  RequestSpec spec;
  spec.method = "GET";
  spec.headersOnly = true;
  spec.response = ResponseSpec{};
  spec.response->bodyChunks = {"{\"data\":[]}"};
  RequestResult result = client_->process(spec);
  EXPECT_THAT(result.violations, ::testing::IsEmpty());
  EXPECT_THAT(result.echoedResponseChunks, ::testing::ElementsAre("{\"data\":[]}"));
}

TEST_F(ExtProcTest, StreamEndBeforeResponseEndTellsObserverIncomplete) {
  RequestSpec spec = chat("{}");
  spec.response = ResponseSpec{};
  spec.response->bodyChunks = {"a", "b"};
  spec.response->sendTrailers = true;  // so no chunk carries end_of_stream...
  spec.response->trailers = {};
  auto stream = client_->open();
  ASSERT_TRUE(stream->send(EnvoyClient::requestHeadersMessage(spec)));
  ASSERT_TRUE(stream->send(EnvoyClient::requestBodyMessage("{}", true)));
  extproc_pb::ProcessingResponse reply;
  ASSERT_TRUE(stream->read(reply));
  ASSERT_TRUE(stream->read(reply));
  extproc_pb::ProcessingRequest chunk;
  chunk.mutable_response_body()->set_body("partial");
  ASSERT_TRUE(stream->send(chunk));
  ASSERT_TRUE(stream->read(reply));
  ASSERT_TRUE(reply.has_response_body());
  stream->cancel();  // ...and the client goes away mid-response
  while (stream->read(reply)) {
  }
  stream->finish();
  auto log = pipeline_.observerLog(0);
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(log->mu);
    return log->completeCalls == 1;
  }));
  std::lock_guard lock(log->mu);
  EXPECT_FALSE(log->completed);
  EXPECT_THAT(log->chunks, ::testing::ElementsAre("partial"));
}

}  // namespace
}  // namespace epp::testing
