// Precise prefix-cache routing end to end: eppd subscribes to three eppd-sim processes'
// KV-cache events (ZeroMQ, vLLM's wire format), the requests eppd routes are really served
// by the simulators, and a request sharing a served prompt's prefix goes to the server that
// cached it — also after that server evicted other blocks, which eppd then no longer counts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>

#include "tests/integration/envoy_client.h"
#include "tests/integration/eppd_process.h"
#include "tests/integration/sim_process.h"
#include "tests/integration/wait_until.h"

namespace epp::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr int kBlockChars = 64;  // 16 tokens of 4 characters
constexpr int kPromptBlocks = 6;

// `blocks` whole blocks of text unique to `seed`, then `tail`.
std::string prompt(int seed, int blocks, const std::string& tail = " first question") {
  std::string out;
  for (int b = 0; b < blocks; ++b) {
    std::string block = "<document " + std::to_string(seed) + " part " + std::to_string(b) + ">";
    block.resize(kBlockChars, '~');
    out += block;
  }
  return out + tail;
}

std::string body(const std::string& text) {
  return json{{"model", "sim-model"}, {"prompt", text}, {"max_tokens", 2}}.dump();
}

class EppdPreciseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "eppd-precise-XXXXXX").string();
    dir_ = ::mkdtemp(pattern.data());
    // 48 blocks each: eight 6-block prompts fill a server.
    sims_ = std::make_unique<SimProcess>(
        dir_, 3,
        std::vector<std::string>{"--kv-events-port", "0", "--num-gpu-blocks", "48", "--block-size",
                                 "16"});
    ASSERT_EQ(sims_->ports().size(), 3u) << sims_->log();
    ASSERT_EQ(sims_->kvEventsPorts().size(), 3u) << sims_->log();
    std::string endpoints = "endpoints:\n";
    for (size_t i = 0; i < 3; ++i) {
      hosts_.push_back("127.0.0.1:" + std::to_string(sims_->ports()[i]));
      endpoints += "- {address: 127.0.0.1, port: " + std::to_string(sims_->ports()[i]) +
                   ", labels: {eppd.io/kv-events-port: \"" +
                   std::to_string(sims_->kvEventsPorts()[i]) + "\"}}\n";
    }
    endpoints_ = endpoints;
    startEppd("tokenizer: {type: chars}", "");
  }
  // eppd with the precise scorer's `tokenizer` line and more top-level config.
  void startEppd(const std::string& tokenizer, const std::string& extra) {
    config_ = std::string(R"(apiVersion: llm-d.ai/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: precise-prefix-cache-scorer
  parameters:
    tokenProcessorConfig: {blockSize: 16}
    )") + tokenizer +
              R"(
- type: queue-scorer
- type: max-score-picker
schedulingProfiles:
- name: default
  plugins:
  - {pluginRef: precise-prefix-cache-scorer, weight: 10}
  - {pluginRef: queue-scorer, weight: 1}
  - {pluginRef: max-score-picker}
scraping: {interval: 20ms, timeout: 200ms}
)" + extra + endpoints_;
    client_.reset();
    eppd_ = std::make_unique<EppdProcess>(config_);
    ASSERT_TRUE(eppd_->started()) << eppd_->error();
    client_ = std::make_unique<EnvoyClient>(eppd_->extprocTarget());
  }
  void TearDown() override {
    client_.reset();
    eppd_.reset();
    sims_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Serves `text` on the server at `host` directly (as the gateway would after routing).
  void serve(const std::string& host, const std::string& text) {
    int port = std::stoi(host.substr(host.rfind(':') + 1));
    HttpResponse r = httpRequest(port, "POST", "/v1/completions", body(text));
    ASSERT_EQ(r.status, 200) << r.body;
  }
  // Asks eppd where `text` goes.
  RequestResult route(const std::string& text, const std::string& requestId) {
    RequestSpec spec;
    spec.path = "/v1/completions";
    spec.headers = {{"x-request-id", requestId}};
    spec.body = body(text);
    return client_->process(spec);
  }
  // The precise scorer's raw score of each endpoint in the decision for `requestId`.
  std::map<std::string, double> preciseScores(const std::string& requestId) {
    json doc = json::parse(httpRequest(eppd_->adminPort(), "GET", "/decisions?n=100").body);
    std::map<std::string, double> out;
    for (const auto& d : doc["decisions"]) {
      if (d["requestId"] != requestId) continue;
      for (const auto& s : d["profiles"][0]["scorers"]) {
        if (s["plugin"] != "precise-prefix-cache-scorer") continue;
        for (const auto& [host, v] : s["scores"].items()) out[host] = v["raw"].get<double>();
      }
    }
    return out;
  }
  double batches(const std::string& host) {
    return eppd_->metric(R"(eppd_kv_event_batches_total{endpoint=")" + host + R"("})");
  }

  // eppd learns of every server's events once they arrive (ZeroMQ drops what is published
  // before a subscription lands, so warm up until they do).
  void awaitSubscriptions() {
    for (const std::string& host : hosts_) {
      int warm = 0;
      ASSERT_TRUE(waitUntil(
          [&] {
            if (batches(host) > 0) return true;
            serve(host, prompt(900 + warm++, 1));
            return false;
          },
          10s))
          << host << "\n"
          << eppd_->log();
    }
  }
  json decision(const std::string& requestId) {
    json doc = json::parse(httpRequest(eppd_->adminPort(), "GET", "/decisions?n=100").body);
    for (const auto& d : doc["decisions"]) {
      if (d["requestId"] == requestId) return d;
    }
    return json();
  }

  fs::path dir_;
  std::string endpoints_;
  std::string config_;
  std::unique_ptr<SimProcess> sims_;
  std::unique_ptr<EppdProcess> eppd_;
  std::unique_ptr<EnvoyClient> client_;
  std::vector<std::string> hosts_;
  int requests_ = 0;
};

