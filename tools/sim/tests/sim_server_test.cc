// eppd-sim's HTTP server in-process on free ports, over real sockets: response shapes
// and usage numbers, SSE streams, /metrics values against the engine's state in every
// dialect, errors, and each fault flag.
#include "tools/sim/sim_server.h"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tools/sim/openai_api.h"
#include "tools/sim/tests/http_client.h"

namespace epp::sim {
namespace {

using json = nlohmann::json;
using testing::httpCall;
using testing::HttpResult;
using testing::parseSamples;
using testing::sampleValue;
using testing::sseData;

// Fast by default: a step costs 1 ms of model time, run 100x faster than real time.
ServerOptions fastOptions() {
  ServerOptions o;
  o.port = 0;
  o.model = "m";
  o.timeScale = 100;
  o.defaultMaxTokens = 4;
  o.engine.numBlocks = 100;
  o.engine.maxModelLen = 1000;
  o.engine.decodeBaseUs = 1'000;
  o.engine.decodePerSeqUs = 0;
  o.engine.prefillOverheadUs = 0;
  o.engine.prefillPerTokenUs = 1;
  return o;
}

// Slow: one request holds the only slot for seconds, so queues can be observed.
ServerOptions slowOptions() {
  ServerOptions o = fastOptions();
  o.timeScale = 1;
  o.engine.maxNumSeqs = 1;
  o.engine.decodeBaseUs = 200'000;
  return o;
}

std::unique_ptr<SimServer> start(const ServerOptions& o) {
  auto server = SimServer::start(o);
  EXPECT_TRUE(server) << (server ? "" : server.error());
  return server ? std::move(*server) : nullptr;
}

std::string chatBody(const std::string& model, const std::string& content,
                     std::optional<int> maxTokens, bool stream = false) {
  json body{{"model", model}, {"messages", {{{"role", "user"}, {"content", content}}}}};
  if (maxTokens) body["max_tokens"] = *maxTokens;
  if (stream) {
    body["stream"] = true;
    body["stream_options"] = {{"include_usage", true}};
  }
  return body.dump();
}

// Polls `check` until it is true or `seconds` pass.
bool eventually(const std::function<bool()>& check, double seconds = 5) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (check()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return check();
}

std::vector<testing::Sample> scrape(int port, const std::string& path = "/metrics") {
  return parseSamples(httpCall(port, "GET", path).body);
}

TEST(SimServer, ChatJsonCarriesUsageOfPromptAndOutput) {
  auto server = start(fastOptions());
  ASSERT_TRUE(server);
  HttpResult r = httpCall(server->port(), "POST", "/v1/chat/completions",
                          chatBody("m", std::string(400, 'x'), 7), {{"x-request-id", "abc"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["content-type"], "application/json");
  EXPECT_EQ(r.headers["x-request-id"], "abc");
  json j = json::parse(r.body);
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["model"], "m");
  EXPECT_EQ(j["id"].get<std::string>().rfind("chatcmpl-", 0), 0u);
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(j["choices"][0]["message"]["role"], "assistant");
  std::string expected;
  for (int i = 0; i < 7; ++i) expected += tokenText(i);
  EXPECT_EQ(j["choices"][0]["message"]["content"], expected);
  EXPECT_EQ(j["usage"]["prompt_tokens"], 100);  // 400 characters / 4
  EXPECT_EQ(j["usage"]["completion_tokens"], 7);
  EXPECT_EQ(j["usage"]["total_tokens"], 107);
  EXPECT_EQ(j["usage"]["prompt_tokens_details"]["cached_tokens"], 0);
}

TEST(SimServer, SseStreamsOneEventPerTokenThenUsageAndDone) {
  auto server = start(fastOptions());
  ASSERT_TRUE(server);
  const std::string body = json{{"model", "m"},
                                {"prompt", std::string(1000, 'p')},  // 250 tokens
                                {"max_tokens", 5},
                                {"stream", true},
                                {"stream_options", {{"include_usage", true}}}}
                               .dump();
  HttpResult r = httpCall(server->port(), "POST", "/v1/completions", body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["content-type"], "text/event-stream; charset=utf-8");
  EXPECT_EQ(r.headers["transfer-encoding"], "chunked");
  auto events = sseData(r.body);
  ASSERT_EQ(events.size(), 8u);  // 5 tokens, the finish, the usage, [DONE]
  for (int i = 0; i < 5; ++i) {
    json e = json::parse(events[static_cast<size_t>(i)]);
    EXPECT_EQ(e["object"], "text_completion");
    EXPECT_EQ(e["choices"][0]["text"], tokenText(i));
    EXPECT_TRUE(e["choices"][0]["finish_reason"].is_null());
  }
  EXPECT_EQ(json::parse(events[5])["choices"][0]["finish_reason"], "length");
  json usage = json::parse(events[6]);
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"]["prompt_tokens"], 250);
  EXPECT_EQ(usage["usage"]["completion_tokens"], 5);
  EXPECT_EQ(usage["usage"]["prompt_tokens_details"]["cached_tokens"], 0);
  EXPECT_EQ(events[7], "[DONE]");

  // The same prompt again hits the prefix cache: 15 whole blocks of 16 tokens.
  r = httpCall(server->port(), "POST", "/v1/completions", body);
  events = sseData(r.body);
  ASSERT_EQ(events.size(), 8u);
  EXPECT_EQ(json::parse(events[6])["usage"]["prompt_tokens_details"]["cached_tokens"], 240);

  // Chat: a role event first; no max_tokens: the default length, finishing with "stop".
  r = httpCall(
      server->port(), "POST", "/v1/chat/completions",
      json{{"model", "m"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}, {"stream", true}}
          .dump());
  events = sseData(r.body);
  ASSERT_EQ(events.size(), 7u);  // role, 4 tokens, finish, [DONE]; no usage asked
  json role = json::parse(events[0]);
  EXPECT_EQ(role["object"], "chat.completion.chunk");
  EXPECT_EQ(role["choices"][0]["delta"]["role"], "assistant");
  EXPECT_EQ(json::parse(events[1])["choices"][0]["delta"]["content"], tokenText(0));
  EXPECT_EQ(json::parse(events[5])["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(events[6], "[DONE]");
}

TEST(SimServer, MetricsFollowTheEngineUnderOverload) {
  auto server = start(slowOptions());
  ASSERT_TRUE(server);
  const int port = server->port();
  std::vector<std::thread> clients;
  std::vector<HttpResult> results(3);
  for (int i = 0; i < 3; ++i) {
    clients.emplace_back([&, i] {
      results[static_cast<size_t>(i)] = httpCall(port, "POST", "/v1/chat/completions",
                                                 chatBody("m", std::string(256, 'a' + i), 2));
    });
  }
  std::vector<testing::Sample> s;
  ASSERT_TRUE(eventually([&] {
    s = scrape(port);
    return sampleValue(s, "vllm:num_requests_waiting") == 2.0;
  }));
  EXPECT_EQ(sampleValue(s, "vllm:num_requests_running"), 1.0);
  EXPECT_EQ(sampleValue(s, "vllm:num_requests_waiting_by_reason", {{"reason", "capacity"}}), 2.0);
  // One 64-token prompt holds 4 of the 100 blocks (5 once its 65th token is computed).
  const double kv = *sampleValue(s, "vllm:kv_cache_usage_perc");
  EXPECT_TRUE(kv == 0.04 || kv == 0.05) << kv;
  for (auto& c : clients) c.join();
  for (auto& r : results) EXPECT_EQ(r.status, 200);
  s = scrape(port);
  EXPECT_EQ(sampleValue(s, "vllm:num_requests_waiting"), 0.0);
  EXPECT_EQ(sampleValue(s, "vllm:num_requests_running"), 0.0);
  EXPECT_EQ(sampleValue(s, "vllm:kv_cache_usage_perc"), 0.0);
  EXPECT_EQ(sampleValue(s, "vllm:request_success_total"), 3.0);
  EXPECT_EQ(sampleValue(s, "vllm:prefix_cache_queries_total"), 192.0);
  EXPECT_EQ(sampleValue(s, "vllm:generation_tokens_total"), 6.0);
  EXPECT_EQ(sampleValue(s, "vllm:time_to_first_token_seconds_count"), 3.0);
  // The last request queued behind two others of 2 steps each: TTFT ≥ 4 × 0.2 s.
  EXPECT_EQ(sampleValue(s, "vllm:time_to_first_token_seconds_bucket", {{"le", "0.75"}}), 2.0);
  EXPECT_EQ(sampleValue(s, "vllm:inter_token_latency_seconds_count"), 3.0);
  EXPECT_EQ(
      sampleValue(s, "vllm:cache_config_info", {{"block_size", "16"}, {"num_gpu_blocks", "100"}}),
      1.0);
}

TEST(SimServer, ErrorsHaveOpenAiShapesAndStatuses) {
  ServerOptions o = slowOptions();
  o.engine.maxWaiting = 1;
  auto server = start(o);
  ASSERT_TRUE(server);
  const int port = server->port();
  auto expectError = [&](const HttpResult& r, int status, const std::string& type,
                         const std::string& fragment) {
    ASSERT_EQ(r.status, status) << r.body;
    json j = json::parse(r.body);
    EXPECT_EQ(j["error"]["code"], status);
    EXPECT_EQ(j["error"]["type"], type);
    EXPECT_NE(j["error"]["message"].get<std::string>().find(fragment), std::string::npos)
        << j["error"]["message"];
  };
  expectError(httpCall(port, "POST", "/v1/chat/completions", "{not json"), 400, "BadRequestError",
              "not valid JSON");
  expectError(httpCall(port, "POST", "/v1/completions", R"({"prompt":"x"})"), 400,
              "BadRequestError", "model is required");
  expectError(httpCall(port, "POST", "/v1/completions", R"({"model":"nope","prompt":"x"})"), 404,
              "NotFoundError", "The model `nope` does not exist.");
  expectError(
      httpCall(port, "POST", "/v1/completions", R"({"model":"m","prompt":"x","max_tokens":0})"),
      400, "BadRequestError", "max_tokens must be at least 1");
  expectError(
      httpCall(port, "POST", "/v1/completions",
               json{{"model", "m"}, {"prompt", std::string(4000, 'x')}, {"max_tokens", 10}}.dump()),
      400, "BadRequestError", "maximum context length is 1000 tokens");
  EXPECT_EQ(httpCall(port, "GET", "/v1/chat/completions").status, 405);
  EXPECT_EQ(httpCall(port, "GET", "/nowhere").status, 404);

  // One running, one waiting (the queue limit), the next is refused with 429.
  std::vector<std::thread> clients;
  for (int i = 0; i < 2; ++i) {
    clients.emplace_back([&, i] {
      httpCall(port, "POST", "/v1/completions",
               json{{"model", "m"}, {"prompt", std::to_string(i)}, {"max_tokens", 2}}.dump());
    });
  }
  ASSERT_TRUE(
      eventually([&] { return sampleValue(scrape(port), "vllm:num_requests_waiting") == 1.0; }));
  expectError(httpCall(port, "POST", "/v1/completions", R"({"model":"m","prompt":"x"})"), 429,
              "TooManyRequestsError", "waiting queue is full");
  for (auto& c : clients) c.join();
}

struct DialectCase {
  Dialect dialect;
  std::string path;
  std::string waiting;
  std::map<std::string, std::string> waitingLabels;
  std::string running;
  std::map<std::string, std::string> runningLabels;
  std::string kv;  // empty: the dialect has no KV utilisation metric
  std::map<std::string, std::string> kvLabels;
};

class SimServerDialect : public ::testing::TestWithParam<DialectCase> {};

TEST_P(SimServerDialect, QueueRunningAndKvValuesUnderTheirOwnNames) {
  const DialectCase& c = GetParam();
  ServerOptions o = slowOptions();
  o.dialect = c.dialect;
  auto server = start(o);
  ASSERT_TRUE(server);
  const int port = server->port();
  std::vector<testing::Sample> s = scrape(port, c.path);
  EXPECT_EQ(sampleValue(s, c.waiting, c.waitingLabels), 0.0);
  EXPECT_EQ(sampleValue(s, c.running, c.runningLabels), 0.0);
  std::vector<std::thread> clients;
  for (int i = 0; i < 3; ++i) {
    clients.emplace_back([port, i] {
      httpCall(
          port, "POST", "/v1/completions",
          json{{"model", "m"}, {"prompt", std::string(256, 'a' + i)}, {"max_tokens", 2}}.dump());
    });
  }
  ASSERT_TRUE(eventually([&] {
    s = scrape(port, c.path);
    return sampleValue(s, c.waiting, c.waitingLabels) == 2.0;
  })) << httpCall(port, "GET", c.path).body;
  EXPECT_EQ(sampleValue(s, c.running, c.runningLabels), 1.0);
  if (!c.kv.empty()) {
    const double kv = sampleValue(s, c.kv, c.kvLabels).value_or(-1);
    EXPECT_TRUE(kv == 0.04 || kv == 0.05) << c.kv << " " << kv;
  }
  server.reset();  // the clients see their connections close
  for (auto& t : clients) t.join();
}

INSTANTIATE_TEST_SUITE_P(
    AllDialects, SimServerDialect,
    ::testing::Values(
        DialectCase{Dialect::kVllm,
                    "/metrics",
                    "vllm:num_requests_waiting",
                    {},
                    "vllm:num_requests_running",
                    {},
                    "vllm:kv_cache_usage_perc",
                    {}},
        DialectCase{Dialect::kSglang,
                    "/metrics",
                    "sglang:num_queue_reqs",
                    {},
                    "sglang:num_running_reqs",
                    {},
                    "sglang:token_usage",
                    {}},
        DialectCase{Dialect::kSglangLegacy,
                    "/metrics",
                    "sglang:num_queue_reqs",
                    {},
                    "sglang:num_running_reqs",
                    {},
                    "sglang:token_usage",
                    {}},
        DialectCase{Dialect::kLlamaCpp,
                    "/metrics",
                    "llamacpp:requests_deferred",
                    {},
                    "llamacpp:requests_processing",
                    {},
                    "",
                    {}},
        DialectCase{
            Dialect::kTgi, "/metrics", "tgi_queue_size", {}, "tgi_batch_current_size", {}, "", {}},
        DialectCase{Dialect::kTrtllmServe,
                    "/prometheus/metrics",
                    "trtllm_num_requests_waiting",
                    {},
                    "trtllm_num_requests_running",
                    {},
                    "trtllm_kv_cache_utilization",
                    {}},
        DialectCase{Dialect::kTriton,
                    "/metrics",
                    "nv_trt_llm_request_metrics",
                    {{"request_type", "waiting"}},
                    "nv_trt_llm_request_metrics",
                    {{"request_type", "scheduled"}},
                    "nv_trt_llm_kv_cache_block_metrics",
                    {{"kv_cache_block_type", "fraction"}}}),
    [](const ::testing::TestParamInfo<DialectCase>& param) {
      std::string name(dialectName(param.param.dialect));
      std::erase(name, '-');
      return name;
    });

TEST(SimServer, TrtllmServeAnswersJsonIterationStatsOnPlainMetrics) {
  ServerOptions o = fastOptions();
  o.dialect = Dialect::kTrtllmServe;
  auto server = start(o);
  ASSERT_TRUE(server);
  HttpResult r = httpCall(server->port(), "GET", "/metrics");
  ASSERT_EQ(r.status, 200);
  json j = json::parse(r.body);
  ASSERT_TRUE(j.is_array());
  EXPECT_EQ(j[0]["kvCacheStats"]["maxNumBlocks"], 100);
  EXPECT_EQ(j[0]["kvCacheStats"]["tokensPerBlock"], 16);
}

TEST(SimServer, ErrorRateAnswersAboutThatShareWith500) {
  ServerOptions o = fastOptions();
  o.timeScale = 1000;
  o.faults.errorRate = 0.3;
  auto server = start(o);
  ASSERT_TRUE(server);
  int errors = 0, ok = 0;
  for (int i = 0; i < 200; ++i) {
    HttpResult r = httpCall(server->port(), "POST", "/v1/completions",
                            R"({"model":"m","prompt":"x","max_tokens":1})");
    if (r.status == 500) {
      ++errors;
      EXPECT_EQ(json::parse(r.body)["error"]["type"], "InternalServerError");
    } else if (r.status == 200) {
      ++ok;
    }
  }
  EXPECT_EQ(errors + ok, 200);
  // 60 expected; ±30 is more than four standard deviations.
  EXPECT_GE(errors, 30);
  EXPECT_LE(errors, 90);
}

TEST(SimServer, MetricsDelayHoldsOnlyTheMetricsAnswer) {
  ServerOptions o = fastOptions();
  o.faults.metricsDelayMs = 300;
  auto server = start(o);
  ASSERT_TRUE(server);
  HttpResult metrics = httpCall(server->port(), "GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_GE(metrics.seconds, 0.3);
  HttpResult health = httpCall(server->port(), "GET", "/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_LT(health.seconds, metrics.seconds - 0.2);
}

TEST(SimServer, LoadSecondsAnswer503UntilLoaded) {
  ServerOptions o = fastOptions();
  o.faults.loadSeconds = 0.5;
  const auto started = std::chrono::steady_clock::now();
  auto server = start(o);
  ASSERT_TRUE(server);
  HttpResult health = httpCall(server->port(), "GET", "/health");
  ASSERT_EQ(health.status, 503);
  EXPECT_EQ(json::parse(health.body)["error"]["message"], "Loading model");
  EXPECT_EQ(
      httpCall(server->port(), "POST", "/v1/completions", R"({"model":"m","prompt":"x"})").status,
      503);
  ASSERT_TRUE(eventually([&] { return httpCall(server->port(), "GET", "/health").status == 200; }));
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(500));
  EXPECT_EQ(
      httpCall(server->port(), "POST", "/v1/completions", R"({"model":"m","prompt":"x"})").status,
      200);
}

TEST(SimServer, StallFreezesTheEngineAfterNRequests) {
  ServerOptions o = fastOptions();
  o.faults.stallAfter = 2;
  o.faults.stallSeconds = 0.5;
  auto server = start(o);
  ASSERT_TRUE(server);
  const std::string body = R"({"model":"m","prompt":"x","max_tokens":3})";
  HttpResult first = httpCall(server->port(), "POST", "/v1/completions", body);
  EXPECT_EQ(first.status, 200);
  HttpResult stalled = httpCall(server->port(), "POST", "/v1/completions", body);
  EXPECT_EQ(stalled.status, 200);
  EXPECT_GE(stalled.seconds, 0.45);
  HttpResult after = httpCall(server->port(), "POST", "/v1/completions", body);
  EXPECT_EQ(after.status, 200);
  // Relative bounds: a loaded machine slows every request, only the stalled one waits.
  EXPECT_LT(first.seconds, stalled.seconds - 0.3);
  EXPECT_LT(after.seconds, stalled.seconds - 0.3);
}

TEST(SimServer, FaultEndpointSwitchesFaultsOnAndOffWhileRunning) {
  auto server = start(fastOptions());
  ASSERT_TRUE(server);
  const int port = server->port();
  const std::string completion = R"({"model":"m","prompt":"x","max_tokens":1})";
  ASSERT_EQ(httpCall(port, "POST", "/v1/completions", completion).status, 200);
  EXPECT_EQ(json::parse(httpCall(port, "GET", "/sim/fault").body),
            json::parse(R"({"errorRate":0.0,"metrics":"ok","metricsDelayMs":0,)"
                        R"("healthStatus":0,"stalled":false})"));

  HttpResult set = httpCall(port, "POST", "/sim/fault",
                            R"({"errorRate":1,"metrics":"garbage","healthStatus":503})");
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(json::parse(set.body)["metrics"], "garbage");
  EXPECT_EQ(httpCall(port, "POST", "/v1/completions", completion).status, 500);
  EXPECT_EQ(httpCall(port, "GET", "/health").status, 503);
  HttpResult garbage = httpCall(port, "GET", "/metrics");
  EXPECT_EQ(garbage.status, 200);
  EXPECT_EQ(garbage.body, garbageMetricsText());
  EXPECT_FALSE(sampleValue(parseSamples(garbage.body), "vllm:num_requests_waiting"));

  ASSERT_EQ(httpCall(port, "POST", "/sim/fault", R"({"metrics":"error"})").status, 200);
  EXPECT_EQ(httpCall(port, "GET", "/metrics").status, 500);
  EXPECT_EQ(httpCall(port, "GET", "/health").status, 200);  // left out: back to normal
  EXPECT_EQ(httpCall(port, "POST", "/v1/completions", completion).status, 200);

  // {} clears everything; the server serves and counts as before.
  ASSERT_EQ(httpCall(port, "POST", "/sim/fault", "{}").status, 200);
  EXPECT_EQ(httpCall(port, "POST", "/v1/completions", completion).status, 200);
  EXPECT_EQ(sampleValue(scrape(port), "vllm:request_success_total"), 3.0);
}

TEST(SimServer, FaultEndpointRefusesBadBodiesAndChangesNothing) {
  auto server = start(fastOptions());
  ASSERT_TRUE(server);
  const int port = server->port();
  ASSERT_EQ(httpCall(port, "POST", "/sim/fault", R"({"metricsDelayMs":50})").status, 200);
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"[1]", "the body must be a JSON object"},
      {"{", "the body must be a JSON object"},
      {R"({"errorRate":2})", "errorRate must be in [0.0, 1.0], got 2"},
      {R"({"errorRate":"all"})", "errorRate must be a number"},
      {R"({"healthStatus":42})", "healthStatus must be 0 or an HTTP status"},
      {R"({"metrics":"nonsense"})", R"(metrics must be "ok", "garbage" or "error")"},
      {R"({"crash":true})", "unknown key 'crash'"},
  };
  for (const auto& [body, message] : bad) {
    HttpResult r = httpCall(port, "POST", "/sim/fault", body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_NE(json::parse(r.body)["error"]["message"].get<std::string>().find(message),
              std::string::npos)
        << body << " -> " << r.body;
  }
  EXPECT_EQ(json::parse(httpCall(port, "GET", "/sim/fault").body)["metricsDelayMs"], 50);
  EXPECT_EQ(httpCall(port, "DELETE", "/sim/fault").status, 405);
}

TEST(SimServer, FaultEndpointStallsTheEngineNowAndAgain) {
  ServerOptions o = fastOptions();
  o.timeScale = 10;  // a 3-token request takes about 0.3 ms of wall time
  auto server = start(o);
  ASSERT_TRUE(server);
  const int port = server->port();
  const std::string body = R"({"model":"m","prompt":"x","max_tokens":3})";
  HttpResult before = httpCall(port, "POST", "/v1/completions", body);
  ASSERT_EQ(before.status, 200);
  for (int round = 0; round < 2; ++round) {
    HttpResult set = httpCall(port, "POST", "/sim/fault", R"({"stallSeconds":0.5})");
    ASSERT_EQ(set.status, 200) << set.body;
    EXPECT_EQ(json::parse(set.body)["stalled"], true);
    HttpResult stalled = httpCall(port, "POST", "/v1/completions", body);
    EXPECT_EQ(stalled.status, 200);
    EXPECT_GE(stalled.seconds, 0.4) << "round " << round;
    EXPECT_EQ(json::parse(httpCall(port, "GET", "/sim/fault").body)["stalled"], false);
    HttpResult after = httpCall(port, "POST", "/v1/completions", body);
    EXPECT_EQ(after.status, 200);
    // Relative bounds: a loaded machine slows every request, only the stalled one waits.
    EXPECT_LT(after.seconds, stalled.seconds - 0.3) << "round " << round;
  }
}

TEST(SimServer, HealthStatusFlagAnswersFromTheStart) {
  ServerOptions o = fastOptions();
  o.faults.healthStatus = 500;
  o.faults.metrics = MetricsFault::kError;
  auto server = start(o);
  ASSERT_TRUE(server);
  EXPECT_EQ(httpCall(server->port(), "GET", "/health").status, 500);
  EXPECT_EQ(httpCall(server->port(), "GET", "/metrics").status, 500);
}

TEST(SimServer, ResetEmptiesPrefixCacheAndCounters) {
  auto server = start(fastOptions());
  ASSERT_TRUE(server);
  const int port = server->port();
  const std::string body = chatBody("m", std::string(640, 'r'), 1);  // 160 tokens
  auto cached = [&] {
    HttpResult r = httpCall(port, "POST", "/v1/chat/completions", body);
    return json::parse(r.body)["usage"]["prompt_tokens_details"]["cached_tokens"].get<int>();
  };
  EXPECT_EQ(cached(), 0);
  EXPECT_EQ(cached(), 144);  // 9 of 10 blocks: the last token is always computed
  EXPECT_EQ(sampleValue(scrape(port), "vllm:prefix_cache_hits_total"), 144.0);
  EXPECT_EQ(httpCall(port, "POST", "/sim/reset").status, 200);
  auto s = scrape(port);
  EXPECT_EQ(sampleValue(s, "vllm:prefix_cache_hits_total"), 0.0);
  EXPECT_EQ(sampleValue(s, "vllm:prefix_cache_queries_total"), 0.0);
  EXPECT_EQ(sampleValue(s, "vllm:request_success_total"), 0.0);
  EXPECT_EQ(cached(), 0);
}

TEST(SimServer, LoraRequestsInfoKeepsOneSeriesPerLabelSetNewestLast) {
  ServerOptions o = slowOptions();
  o.loras = {"ad1"};
  auto server = start(o);
  ASSERT_TRUE(server);
  const int port = server->port();
  std::thread client([port] {
    httpCall(port, "POST", "/v1/completions", R"({"model":"ad1","prompt":"x","max_tokens":2})");
  });
  double runningSeen = 0;
  ASSERT_TRUE(eventually([&] {
    auto v = sampleValue(scrape(port), "vllm:lora_requests_info",
                         {{"running_lora_adapters", "ad1"}, {"max_lora", "1"}});
    runningSeen = v.value_or(0);
    return v.has_value();
  }));
  client.join();
  auto s = scrape(port);
  const double idle = *sampleValue(s, "vllm:lora_requests_info", {{"running_lora_adapters", ""}});
  EXPECT_GT(runningSeen, 1.7e9);  // wall-clock timestamps, as vLLM's
  EXPECT_EQ(sampleValue(s, "vllm:lora_requests_info", {{"running_lora_adapters", "ad1"}}),
            runningSeen);
  EXPECT_GT(idle, runningSeen);
}

TEST(SimServer, ClientThatGoesAwayIsCancelled) {
  auto server = start(slowOptions());
  ASSERT_TRUE(server);
  const int port = server->port();
  {
    namespace asio = boost::asio;
    asio::io_context ioc;
    asio::ip::tcp::socket socket(ioc);
    socket.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
    const std::string body = chatBody("m", "hello", 50, true);
    const std::string req = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\n\r\n" + body;
    asio::write(socket, asio::buffer(req));
    char buf[64];
    asio::read(socket, asio::buffer(buf));  // the stream has started
  }                                         // closed mid-stream
  ASSERT_TRUE(
      eventually([&] { return sampleValue(scrape(port), "vllm:num_requests_running") == 0.0; }));
  EXPECT_EQ(sampleValue(scrape(port), "vllm:request_success_total"), 0.0);
}

}  // namespace
}  // namespace epp::sim
