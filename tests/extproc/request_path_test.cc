// The request path over a real socket: routing reply, body chunking, trailers, request ids,
// subset hints, as Envoy sees them in FULL_DUPLEX_STREAMED mode.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "host/extproc/headers.h"
#include "tests/extproc/extproc_fixture.h"

namespace epp::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

const char* kChat =
    R"({"model":"llama-3-8b","messages":[{"role":"user","content":"hello"}],"stream":false})";

std::string bigBody(size_t size) {
  // Every byte value, in a pattern that does not repeat at chunk boundaries.
  std::string body(size, '\0');
  for (size_t i = 0; i < size; ++i) body[i] = static_cast<char>((i * 7919 + i / 251) & 0xFF);
  return body;
}

TEST_F(ExtProcTest, RoutesChatRequest) {
  RequestResult result = client_->process(chat(kChat));

  EXPECT_THAT(result.violations, ::testing::IsEmpty());
  EXPECT_TRUE(result.status.ok()) << result.status.error_message();
  ASSERT_TRUE(result.routed);
  EXPECT_FALSE(result.immediate);
  EXPECT_EQ(result.destination, "10.0.0.1:8000");
  EXPECT_EQ(result.metadataDestination, "10.0.0.1:8000");
  EXPECT_TRUE(result.clearRouteCache);
  ASSERT_FALSE(result.setHeaders.empty());
  EXPECT_EQ(result.setHeaders.front().first, "x-gateway-destination-endpoint");
  EXPECT_EQ(result.upstreamBody, kChat);
  EXPECT_EQ(result.bodyChunks, 1u);
  ASSERT_NE(result.setHeader("content-length"), nullptr);
  EXPECT_EQ(*result.setHeader("content-length"), std::to_string(std::string(kChat).size()));

  auto inputs = pipeline_.inputs();
  ASSERT_EQ(inputs.size(), 1u);
  EXPECT_EQ(inputs[0].body, kChat);
  EXPECT_FALSE(inputs[0].headersOnly);
  EXPECT_FALSE(inputs[0].hasSubsetHint);
  EXPECT_GT(inputs[0].receivedNs, 0);
  ASSERT_NE(extproc::findHeader(inputs[0].headers, ":path"), nullptr);
  EXPECT_EQ(*extproc::findHeader(inputs[0].headers, ":path"), "/v1/chat/completions");
  EXPECT_EQ(*extproc::findHeader(inputs[0].headers, ":method"), "POST");
  EXPECT_EQ(*extproc::findHeader(inputs[0].headers, "content-type"), "application/json");
}

TEST_F(ExtProcTest, LargeBodyInEnvoyChunksIsResentInBoundedChunks) {
  const std::string body = bigBody(300 * 1024);
  for (const char* script : {"", "delay=20"}) {  // inline and cross-thread decisions
    RequestSpec spec = chat(std::string(script) + body);
    spec.chunkBytes = 64 * 1024;
    RequestResult result = client_->process(spec);
    EXPECT_THAT(result.violations, ::testing::IsEmpty());
    ASSERT_TRUE(result.routed);
    EXPECT_EQ(result.upstreamBody.size(), spec.body.size());
    EXPECT_TRUE(result.upstreamBody == spec.body) << "body differs";
    EXPECT_LE(result.maxChunkBytes, 62000u);
    EXPECT_EQ(result.maxChunkBytes, 62000u);
    EXPECT_EQ(result.bodyChunks, (spec.body.size() + 61999) / 62000);
  }
  auto inputs = pipeline_.inputs();
  ASSERT_EQ(inputs.size(), 2u);
  EXPECT_EQ(inputs[0].body, body);
}

TEST_F(ExtProcTest, EmptyBodyPostGetsOneEmptyEndOfStreamChunk) {
  RequestResult result = client_->process(chat(""));
  EXPECT_THAT(result.violations, ::testing::IsEmpty());
  ASSERT_TRUE(result.routed);
  EXPECT_EQ(result.bodyChunks, 1u);
  EXPECT_EQ(result.upstreamBody, "");
  EXPECT_EQ(result.setHeader("content-length"), nullptr);
  ASSERT_EQ(pipeline_.inputs().size(), 1u);
  EXPECT_FALSE(pipeline_.inputs()[0].headersOnly);
}

TEST_F(ExtProcTest, HeadersOnlyGetIsAnsweredWithoutBodyMessages) {
  RequestSpec spec;
  spec.method = "GET";
  spec.path = "/v1/models";
  spec.headersOnly = true;
  spec.headers = {{"x-script", "dest=10.0.0.9:8000"}};
  RequestResult result = client_->process(spec);
  EXPECT_THAT(result.violations, ::testing::IsEmpty());
  ASSERT_TRUE(result.routed);
  EXPECT_EQ(result.destination, "10.0.0.9:8000");
  EXPECT_EQ(result.bodyChunks, 0u);
  EXPECT_EQ(result.messagesReceived, 1u);
  EXPECT_EQ(result.setHeader("content-length"), nullptr);
  ASSERT_EQ(pipeline_.inputs().size(), 1u);
  EXPECT_TRUE(pipeline_.inputs()[0].headersOnly);
  EXPECT_EQ(pipeline_.inputs()[0].body, "");
}