TEST_F(EppdPreciseTest, FollowUpsGoWhereThePrefixIsReallyCachedAndEvictionsAreFollowed) {
  awaitSubscriptions();

  // Six documents, each routed by eppd and served where it was routed; then a follow-up
  // question on each goes to the same server, which eppd knows holds all six blocks.
  std::map<int, std::string> servedOn;
  for (int doc = 1; doc <= 6; ++doc) {
    RequestResult first = route(prompt(doc, kPromptBlocks), "doc-" + std::to_string(doc));
    ASSERT_TRUE(first.routed) << first.immediateBody;
    servedOn[doc] = first.destination;
    serve(first.destination, prompt(doc, kPromptBlocks));
  }
  std::set<std::string> used;
  for (int doc = 1; doc <= 6; ++doc) {
    const std::string text = prompt(doc, kPromptBlocks, " second question, longer this time");
    std::string id;
    // The server's events follow its response by a few milliseconds.
    ASSERT_TRUE(waitUntil(
        [&] {
          id = "follow-" + std::to_string(doc) + "-" + std::to_string(++requests_);
          RequestResult r = route(text, id);
          return r.routed && r.destination == servedOn[doc];
        },
        3s))
        << "document " << doc << " was served on " << servedOn[doc];
    EXPECT_DOUBLE_EQ(preciseScores(id)[servedOn[doc]], 1.0);
    used.insert(servedOn[doc]);
  }
  EXPECT_GT(used.size(), 1u) << "with no cache anywhere, the first requests spread";

  // A second replica, started now, learns from the same events without talking to the
  // first: documents served from now on are routed alike by both.
  EppdProcess replica(config_);
  ASSERT_TRUE(replica.started()) << replica.error();
  EnvoyClient replicaClient(replica.extprocTarget());
  for (const std::string& host : hosts_) {
    int warm = 0;
    ASSERT_TRUE(waitUntil(
        [&] {
          if (replica.metric(R"(eppd_kv_event_batches_total{endpoint=")" + host + R"("})") > 0) {
            return true;
          }
          serve(host, prompt(950 + warm++, 1));
          return false;
        },
        10s))
        << host << "\n"
        << replica.log();
  }
  for (int doc = 7; doc <= 9; ++doc) {
    RequestResult first = route(prompt(doc, kPromptBlocks), "doc-" + std::to_string(doc));
    ASSERT_TRUE(first.routed);
    serve(first.destination, prompt(doc, kPromptBlocks));
    RequestSpec spec;
    spec.path = "/v1/completions";
    spec.body = body(prompt(doc, kPromptBlocks, " asked of the other replica"));
    ASSERT_TRUE(waitUntil(
        [&] {
          RequestResult r = replicaClient.process(spec);
          return r.routed && r.destination == first.destination;
        },
        3s))
        << "document " << doc << " was served on " << first.destination;
  }

  // Fill document 1's server with eight other documents: its blocks (the least recently
  // used) are evicted and the server says so; the newest document stays.
  const std::string x = servedOn[1];
  for (int filler = 100; filler < 108; ++filler) serve(x, prompt(filler, kPromptBlocks));
  const std::string newest = prompt(107, kPromptBlocks, " what about this one?");
  ASSERT_TRUE(waitUntil(
      [&] {
        std::string id = "evicted-" + std::to_string(++requests_);
        route(prompt(1, kPromptBlocks, " third question"), id);
        return preciseScores(id)[x] < 1.0;
      },
      3s))
      << "eppd still counts document 1's evicted blocks on " << x;
  RequestResult r = route(newest, "newest");
  ASSERT_TRUE(r.routed);
  EXPECT_EQ(r.destination, x) << "the server that really holds document 107";
  EXPECT_DOUBLE_EQ(preciseScores("newest")[x], 1.0);
  EXPECT_GT(
      eppd_->metric(
          R"(eppd_precise_prefix_scored_total{path="precise",plugin_name="precise-prefix-cache-scorer"})"),
      0);
  EXPECT_EQ(eppd_->metric(R"(eppd_kv_event_sequence_gaps_total{endpoint=")" + x + R"("})"), -1)
      << "no gap was ever seen";
}

