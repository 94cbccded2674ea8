// The byte edits of a model rewrite: the request body splice and the streaming rewrite
// back in responses, whatever the chunk boundaries.
#include "host/routing/model_rewrite.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "host/request/openai_request.h"

namespace epp::routing {
namespace {

// Feeds `whole` cut at every `step` bytes; returns what comes out, concatenated.
std::string stream(ModelNameRewriter& r, const std::string& whole, size_t step) {
  std::string out;
  for (size_t at = 0; at < whole.size(); at += step) {
    std::string chunk = whole.substr(at, step);
    r.rewrite(chunk, at + step >= whole.size());
    out += chunk;
  }
  return out;
}

TEST(JsonStringTest, Escapes) {
  EXPECT_EQ(jsonString("llama"), "\"llama\"");
  EXPECT_EQ(jsonString("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000a\"");
}

TEST(ReplaceModelValueTest, SplicesTheParsedTokenOnly) {
  const std::string body =
      R"({"prompt":"say \"model\": \"llama\"", "model" :  "llama"  , "max_tokens":5})";
  auto parsed = request::parseOpenAiRequest(body, request::ApiType::kCompletions);
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(body.substr(parsed->modelOffset, parsed->modelLength), "\"llama\"");
  EXPECT_EQ(replaceModelValue(body, parsed->modelOffset, parsed->modelLength, "llama-v2"),
            R"({"prompt":"say \"model\": \"llama\"", "model" :  "llama-v2"  , "max_tokens":5})");
}

TEST(ReplaceModelValueTest, EscapedModelNamesRoundTrip) {
  const std::string body = R"({"model":"a\u002fb","prompt":"x"})";
  auto parsed = request::parseOpenAiRequest(body, request::ApiType::kCompletions);
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->model, "a/b");
  std::string out = replaceModelValue(body, parsed->modelOffset, parsed->modelLength, "x\"y");
  EXPECT_EQ(out, R"({"model":"x\"y","prompt":"x"})");
  auto again = request::parseOpenAiRequest(out, request::ApiType::kCompletions);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->model, "x\"y");
}

TEST(ModelNameRewriterTest, JsonBodyInOneChunk) {
  ModelNameRewriter r("llama-v2", "llama");
  std::string body = R"({"id":"c1","model":"llama-v2","choices":[{"text":"model llama-v2"}]})";
  r.rewrite(body, true);
  EXPECT_EQ(body, R"({"id":"c1","model":"llama","choices":[{"text":"model llama-v2"}]})");
  EXPECT_EQ(r.rewritten(), 1u);
}

TEST(ModelNameRewriterTest, WhitespaceAroundTheColonIsKept) {
  ModelNameRewriter r("t", "orig");
  std::string body = "{\"model\" : \"t\", \"x\":{\"model\":\n  \"t\"}}";
  r.rewrite(body, true);
  EXPECT_EQ(body, "{\"model\" : \"orig\", \"x\":{\"model\":\n  \"orig\"}}");
}

TEST(ModelNameRewriterTest, OtherModelsAndPrefixesAreLeftAlone) {
  ModelNameRewriter r("llama", "client");
  std::string body = R"({"model":"llama-v2","m":{"model":"llam"},"model":"llama"})";
  r.rewrite(body, true);
  EXPECT_EQ(body, R"({"model":"llama-v2","m":{"model":"llam"},"model":"client"})");
}

TEST(ModelNameRewriterTest, SseSplitAnywhere) {
  std::string sse;
  for (int i = 0; i < 5; ++i) {
    sse += R"(data: {"id":"c","object":"chat.completion.chunk","model":"llama2-7b-v2",)"
           R"("choices":[{"index":0,"delta":{"content":"tok)" +
           std::to_string(i) + R"("}}]})" + "\n\n";
  }
  sse += "data: [DONE]\n\n";
  std::string expected = sse;
  for (size_t at; (at = expected.find("llama2-7b-v2")) != std::string::npos;) {
    expected.replace(at, 12, "Llama2");
  }
  // Every cut: each split of `"model":"llama2-7b-v2"` across two or more chunks.
  for (size_t step = 1; step <= sse.size(); ++step) {
    ModelNameRewriter r("llama2-7b-v2", "Llama2");
    ASSERT_EQ(stream(r, sse, step), expected) << "chunks of " << step;
    EXPECT_EQ(r.rewritten(), 5u);
    EXPECT_EQ(r.heldBytes(), 0u);
  }
}

TEST(ModelNameRewriterTest, HoldsBackOnlyAPossibleMatch) {
  ModelNameRewriter r("target", "orig");
  std::string a = R"(data: {"id":"x","mod)";
  r.rewrite(a, false);
  EXPECT_EQ(a, R"(data: {"id":"x",)");  // `"mod` may be the start of the pattern
  EXPECT_EQ(r.heldBytes(), 4u);
  std::string b = R"(el":"target"}

)";
  r.rewrite(b, false);
  EXPECT_EQ(b, "\"model\":\"orig\"}\n\n");
  EXPECT_EQ(r.heldBytes(), 0u);
  std::string c = R"(data: {"text":"no quotes held)";
  r.rewrite(c, false);
  EXPECT_EQ(c, R"(data: {"text":"no quotes held)");
  EXPECT_EQ(r.heldBytes(), 0u);
}

TEST(ModelNameRewriterTest, TheLastChunkIsNeverHeld) {
  ModelNameRewriter r("target", "orig");
  std::string a = R"({"x":1,"model":"tar)";
  r.rewrite(a, false);
  std::string b = "";
  r.rewrite(b, true);
  EXPECT_EQ(a + b, R"({"x":1,"model":"tar)");
}

}  // namespace
}  // namespace epp::routing