TEST_F(ExtProcTest, HeadersOnlyRequestIsAnsweredBeforeTheClientHalfCloses) {
  // Envoy keeps the stream open for the response path: the reply must not wait for more.
  auto stream = client_->open();
  RequestSpec spec;
  spec.method = "GET";
  spec.headersOnly = true;
  ASSERT_TRUE(stream->send(EnvoyClient::requestHeadersMessage(spec)));
  extproc_pb::ProcessingResponse reply;
  ASSERT_TRUE(stream->read(reply));
  EXPECT_TRUE(reply.has_request_headers());
  stream->writesDone();
  EXPECT_FALSE(stream->read(reply));
  EXPECT_TRUE(stream->finish().ok());
}

TEST_F(ExtProcTest, TrailersAreAnsweredAfterTheBody) {
  RequestSpec spec = chat(bigBody(100000));
  spec.chunkBytes = 30000;
  spec.sendTrailers = true;
  spec.trailers = {{"x-trailer", "t1"}};
  RequestResult result = client_->process(spec);
  EXPECT_THAT(result.violations, ::testing::IsEmpty());  // includes: no EOS before trailers
  ASSERT_TRUE(result.routed);
  EXPECT_TRUE(result.trailersReplied);
  EXPECT_TRUE(result.upstreamBody == spec.body);
  EXPECT_EQ(result.bodyChunks, 2u);
  ASSERT_EQ(pipeline_.inputs().size(), 1u);
  EXPECT_THAT(pipeline_.inputs()[0].trailers, ElementsAre(Pair("x-trailer", "t1")));
}

TEST_F(ExtProcTest, TrailersWithoutBodyStillCloseTheBody) {
  RequestSpec spec = chat("");
  spec.sendTrailers = true;
  RequestResult result = client_->process(spec);
  EXPECT_THAT(result.violations, ::testing::IsEmpty());
  ASSERT_TRUE(result.routed);
  EXPECT_TRUE(result.trailersReplied);
  EXPECT_EQ(result.bodyChunks, 1u);  // one empty chunk, end_of_stream false
}