std::string chatBody(const std::string& system, const std::string& question) {
  return json{
      {"model", "sim-model"},
      {"max_tokens", 2},
      {"messages",
       {{{"role", "system"}, {"content", system}}, {{"role", "user"}, {"content", question}}}}}
      .dump();
}

// Chat requests carry text, not token ids: with `tokenization:` eppd asks a server's
// /tokenize (here eppd-sim's, which tokenizes as its engine does) and the precise scorer
// matches the ids against the servers' KV events, with no tokenizer of its own.
TEST_F(EppdPreciseTest, ChatFollowUpsMatchThroughTheServersTokenizer) {
  startEppd("tokenizer: {type: request}\n    fallback: none", "tokenization: {timeout: 1s}\n");
  awaitSubscriptions();
  for (int doc = 1; doc <= 3; ++doc) {
    const std::string system = prompt(doc, kPromptBlocks, "");
    RequestSpec spec;
    spec.headers = {{"x-request-id", "chat-" + std::to_string(doc)}};
    spec.body = chatBody(system, "first question");
    RequestResult first = client_->process(spec);
    ASSERT_TRUE(first.routed) << first.immediateBody;
    json d = decision("chat-" + std::to_string(doc));
    ASSERT_TRUE(d.contains("tokenize")) << d.dump();
    EXPECT_EQ(d["tokenize"]["outcome"], "ok");
    // 6 blocks of 64 characters, "\n", "first question": 100 tokens of 4 characters.
    EXPECT_EQ(d["tokenize"]["tokens"], (kPromptBlocks * kBlockChars + 1 + 14 + 3) / 4);
    int port = std::stoi(first.destination.substr(first.destination.rfind(':') + 1));
    ASSERT_EQ(httpRequest(port, "POST", "/v1/chat/completions", spec.body).status, 200);
    std::string id;
    ASSERT_TRUE(waitUntil(
        [&] {
          id = "chat-follow-" + std::to_string(++requests_);
          RequestSpec follow;
          follow.headers = {{"x-request-id", id}};
          follow.body = chatBody(system, "a different second question");
          RequestResult r = client_->process(follow);
          return r.routed && r.destination == first.destination;
        },
        3s))
        << "document " << doc << " was served on " << first.destination;
    // The follow-up's whole blocks are the system prompt's six, all cached there.
    EXPECT_DOUBLE_EQ(preciseScores(id)[first.destination], 1.0);
  }
  EXPECT_GE(eppd_->metric(R"(eppd_tokenize_requests_total{outcome="ok"})"), 6);
}

// A server without /tokenize: requests are still routed (without ids, so the precise
// scorer's fallback applies), and the failure is counted and logged with the request id.
TEST_F(EppdPreciseTest, AFailingTokenizeEndpointDoesNotFailTheRequest) {
  startEppd("tokenizer: {type: request}\n    fallback: none",
            "tokenization: {path: /no-such-tokenize}\n");
  RequestSpec spec;
  spec.headers = {{"x-request-id", "no-tokenizer"}};
  spec.body = chatBody("system", "question");
  RequestResult r = client_->process(spec);
  ASSERT_TRUE(r.routed) << r.immediateBody;
  EXPECT_EQ(decision("no-tokenizer")["tokenize"]["outcome"], "status");
  EXPECT_EQ(eppd_->awaitMetric(R"(eppd_tokenize_requests_total{outcome="status"})", 1), 1);
  EXPECT_NE(eppd_->log().find("request no-tokenizer: tokenize on"), std::string::npos);
}

}  // namespace
}  // namespace epp::testing
