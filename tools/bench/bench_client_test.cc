// eppd-bench's parsers: addresses, --run specs, OpenAI responses cut anywhere, Prometheus
// text.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tools/bench/response_scanner.h"
#include "tools/bench/targets.h"

namespace epp::bench {
namespace {

using ::testing::HasSubstr;

TEST(TargetsTest, HostPorts) {
  EXPECT_EQ(*parseHostPort("127.0.0.1:8000"), (HostPort{"127.0.0.1", 8000}));
  EXPECT_EQ(*parseHostPort("[::1]:9002"), (HostPort{"::1", 9002}));
  EXPECT_EQ(parseHostPort("[::1]:9002")->str(), "[::1]:9002");
  EXPECT_EQ(*parseHostPort("localhost:1"), (HostPort{"localhost", 1}));
  EXPECT_THAT(parseHostPort("127.0.0.1").error(), HasSubstr("is not HOST:PORT"));
  EXPECT_THAT(parseHostPort("h:0").error(), HasSubstr("port '0' is not 1-65535"));
  EXPECT_THAT(parseHostPort("h:65536").error(), HasSubstr("is not 1-65535"));
  EXPECT_THAT(parseHostPort("::1:80").error(), HasSubstr("in brackets"));
  EXPECT_THAT(parseHostPort("[::1]80").error(), HasSubstr("is not [IPV6]:PORT"));

  auto fleet = parseFleet("127.0.0.1:8001,127.0.0.1:8002");
  ASSERT_TRUE(fleet.ok());
  EXPECT_EQ(fleet->size(), 2u);
  EXPECT_THAT(parseFleet("a:1,a:1").error(), HasSubstr("a:1 is listed twice"));
  EXPECT_THAT(parseFleet("a:1,").error(), HasSubstr("--fleet: '' is not HOST:PORT"));
}

TEST(TargetsTest, RunSpecs) {
  auto eppd = parseRunTarget("name=default,target=127.0.0.1:9002");
  ASSERT_TRUE(eppd.ok()) << eppd.error();
  EXPECT_EQ(eppd->name, "default");
  EXPECT_FALSE(eppd->direct);
  EXPECT_EQ(eppd->target.port, 9002);
  auto rr = parseRunTarget("direct");
  ASSERT_TRUE(rr.ok());
  EXPECT_EQ(rr->name, "round-robin");
  EXPECT_TRUE(rr->direct);
  EXPECT_EQ(parseRunTarget("target=127.0.0.1:9002")->name, "eppd");
  EXPECT_THAT(parseRunTarget("name=x").error(), HasSubstr("exactly one of target="));
  EXPECT_THAT(parseRunTarget("name=x,direct,target=a:1").error(),
              HasSubstr("exactly one of target="));
  EXPECT_THAT(parseRunTarget("name=x,directly").error(),
              HasSubstr("'directly' is not name=NAME, target=HOST:PORT, pid=PID or direct"));
  EXPECT_THAT(parseRunTarget("name=,direct").error(), HasSubstr("name= is empty"));
  EXPECT_THAT(parseRunTarget("target=nope").error(), HasSubstr("target: 'nope'"));
  auto withPid = parseRunTarget("name=null,target=127.0.0.1:9102,pid=4242");
  ASSERT_TRUE(withPid.ok()) << withPid.error();
  EXPECT_EQ(withPid->pid, 4242);
  EXPECT_EQ(eppd->pid, 0);
  for (const char* bad : {"target=a:1,pid=", "target=a:1,pid=0", "target=a:1,pid=12x"}) {
    EXPECT_THAT(parseRunTarget(bad).error(), HasSubstr("pid= needs a process id")) << bad;
  }
}

const char kRole[] =
    "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n";
const char kToken[] = "data: {\"choices\":[{\"delta\":{\"content\":\"tok \"}}]}\n\n";
const char kFinish[] = "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"length\"}]}\n\n";
const char kUsage[] =
    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":120,\"completion_tokens\":3,"
    "\"prompt_tokens_details\":{\"cached_tokens\":96}}}\n\n";
const char kDone[] = "data: [DONE]\n\n";

TEST(ResponseScannerTest, FirstTokenAndUsageFromSseCutAnywhere) {
  std::string stream = std::string(kRole) + kToken + kToken + kToken + kFinish + kUsage + kDone;
  // Every cut position: the first token is seen exactly once, in the chunk holding the end
  // of its line.
  const size_t firstTokenLineEnd = std::string(kRole).size() + std::string(kToken).size() - 2;
  for (size_t cut = 1; cut < stream.size(); ++cut) {
    ResponseScanner scanner(true);
    bool firstInA = scanner.feed(std::string_view(stream).substr(0, cut));
    bool firstInB = scanner.feed(std::string_view(stream).substr(cut));
    EXPECT_FALSE(scanner.finish());
    EXPECT_NE(firstInA, firstInB) << cut;
    EXPECT_EQ(firstInA, cut > firstTokenLineEnd) << cut;
    EXPECT_EQ(scanner.contentEvents(), 3u) << cut;
    ASSERT_TRUE(scanner.usage()) << cut;
    EXPECT_EQ(scanner.usage()->promptTokens, 120u);
    EXPECT_EQ(scanner.usage()->completionTokens, 3u);
    EXPECT_EQ(scanner.usage()->cachedTokens, 96u);
  }
}

TEST(ResponseScannerTest, CompletionsTextAndMissingUsage) {
  ResponseScanner scanner(true);
  EXPECT_TRUE(scanner.feed("data: {\"choices\":[{\"text\":\"Once\"}]}\r\n\r\n"));
  EXPECT_FALSE(scanner.feed(
      "data: {\"choices\":[{\"text\": \" upon\"}]}\n\ndata: {\"choices\":[{\"text\":\"\"}]}\n\n"));
  EXPECT_FALSE(scanner.finish());
  EXPECT_TRUE(scanner.sawContent());
  EXPECT_EQ(scanner.contentEvents(), 2u);
  EXPECT_FALSE(scanner.usage());
}

TEST(ResponseScannerTest, JsonBodyAtTheEnd) {
  ResponseScanner scanner(false);
  EXPECT_FALSE(scanner.feed("{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"hi"));
  EXPECT_FALSE(scanner.feed("\"}}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1}}"));
  EXPECT_TRUE(scanner.finish());
  EXPECT_EQ(scanner.usage()->completionTokens, 1u);
  EXPECT_FALSE(scanner.usage()->cachedTokens);

  ResponseScanner error(false);
  error.feed("{\"error\":{\"message\":\"overloaded\"}}");
  EXPECT_FALSE(error.finish());
  EXPECT_FALSE(error.sawContent());
}

TEST(PrometheusTextTest, SumsEverySampleOfTheName) {
  const char* text =
      "# HELP vllm:prefix_cache_hits_total Prefix cache hits\n"
      "# TYPE vllm:prefix_cache_hits_total counter\n"
      "vllm:prefix_cache_hits_total{model_name=\"a\"} 120\n"
      "vllm:prefix_cache_hits_total{model_name=\"b\",engine=\"0\"} 30.5\n"
      "vllm:prefix_cache_hits_total_created{model_name=\"a\"} 1.7e9\n"
      "vllm:prefix_cache_queries_total 400 1700000000000\n";
  EXPECT_DOUBLE_EQ(*sumSamples(text, "vllm:prefix_cache_hits_total"), 150.5);
  EXPECT_DOUBLE_EQ(*sumSamples(text, "vllm:prefix_cache_queries_total"), 400);
  EXPECT_FALSE(sumSamples(text, "vllm:num_requests_waiting"));
}

}  // namespace
}  // namespace epp::bench
