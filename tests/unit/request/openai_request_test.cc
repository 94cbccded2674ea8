#include "host/request/openai_request.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace epp::request {
namespace {

TEST(ApiTypeTest, FromPathSuffix) {
  EXPECT_EQ(apiTypeForPath("/v1/chat/completions"), ApiType::kChatCompletions);
  EXPECT_EQ(apiTypeForPath("/v1/chat/completions?stream=1"), ApiType::kChatCompletions);
  EXPECT_EQ(apiTypeForPath("/v1/completions/"), ApiType::kCompletions);
  EXPECT_EQ(apiTypeForPath("/v1/responses"), ApiType::kResponses);
  EXPECT_EQ(apiTypeForPath("/v1/embeddings"), ApiType::kEmbeddings);
  EXPECT_EQ(apiTypeForPath(""), ApiType::kCompletions);
}

TEST(OpenAiRequestTest, ChatMessagesStringAndPartsContent) {
  auto r = parseOpenAiRequest(
      R"({"model":"llama","stream":true,"stream_options":{"include_usage":true},
          "messages":[{"role":"system","content":"You are terse."},
                      {"role":"user","content":[{"type":"text","text":"Hi"},
                                                {"type":"image_url","image_url":{"url":"x"}},
                                                {"type":"text","text":"there"}]}]})",
      ApiType::kChatCompletions);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->model, "llama");
  EXPECT_TRUE(r->stream);
  EXPECT_TRUE(r->includeUsage);
  EXPECT_EQ(r->prompt, "You are terse.\nHi\nthere");
}

TEST(OpenAiRequestTest, CompletionPromptStringOrArray) {
  auto one = parseOpenAiRequest(R"({"prompt":"Once upon","model":"m"})", ApiType::kCompletions);
  ASSERT_TRUE(one) << one.error();
  EXPECT_EQ(one->prompt, "Once upon");
  EXPECT_FALSE(one->stream);
  auto many = parseOpenAiRequest(R"({"model":"m","prompt":["a","b"],"max_tokens":5})",
                                 ApiType::kCompletions);
  ASSERT_TRUE(many) << many.error();
  EXPECT_EQ(many->prompt, "a\nb");
}

// The raw JSON of messages / prompt, as a model server's /tokenize takes it.
TEST(OpenAiRequestTest, PromptJsonIsTheValueAsWritten) {
  auto json = [](const std::string& body, ApiType api) {
    auto r = parseOpenAiRequest(body, api);
    EXPECT_TRUE(r) << r.error();
    return r ? body.substr(r->promptJsonOffset, r->promptJsonLength) : std::string("<error>");
  };
  const std::string messages =
      R"([{"role":"system","content":"be \"terse\""},{"role":"user","content":[{"type":"text","text":"Hi"}]}])";
  EXPECT_EQ(json(R"({"model":"m","messages":)" + messages + R"(,"max_tokens":3})",
                 ApiType::kChatCompletions),
            messages);
  EXPECT_EQ(
      json("{\"messages\" : " + messages + " \n ,\"model\":\"m\"}", ApiType::kChatCompletions),
      messages);
  EXPECT_EQ(json(R"({"model":"m","messages":)" + messages + "}", ApiType::kChatCompletions),
            messages);
  EXPECT_EQ(json(R"({"model":"m","prompt":"Once upon"})", ApiType::kCompletions), R"("Once upon")");
  EXPECT_EQ(json(R"({"prompt":[1, 2, 3] ,"model":"m"})", ApiType::kCompletions), "[1, 2, 3]");
  auto none = parseOpenAiRequest(R"({"model":"m"})", ApiType::kCompletions);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->promptJsonLength, 0u);
}

TEST(OpenAiRequestTest, PreTokenizedPromptGivesItsTokenIds) {
  auto ids = parseOpenAiRequest(R"({"model":"m","prompt":[101, 7, 0, 4294967295]})",
                                ApiType::kCompletions);
  ASSERT_TRUE(ids) << ids.error();
  EXPECT_THAT(ids->promptTokenIds, ::testing::ElementsAre(101u, 7u, 0u, 4294967295u));
  EXPECT_EQ(ids->prompt, "");
  // Not token ids: too large, negative, fractional, mixed with text, a batch of arrays.
  for (const char* body :
       {R"({"model":"m","prompt":[1, 4294967296]})", R"({"model":"m","prompt":[1, -2]})",
        R"({"model":"m","prompt":[1, 2.5]})", R"({"model":"m","prompt":[1, "a"]})",
        R"({"model":"m","prompt":[[1, 2], [3]]})"}) {
    auto r = parseOpenAiRequest(body, ApiType::kCompletions);
    ASSERT_TRUE(r) << body << ": " << r.error();
    EXPECT_TRUE(r->promptTokenIds.empty()) << body;
  }
  auto text = parseOpenAiRequest(R"({"model":"m","prompt":[1, "a"]})", ApiType::kCompletions);
  EXPECT_EQ(text->prompt, "a");
}

TEST(OpenAiRequestTest, EscapedStringsAreUnescaped) {
  auto r = parseOpenAiRequest(R"({"model":"m\u00e9","prompt":"line\nnext \"q\""})",
                              ApiType::kCompletions);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->model, "m\xc3\xa9");
  EXPECT_EQ(r->prompt, "line\nnext \"q\"");
}

TEST(OpenAiRequestTest, BadBodiesAreRejectedWithAReason) {
  struct Case {
    const char* body;
    const char* error;
  } cases[] = {
      {"", "body is not valid JSON"},
      {"not json", "body is not valid JSON"},
      {R"({"model":"m", "prompt": )", "body is not valid JSON"},
      {R"(["model","m"])", "body is not a JSON object"},
      {R"({"prompt":"x"})", "model is required"},
      {R"({"model":"","prompt":"x"})", "model is required"},
      {R"({"model":7})", "model must be a string"},
      {R"({"model":"m"} {"x":1})", "body is not valid JSON"},
  };
  for (const auto& c : cases) {
    auto r = parseOpenAiRequest(c.body, ApiType::kCompletions);
    ASSERT_FALSE(r) << c.body;
    EXPECT_NE(r.error().find(c.error), std::string::npos) << c.body << " -> " << r.error();
  }
}

TEST(OpenAiRequestTest, LongPromptIsKeptWhole) {
  std::string prompt(300 * 1024, 'x');
  auto r =
      parseOpenAiRequest(R"({"model":"m","prompt":")" + prompt + R"("})", ApiType::kCompletions);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->prompt.size(), prompt.size());
}

}  // namespace
}  // namespace epp::request
