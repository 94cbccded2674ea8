#include "host/request/usage_parser.h"

#include <gtest/gtest.h>

namespace epp::request {
namespace {

TEST(UsageParserTest, JsonBodySplitAcrossChunks) {
  UsageParser p(false);
  std::string body = R"({"id":"x","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":34,)"
                     R"("total_tokens":46,"prompt_tokens_details":{"cached_tokens":8}}})";
  p.feed(body.substr(0, 20), false);
  p.feed(body.substr(20, 30), false);
  EXPECT_FALSE(p.usage().found());
  p.feed(body.substr(50), true);
  EXPECT_EQ(p.usage().promptTokens, 12);
  EXPECT_EQ(p.usage().completionTokens, 34);
  EXPECT_EQ(p.usage().totalTokens, 46);
  EXPECT_EQ(p.usage().cachedPromptTokens, 8);
}

TEST(UsageParserTest, SseUsageInFinalEventSplitMidLine) {
  UsageParser p(true);
  std::string stream =
      "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n"
      "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,"
      "\"total_tokens\":7}}\n\n"
      "data: [DONE]\n\n";
  size_t cut = stream.find("completion_tokens");
  p.feed(stream.substr(0, cut), false);
  EXPECT_FALSE(p.usage().found());
  p.feed(stream.substr(cut), true);
  EXPECT_EQ(p.usage().promptTokens, 5);
  EXPECT_EQ(p.usage().completionTokens, 2);
  EXPECT_EQ(p.usage().totalTokens, 7);
}

TEST(UsageParserTest, ResponsesApiCompletedEvent) {
  UsageParser p(true);
  p.feed(
      "event: response.completed\r\ndata: {\"type\":\"response.completed\",\"response\":"
      "{\"usage\":{\"input_tokens\":9,\"output_tokens\":3}}}\r\n\r\n",
      true);
  EXPECT_EQ(p.usage().promptTokens, 9);
  EXPECT_EQ(p.usage().completionTokens, 3);
}

TEST(UsageParserTest, NoUsageAndGarbageLeaveUnknown) {
  UsageParser sse(true);
  sse.feed("data: {not json usage}\n\ndata: [DONE]\n\n", true);
  EXPECT_FALSE(sse.usage().found());
  UsageParser json(false);
  json.feed("{\"usage\": 5}", true);
  EXPECT_FALSE(json.usage().found());
}

}  // namespace
}  // namespace epp::request