TEST_F(ExtProcTest, GeneratesRequestIdWhenAbsent) {
  RequestResult result = client_->process(chat(kChat));
  ASSERT_TRUE(result.routed);
  const std::string* id = result.setHeader("x-request-id");
  ASSERT_NE(id, nullptr);
  EXPECT_TRUE(std::regex_match(
      *id, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
      << *id;
  auto inputs = pipeline_.inputs();
  ASSERT_EQ(inputs.size(), 1u);
  EXPECT_EQ(inputs[0].requestId, *id);
  ASSERT_NE(extproc::findHeader(inputs[0].headers, "x-request-id"), nullptr);
  EXPECT_EQ(*extproc::findHeader(inputs[0].headers, "x-request-id"), *id);
  // The order the brief fixes: destination, pipeline headers, then the generated id.
  EXPECT_EQ(result.setHeaders.front().first, "x-gateway-destination-endpoint");
}

TEST_F(ExtProcTest, PreservesGivenRequestId) {
  RequestSpec spec = chat(kChat);
  spec.headers.emplace_back("x-request-id", "req-42");
  RequestResult result = client_->process(spec);
  ASSERT_TRUE(result.routed);
  EXPECT_EQ(result.setHeader("x-request-id"), nullptr);
  ASSERT_EQ(pipeline_.inputs().size(), 1u);
  EXPECT_EQ(pipeline_.inputs()[0].requestId, "req-42");
}

TEST_F(ExtProcTest, ReplacesEmptyRequestId) {
  RequestSpec spec = chat(kChat);
  spec.headers.emplace_back("x-request-id", "");
  RequestResult result = client_->process(spec);
  ASSERT_TRUE(result.routed);
  ASSERT_NE(result.setHeader("x-request-id"), nullptr);
  EXPECT_EQ(result.setHeader("x-request-id")->size(), 36u);
  auto inputs = pipeline_.inputs();
  ASSERT_EQ(inputs.size(), 1u);
  EXPECT_EQ(*extproc::findHeader(inputs[0].headers, "x-request-id"), inputs[0].requestId);
}

TEST_F(ExtProcTest, PassesSubsetHintList) {
  RequestSpec spec = chat(kChat);
  spec.subsetHint = std::vector<std::string>{"10.0.0.1:8000", "10.0.0.2:8000"};
  RequestResult result = client_->process(spec);
  ASSERT_TRUE(result.routed);
  auto inputs = pipeline_.inputs();
  ASSERT_EQ(inputs.size(), 1u);
  EXPECT_TRUE(inputs[0].hasSubsetHint);
  EXPECT_THAT(inputs[0].subsetHint, ElementsAre("10.0.0.1:8000", "10.0.0.2:8000"));
}

TEST_F(ExtProcTest, PassesEmptySubsetHintAsPresent) {
  RequestSpec spec = chat(kChat);
  spec.subsetHint = std::vector<std::string>{};
  client_->process(spec);
  auto inputs = pipeline_.inputs();
  ASSERT_EQ(inputs.size(), 1u);
  EXPECT_TRUE(inputs[0].hasSubsetHint);
  EXPECT_TRUE(inputs[0].subsetHint.empty());
}

TEST_F(ExtProcTest, AcceptsSubsetHintAsOneString) {
  RequestSpec spec;
  spec.method = "GET";
  spec.headersOnly = true;
  spec.subsetHint = std::vector<std::string>{"10.0.0.3:8000", "10.0.0.4:8000"};
  spec.subsetHintAsString = true;
  client_->process(spec);
  auto inputs = pipeline_.inputs();
  ASSERT_EQ(inputs.size(), 1u);
  EXPECT_TRUE(inputs[0].hasSubsetHint);
  EXPECT_THAT(inputs[0].subsetHint, ElementsAre("10.0.0.3:8000", "10.0.0.4:8000"));
}

TEST_F(ExtProcTest, ReplacedBodyAndPipelineHeadersGoUpstream) {
  const std::string body = "replace-body set-header " + bigBody(70000);
  RequestResult result = client_->process(chat(body));
  EXPECT_THAT(result.violations, ::testing::IsEmpty());
  ASSERT_TRUE(result.routed);
  EXPECT_TRUE(result.upstreamBody == "REPLACED:" + body);
  EXPECT_EQ(result.bodyChunks, 2u);
  ASSERT_NE(result.setHeader("x-test-header"), nullptr);
  EXPECT_EQ(*result.setHeader("x-test-header"), "yes");
  EXPECT_EQ(*result.setHeader("content-length"), std::to_string(body.size() + 9));
  // destination, then the pipeline's headers, then the transport's own.
  ASSERT_GE(result.setHeaders.size(), 3u);
  EXPECT_EQ(result.setHeaders[0].first, "x-gateway-destination-endpoint");
  EXPECT_EQ(result.setHeaders[1].first, "x-test-header");
}

TEST_F(ExtProcTest, CommaListDestinationIsSentAsIs) {
  RequestResult result = client_->process(chat("dest=10.0.0.1:8000,10.0.0.2:8000"));
  ASSERT_TRUE(result.routed);
  EXPECT_EQ(result.destination, "10.0.0.1:8000,10.0.0.2:8000");
  EXPECT_EQ(result.metadataDestination, result.destination);
}

TEST_F(ExtProcTest, PluginSetDestinationReplacesThePickEverywhere) {
  RequestResult result =
      client_->process(chat("dest=10.0.0.1:8001 plugin-destination=10.0.0.1:8000 set-header"));
  EXPECT_THAT(result.violations, ::testing::IsEmpty());
  ASSERT_TRUE(result.routed);
  EXPECT_EQ(result.destination, "10.0.0.1:8000");
  EXPECT_EQ(result.metadataDestination, "10.0.0.1:8000");
  size_t destinationHeaders = 0;
  for (const auto& [key, value] : result.setHeaders) {
    destinationHeaders += key == "x-gateway-destination-endpoint";
  }
  EXPECT_EQ(destinationHeaders, 1u);
  ASSERT_NE(result.setHeader("x-test-header"), nullptr);
}

TEST_F(ExtProcTest, ManyConcurrentStreams) {
  constexpr int kThreads = 16;
  constexpr int kPerThread = 25;
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string dest = "10.0." + std::to_string(t) + "." + std::to_string(i) + ":80";
        std::string body = "dest=" + dest + (i % 3 == 0 ? " delay=3 " : " ") + bigBody(i * 997);
        RequestSpec spec = chat(body);
        spec.chunkBytes = 16 * 1024;
        if (i % 4 == 0) {
          spec.response = ResponseSpec{};
          spec.response->bodyChunks = {"data: a\n\n", "data: b\n\n"};
          spec.response->lockstep = i % 8 == 0;
        }
        RequestResult result = client_->process(spec);
        if (result.violations.empty() && result.routed && result.destination == dest &&
            result.upstreamBody == body &&
            (!spec.response || result.echoedResponseChunks.size() == 2)) {
          ++good;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(good.load(), kThreads * kPerThread);
  EXPECT_TRUE(eventually([&] { return server_->service().liveStreams() == 0; }));
}

}  // namespace
}  // namespace epp::testing
