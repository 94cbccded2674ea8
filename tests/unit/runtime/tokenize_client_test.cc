// TokenizeClient against a real HTTP server: the ids of a 200 answer, each failure with its
// outcome (status, body, timeout, connect), a kept-alive connection reused; and the body
// it posts, which a vLLM /tokenize accepts.
#include "host/runtime/tokenize_client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <nlohmann/json.hpp>

#include "tests/support/metrics_http_server.h"

namespace epp::runtime {
namespace {

using testing::MetricsHttpServer;

class TokenizeClientTest : public ::testing::Test {
 protected:
  TokenizeResult call(int port, int64_t timeoutNs = 1'000'000'000) {
    TokenizeCall c;
    c.host = "127.0.0.1";
    c.port = static_cast<uint16_t>(port);
    c.body = R"({"model":"m","prompt":"hello"})";
    c.timeoutNs = timeoutNs;
    std::promise<TokenizeResult> result;
    client_.tokenize(std::move(c), [&](TokenizeResult r) { result.set_value(std::move(r)); });
    return result.get_future().get();
  }
  void reply(int status, std::string body,
             std::chrono::milliseconds delay = std::chrono::milliseconds(0)) {
    server_.set("/tokenize", {status, std::move(body), "application/json", delay});
  }

  MetricsHttpServer server_;
  TokenizeClient client_;
};

TEST_F(TokenizeClientTest, IdsOfA200AndTheConnectionIsReused) {
  reply(200, R"({"count":3,"max_model_len":4096,"tokens":[101,7,4294967295]})");
  TokenizeResult r = call(server_.port());
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.ids, (std::vector<uint32_t>{101, 7, 4294967295u}));
  ASSERT_TRUE(call(server_.port()).ok());
  EXPECT_EQ(server_.hits("/tokenize"), 2);
  EXPECT_EQ(server_.connections(), 1);
}

TEST_F(TokenizeClientTest, FailuresSayWhat) {
  reply(404, R"({"detail":"Not Found"})");
  TokenizeResult notFound = call(server_.port());
  EXPECT_EQ(notFound.errorKind, "status");
  EXPECT_NE(notFound.error.find("HTTP 404"), std::string::npos) << notFound.error;

  reply(200, R"({"count":1,"tokens":[-1]})");
  EXPECT_EQ(call(server_.port()).errorKind, "body");
  reply(200, R"({"count":1})");
  TokenizeResult noTokens = call(server_.port());
  EXPECT_EQ(noTokens.errorKind, "body");
  EXPECT_NE(noTokens.error.find("no \"tokens\" array"), std::string::npos);

  // The answer would come after 2 s: "timeout" (not ok) says the 50 ms deadline ended the
  // call first.
  reply(200, R"({"tokens":[1]})", std::chrono::milliseconds(2000));
  TokenizeResult late = call(server_.port(), 50'000'000);
  EXPECT_EQ(late.errorKind, "timeout") << late.error;

  int closedPort = 0;
  {
    MetricsHttpServer gone;
    closedPort = gone.port();
  }
  EXPECT_EQ(call(closedPort).errorKind, "connect");
}

TEST(TokenizeBodyTest, ChatAndCompletionShapes) {
  using nlohmann::json;
  json chat = json::parse(tokenizeBody("llama \"3\"", R"([{"role":"user","content":"hi"}])", true));
  EXPECT_EQ(chat, json::parse(R"({"model":"llama \"3\"","messages":[{"role":"user","content":"hi"}],
                                  "add_generation_prompt":true})"));
  json completion = json::parse(tokenizeBody("m", R"("Once upon")", false));
  EXPECT_EQ(completion, json::parse(R"({"model":"m","prompt":"Once upon"})"));
}

TEST(TokenizeBodyTest, ResponseParsing) {
  auto ok = parseTokenizeResponse(R"({"tokens":[], "count":0})");
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok->empty());
  EXPECT_FALSE(parseTokenizeResponse("not json"));
  EXPECT_FALSE(parseTokenizeResponse(R"({"tokens":[4294967296]})"));
  EXPECT_FALSE(parseTokenizeResponse(R"({"tokens":"1 2"})"));
}

}  // namespace
}  // namespace epp::runtime
