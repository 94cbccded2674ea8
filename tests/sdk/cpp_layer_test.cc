// Every kind's C++ base class, driven through the SDK's fake host: the trampolines pass
// the right arguments, outputs come back, parameters are strict, and exceptions become
// status codes without taking the host down.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "epp/cpp/plugin.h"
#include "epp/testing/fake_host.h"

namespace {

using epp::cpp::CreateContext;
using epp::cpp::EndpointList;
using epp::cpp::Plugin;
using epp::cpp::Request;
using epp::testing::EndpointSet;
using epp::testing::FakeHost;
using epp::testing::FakeProfileResult;
using epp::testing::FakeRequest;
using epp::testing::ParamValue;

class QueueBelowFilter : public Plugin, public epp::cpp::Filter {
 public:
  explicit QueueBelowFilter(const CreateContext& ctx)
      : Plugin(ctx), threshold_(ctx.params().getInt("threshold", 128, 0)) {}
  void filter(const Request&, const EndpointList& c, std::span<uint8_t> keep) override {
    for (size_t i = 0; i < c.size(); ++i) keep[i] = c[i].waitingRequests() < threshold_;
  }

 private:
  int64_t threshold_;
};

class IdleScorer : public Plugin, public epp::cpp::Scorer {
 public:
  static constexpr epp_scorer_category kCategory = EPP_SCORER_BALANCE;
  explicit IdleScorer(const CreateContext& ctx) : Plugin(ctx) {}
  void score(const Request& r, const EndpointList& c, std::span<double> scores) override {
    if (r.header("x-throw")) throw std::runtime_error("boom");
    if (r.header("x-throw-int")) throw 7;
    for (size_t i = 0; i < c.size(); ++i) scores[i] = 1.0 / (1.0 + c[i].waitingRequests());
  }
};

class TopPicker : public Plugin, public epp::cpp::Picker {
 public:
  explicit TopPicker(const CreateContext& ctx)
      : Plugin(ctx), max_(ctx.params().getInt("maxNumOfEndpoints", 1, 1)) {}
  size_t pick(const Request&, const EndpointList& c, std::span<const double> scores,
              std::span<uint32_t> picked) override {
    std::vector<uint32_t> order(c.size());
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](uint32_t a, uint32_t b) { return scores[a] > scores[b]; });
    size_t n = std::min<size_t>(static_cast<size_t>(max_), order.size());
    std::copy_n(order.begin(), n, picked.begin());
    return n;
  }

 private:
  int64_t max_;
};

// Runs "prefill" then "decode"; decode is primary.
class TwoPhaseHandler : public epp::cpp::ProfileHandler {
 public:
  explicit TwoPhaseHandler(const CreateContext&) {}
  void pickProfiles(const Request&, std::span<const std::string_view> names,
                    const epp::cpp::ProfileResults& results, std::span<uint8_t> run) override {
    std::string_view next = results.size() == 0 ? "prefill" : results.size() == 1 ? "decode" : "";
    for (size_t i = 0; i < names.size(); ++i) run[i] = names[i] == next;
  }
  size_t processResults(const Request&, const epp::cpp::ProfileResults& results) override {
    for (size_t i = 0; i < results.size(); ++i) {
      if (results[i].profileName() == "decode") return i;
    }
    return 99;  // out of range: the trampoline must refuse it
  }
};

class EdfPolicy : public epp::cpp::OrderingPolicy {
 public:
  explicit EdfPolicy(const CreateContext&) {}
  bool less(const epp::cpp::QueuedRequest& a, const epp::cpp::QueuedRequest& b) const override {
    if (a.deadlineNs() == b.deadlineNs()) return a.sequence() < b.sequence();
    return a.deadlineNs() < b.deadlineNs();
  }
};

class Fifo : public epp::cpp::OrderingPolicy {
 public:
  static constexpr uint32_t kQueueCapabilities = EPP_QUEUE_CAP_FIFO;
  explicit Fifo(const CreateContext&) {}
  bool less(const epp::cpp::QueuedRequest& a, const epp::cpp::QueuedRequest&) const override {
    if (a.request().header("x-throw")) throw std::runtime_error("bad compare");
    return false;
  }
};

struct Cursor : epp::cpp::BandState {
  explicit Cursor(int32_t p) : priority(p) {}
  int32_t priority;
  size_t next = 0;
  static inline int live = 0;
  Cursor(const Cursor&) = delete;
};

class RoundRobin : public epp::cpp::FairnessPolicy {
 public:
  explicit RoundRobin(const CreateContext&) {}
  std::unique_ptr<epp::cpp::BandState> newBandState(int32_t priority) override {
    ++Cursor::live;
    return std::make_unique<CursorCounted>(priority);
  }
  size_t pickFlow(epp::cpp::BandState* state, const epp::cpp::FlowList& flows) override {
    auto* c = static_cast<Cursor*>(state);
    return c->next++ % flows.size();
  }

 private:
  struct CursorCounted : Cursor {
    using Cursor::Cursor;
    ~CursorCounted() override { --Cursor::live; }
  };
};

class KvDetector : public Plugin, public epp::cpp::SaturationDetector, public epp::cpp::Filter {
 public:
  explicit KvDetector(const CreateContext& ctx)
      : Plugin(ctx),
        kv_(ctx.params().getDouble("kvCacheUtilThreshold", 0.8, 0, 1)),
        staleNs_(ctx.params().getDurationNs("metricsStalenessThreshold", 200'000'000)) {}
  double saturation(const EndpointList& pool, int64_t now) override {
    double sum = 0;
    for (auto e : pool) {
      sum += (now - e.metricsUpdatedNs() > staleNs_) ? 1.0 : e.kvCacheUsage() / kv_;
    }
    return pool.empty() ? 1.0 : sum / static_cast<double>(pool.size());
  }
  void filter(const Request&, const EndpointList& c, std::span<uint8_t> keep) override {
    for (size_t i = 0; i < c.size(); ++i) keep[i] = c[i].kvCacheUsage() < kv_;
  }

 private:
  double kv_;
  int64_t staleNs_;
};

class HeaderCanary : public epp::cpp::TrafficSplitter {
 public:
  explicit HeaderCanary(const CreateContext& ctx)
      : header_(ctx.params().getString("header", "x-canary")) {}
  size_t split(const Request& r, const epp::cpp::SplitTargets& t) override {
    return r.header(header_) ? t.size() - 1 : 0;
  }

 private:
  std::string header_;
};

class LinesAdapter : public epp::cpp::BackendAdapter, public epp::cpp::BackendDetection {
 public:
  explicit LinesAdapter(const CreateContext& ctx) {
    info_.metricsPath = ctx.params().getString("metricsPath", "/metrics");
  }
  const epp::cpp::BackendInfo& info() const override { return info_; }
  void parseMetrics(std::string_view body, std::string_view, epp::cpp::MetricsOut& out) override {
    if (body.find("garbage") != std::string_view::npos) throw epp::cpp::Error("line 1: garbage");
    if (body.find("waiting 3") != std::string_view::npos) out.setWaiting(3);
    out.setKvCacheUsage(0.25);
    out.addActiveLora("sql-lora");
    out.addWaitingLora("tweet-lora");
    out.setLabel("engine_version", "0.9");
  }
  epp_health checkHealth(int32_t status, std::string_view) override {
    return status == 200   ? EPP_HEALTH_HEALTHY
           : status == 503 ? EPP_HEALTH_NOT_READY
                           : EPP_HEALTH_UNHEALTHY;
  }
  bool detect(std::string_view body) override {
    return body.find("\"owned_by\":\"lines\"") != std::string_view::npos;
  }

 private:
  epp::cpp::BackendInfo info_;
};

struct Seen {
  int headers = 0;
  int chunks = 0;
  std::string bytes;
};

class Hooks : public Plugin,
              public epp::cpp::PrepareRequestHook,
              public epp::cpp::PreRequestHook,
              public epp::cpp::ResponseHooks,
              public epp::cpp::EndpointHooks,
              public epp::cpp::KvEventHooks {
 public:
  explicit Hooks(const CreateContext& ctx)
      : Plugin(ctx),
        picks_(registerMetric(EPP_METRIC_COUNTER, "test_picks_total", "picks", {"profile"})) {}
  void prepareRequest(const Request& r, const EndpointList& c) override {
    std::vector<uint64_t> ids;
    std::vector<double> values;
    for (auto e : c) {
      ids.push_back(e.id());
      values.push_back(static_cast<double>(e.id()) * 10);
    }
    r.dataPut("test/match", ids, values);
  }
  void preRequest(const Request&, const epp::cpp::SchedulingResult& s) override {
    picks_.series({s.primary()->profileName()}).add(1);
  }
  void responseHeaders(const Request& r, const epp::cpp::Response&) override {
    setState(r, std::make_unique<Seen>())->headers++;
    r.setResponseHeader("X-Seen-By", name());
  }
  void responseBody(const Request& r, const epp::cpp::Response&, std::string_view chunk,
                    bool) override {
    Seen* s = state<Seen>(r);
    s->chunks++;
    s->bytes += chunk;
  }
  void requestComplete(const Request& r, const epp::cpp::Response* resp,
                       epp_request_outcome outcome) override {
    Seen* s = state<Seen>(r);
    completed[std::string(r.requestId())] =
        std::to_string(outcome) + ":" +
        std::to_string(resp ? resp->usage().completion_tokens : -1) + ":" + (s ? s->bytes : "");
  }
  void endpointsAdded(const EndpointList& added) override { known += added.size(); }
  void endpointsRemoved(std::span<const uint64_t> ids) override { known -= ids.size(); }
  void kvEvents(const epp::cpp::KvEventBatch& b, bool resync) override {
    kvSeen += b.size();
    if (resync) kvResyncs++;
    lastHash = b[0].blockHashes()[0];
  }

  static inline std::map<std::string, std::string> completed;
  size_t known = 0;
  size_t kvSeen = 0;
  int kvResyncs = 0;
  uint64_t lastHash = 0;

 private:
  epp::cpp::Metric picks_;
};

class ParamsProbe : public Plugin {
 public:
  explicit ParamsProbe(const CreateContext& ctx) : Plugin(ctx) {
    const auto& p = ctx.params();
    ttlNs = p.getDurationNs("ttl", 0);
    bytes = p.getBytes("maxBytes", 0);
    modes = p.getStringList("modes");
    enabled = p.getBool("enabled", false);
    if (auto inner = p.getMap("inner")) depth = inner->getInt("depth", 0);
  }
  int64_t ttlNs = 0;
  int64_t bytes = 0;
  std::vector<std::string> modes;
  bool enabled = false;
  int64_t depth = 0;
};

class FailingCtor : public Plugin {
 public:
  explicit FailingCtor(const CreateContext& ctx) : Plugin(ctx) {
    throw epp::cpp::Error(ctx.params().location() + ": cannot start: no GPU");
  }
};

EPP_PLUGIN_ENTRY_FN(testEntry, "cpp-layer-test", "1.2.3", "every kind",
                    EPP_TYPE(QueueBelowFilter, "queue-below-filter", "drops long queues"),
                    EPP_TYPE(IdleScorer, "idle-scorer", "1/(1+waiting)"),
                    EPP_TYPE(TopPicker, "top-picker", "highest scores"),
                    EPP_TYPE(TwoPhaseHandler, "two-phase-handler", "prefill then decode"),
                    EPP_TYPE(EdfPolicy, "edf-policy", "earliest deadline"),
                    EPP_TYPE(Fifo, "fifo-policy", "arrival order"),
                    EPP_TYPE(RoundRobin, "rr-fairness", "round robin"),
                    EPP_TYPE(KvDetector, "kv-detector", "kv saturation"),
                    EPP_TYPE(HeaderCanary, "header-canary", "canary on header"),
                    EPP_TYPE(LinesAdapter, "lines-adapter", "toy engine"),
                    EPP_TYPE(Hooks, "hooks", "every hook"),
                    EPP_TYPE(ParamsProbe, "params-probe", "reads params"),
                    EPP_TYPE(FailingCtor, "failing-ctor", "refuses to start"))

// ---- state hand-over: one type in two library versions with different state layouts ----

// Requests seen per user (header x-user); score() writes the user's count after this one.
// Version 1 keeps a std::map and exports "sessions/v1" (lines "user count").
class SessionsV1 : public Plugin, public epp::cpp::Scorer, public epp::cpp::StateHandover {
 public:
  explicit SessionsV1(const CreateContext& ctx)
      : Plugin(ctx), exportThrows_(ctx.params().getBool("exportThrows", false)) {}
  void score(const Request& r, const EndpointList&, std::span<double> scores) override {
    double n = static_cast<double>(++seen_[std::string(r.header("x-user").value_or(""))]);
    std::fill(scores.begin(), scores.end(), n);
  }
  std::optional<epp::cpp::ExportedState> exportState() override {
    if (exportThrows_) throw std::runtime_error("session table locked");
    if (seen_.empty()) return std::nullopt;
    std::string text;
    for (const auto& [user, n] : seen_) text += user + " " + std::to_string(n) + "\n";
    return epp::cpp::ExportedState{"sessions/v1", text};
  }
  bool importState(std::string_view format, std::string_view data) override {
    if (format != "sessions/v1") return false;
    std::map<std::string, int64_t> parsed;
    size_t start = 0;
    while (start < data.size()) {
      size_t end = data.find('\n', start);
      size_t space = data.find(' ', start);
      if (end == std::string_view::npos || space > end) {
        throw epp::cpp::Error("sessions/v1: bad line at byte " + std::to_string(start));
      }
      parsed[std::string(data.substr(start, space - start))] =
          std::stoll(std::string(data.substr(space + 1, end - space - 1)));
      start = end + 1;
    }
    seen_ = std::move(parsed);  // parsed completely before anything changes
    return true;
  }

 private:
  bool exportThrows_;
  std::map<std::string, int64_t> seen_;
};

// Version 2 keeps a vector and exports "sessions/v2" ("user=count;..."); it still reads v1.
class SessionsV2 : public Plugin, public epp::cpp::Scorer, public epp::cpp::StateHandover {
 public:
  explicit SessionsV2(const CreateContext& ctx) : Plugin(ctx) {}
  void score(const Request& r, const EndpointList&, std::span<double> scores) override {
    std::string user(r.header("x-user").value_or(""));
    auto it = std::find_if(seen_.begin(), seen_.end(), [&](auto& e) { return e.first == user; });
    if (it == seen_.end()) it = seen_.insert(seen_.end(), {user, 0});
    std::fill(scores.begin(), scores.end(), static_cast<double>(++it->second));
  }
  std::optional<epp::cpp::ExportedState> exportState() override {
    std::string text;
    for (const auto& [user, n] : seen_) text += user + "=" + std::to_string(n) + ";";
    return epp::cpp::ExportedState{"sessions/v2", text};
  }
  bool importState(std::string_view format, std::string_view data) override {
    if (format == "sessions/v1") {
      for (std::string_view rest = data; !rest.empty();) {
        std::string_view line = rest.substr(0, rest.find('\n'));
        rest.remove_prefix(std::min(rest.size(), line.size() + 1));
        size_t space = line.find(' ');
        seen_.emplace_back(std::string(line.substr(0, space)),
                           std::stoll(std::string(line.substr(space + 1))));
      }
      return true;
    }
    return false;  // (v2 import left out: not what these tests are about)
  }

 private:
  std::vector<std::pair<std::string, int64_t>> seen_;
};

EPP_PLUGIN_ENTRY_FN(sessionsV1Entry, "sessions", "1.0.0", "session counts, v1 layout",
                    EPP_TYPE(SessionsV1, "sessions", "counts requests per user"))
EPP_PLUGIN_ENTRY_FN(sessionsV2Entry, "sessions", "2.0.0", "session counts, v2 layout",
                    EPP_TYPE(SessionsV2, "sessions", "counts requests per user"))

class CppLayerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    plugin_ = host_.load(&testEntry);
    ASSERT_NE(plugin_, nullptr) << host_.lastError();
  }
  const epp_type_descriptor* type(std::string_view name) {
    for (size_t i = 0; i < plugin_->types_count; ++i) {
      if (name == plugin_->types[i]->type_name) return plugin_->types[i];
    }
    return nullptr;
  }
  FakeHost host_;
  const epp_plugin_descriptor* plugin_ = nullptr;
};

TEST_F(CppLayerTest, DescriptorListsEveryTypeWithItsKinds) {
  EXPECT_EQ(plugin_->abi_major, EPP_ABI_MAJOR);
  EXPECT_STREQ(plugin_->version, "1.2.3");
  EXPECT_EQ(plugin_->types_count, 13u);
  EXPECT_EQ(type("queue-below-filter")->kinds, EPP_KIND_FILTER);
  EXPECT_EQ(type("idle-scorer")->scorer->category, EPP_SCORER_BALANCE);
  EXPECT_EQ(type("kv-detector")->kinds, EPP_KIND_FILTER | EPP_KIND_SATURATION_DETECTOR);
  EXPECT_EQ(type("fifo-policy")->ordering_policy->queue_capabilities, EPP_QUEUE_CAP_FIFO);
  EXPECT_EQ(type("edf-policy")->ordering_policy->queue_capabilities, EPP_QUEUE_CAP_PRIORITY);
  EXPECT_EQ(type("hooks")->kinds, EPP_KIND_REQUEST_HOOKS | EPP_KIND_DATA_HOOKS);
  EXPECT_EQ(type("params-probe")->kinds, 0u);
  EXPECT_NE(type("lines-adapter")->backend_adapter->detect, nullptr);
  // Presence is capability: a type without hooks has no hook table.
  EXPECT_EQ(type("idle-scorer")->request_hooks, nullptr);
}

TEST_F(CppLayerTest, FilterKeepsEndpointsBelowThreshold) {
  auto f = host_.create(plugin_, "queue-below-filter", ParamValue::map({{"threshold", 5}}));
  ASSERT_NE(f, nullptr) << host_.lastError();
  EndpointSet eps({{.waiting = 0}, {.waiting = 5}, {.waiting = 4}, {.waiting = 100}});
  FakeRequest r;
  EXPECT_EQ(f->filter(r, eps), (std::vector<uint8_t>{1, 0, 1, 0}));
  EXPECT_EQ(f->status(), EPP_OK);
}

TEST_F(CppLayerTest, ScorerWritesScoresAndExceptionsBecomeInternalErrors) {
  auto s = host_.create(plugin_, "idle-scorer");
  EndpointSet eps({{.waiting = 0}, {.waiting = 1}, {.waiting = 3}});
  FakeRequest ok;
  auto scores = s->score(ok, eps);
  EXPECT_DOUBLE_EQ(scores[0], 1.0);
  EXPECT_DOUBLE_EQ(scores[1], 0.5);
  EXPECT_DOUBLE_EQ(scores[2], 0.25);

  FakeRequest bad({.requestId = "req-7", .headers = {{"x-throw", "1"}}});
  s->score(bad, eps);
  EXPECT_EQ(s->status(), EPP_ERR_INTERNAL);
  ASSERT_FALSE(host_.logs().empty());
  EXPECT_EQ(host_.logs().back().requestId, "req-7");
  EXPECT_EQ(host_.logs().back().instance, "idle-scorer");
  EXPECT_NE(host_.logs().back().message.find("score failed: boom"), std::string::npos);

  FakeRequest worse({.headers = {{"x-throw-int", "1"}}});
  s->score(worse, eps);
  EXPECT_EQ(s->status(), EPP_ERR_INTERNAL);
  EXPECT_TRUE(host_.logged("unknown exception"));
  // The instance still works afterwards.
  EXPECT_DOUBLE_EQ(s->score(ok, eps)[1], 0.5);
  EXPECT_EQ(s->status(), EPP_OK);
}

TEST_F(CppLayerTest, PickerReturnsPrimaryThenFallbacks) {
  auto p = host_.create(plugin_, "top-picker", ParamValue::map({{"maxNumOfEndpoints", 2}}));
  EndpointSet eps({{}, {}, {}});
  FakeRequest r;
  EXPECT_EQ(p->pick(r, eps, {0.1, 0.9, 0.5}), (std::vector<uint32_t>{1, 2}));
  auto bad = host_.create(plugin_, "top-picker", ParamValue::map({{"maxNumOfEndpoints", 0}}));
  EXPECT_EQ(bad, nullptr);
  EXPECT_NE(host_.lastError().find("params.maxNumOfEndpoints"), std::string::npos)
      << host_.lastError();
  EXPECT_NE(host_.lastError().find("between 1 and"), std::string::npos);
}

TEST_F(CppLayerTest, ProfileHandlerRunsPrefillThenDecode) {
  auto h = host_.create(plugin_, "two-phase-handler");
  FakeRequest r;
  std::vector<std::string> names{"decode", "prefill"};
  EXPECT_EQ(h->pickProfiles(r, names, {}), (std::vector<uint8_t>{0, 1}));
  std::vector<FakeProfileResult> one{{.name = "prefill"}};
  EXPECT_EQ(h->pickProfiles(r, names, one), (std::vector<uint8_t>{1, 0}));
  std::vector<FakeProfileResult> both{{.name = "prefill"}, {.name = "decode"}};
  EXPECT_EQ(h->pickProfiles(r, names, both), (std::vector<uint8_t>{0, 0}));
  EXPECT_EQ(h->processResults(r, both), 1u);
  EXPECT_EQ(h->status(), EPP_OK);
  // An out-of-range primary is refused at the boundary, not passed to the host.
  h->processResults(r, one);
  EXPECT_NE(h->status(), EPP_OK);
}

TEST_F(CppLayerTest, OrderingPolicyComparesAndFallsBackToArrivalOnException) {
  auto edf = host_.create(plugin_, "edf-policy");
  FakeRequest a, b;
  auto qa = epp::testing::makeQueued(a, 1, 0, 500);
  auto qb = epp::testing::makeQueued(b, 2, 0, 100);
  EXPECT_FALSE(edf->less(qa, qb));
  EXPECT_TRUE(edf->less(qb, qa));

  auto fifo = host_.create(plugin_, "fifo-policy");
  FakeRequest thrower({.headers = {{"x-throw", "1"}}});
  auto q1 = epp::testing::makeQueued(thrower, 1, 0);
  auto q2 = epp::testing::makeQueued(b, 2, 0);
  EXPECT_TRUE(fifo->less(q1, q2));  // sequence order after the exception
  EXPECT_TRUE(host_.logged("exception in an ordering policy"));
}

TEST_F(CppLayerTest, FairnessPolicyKeepsStatePerBandAndDestroysIt) {
  Cursor::live = 0;
  {
    auto rr = host_.create(plugin_, "rr-fairness");
    std::vector<epp::testing::FakeFlow> flows(3);
    EXPECT_EQ(rr->pickFlow(10, flows), 0u);
    EXPECT_EQ(rr->pickFlow(10, flows), 1u);
    EXPECT_EQ(rr->pickFlow(0, flows), 0u);  // another band, its own cursor
    EXPECT_EQ(rr->pickFlow(10, flows), 2u);
    EXPECT_EQ(Cursor::live, 2);
  }
  EXPECT_EQ(Cursor::live, 0);
}

TEST_F(CppLayerTest, SaturationDetectorIsAlsoAFilter) {
  auto d = host_.create(
      plugin_, "kv-detector",
      ParamValue::map({{"kvCacheUtilThreshold", 0.5}, {"metricsStalenessThreshold", "100ms"}}));
  ASSERT_NE(d, nullptr) << host_.lastError();
  int64_t now = 1'000'000'000;
  EndpointSet eps({{.kvCacheUsage = 0.25, .metricsUpdatedNs = now},
                   {.kvCacheUsage = 0.75, .metricsUpdatedNs = now},
                   {.kvCacheUsage = 0.0, .metricsUpdatedNs = now - 200'000'000}});
  // (0.5 + 1.5 + 1.0 stale) / 3
  EXPECT_DOUBLE_EQ(d->saturation(eps.list(), now), 1.0);
  FakeRequest r;
  EXPECT_EQ(d->filter(r, eps), (std::vector<uint8_t>{1, 0, 1}));
  auto bad = host_.create(plugin_, "kv-detector",
                          ParamValue::map({{"metricsStalenessThreshold", "soon"}}));
  EXPECT_EQ(bad, nullptr);
  EXPECT_NE(host_.lastError().find("duration"), std::string::npos);
}

TEST_F(CppLayerTest, TrafficSplitterChoosesByHeader) {
  auto s = host_.create(plugin_, "header-canary");
  FakeRequest plain, canary({.headers = {{"x-canary", "yes"}}});
  std::vector<std::pair<std::string, double>> targets{{"llama-v1", 90}, {"llama-v2", 10}};
  EXPECT_EQ(s->split(plain, targets), 0u);
  EXPECT_EQ(s->split(canary, targets), 1u);
}

TEST_F(CppLayerTest, BackendAdapterParsesMetricsHealthAndDetects) {
  auto a = host_.create(plugin_, "lines-adapter", ParamValue::map({{"metricsPath", "/m"}}));
  auto info = a->info();
  EXPECT_EQ(std::string(info.metrics_path.ptr, info.metrics_path.len), "/m");
  EXPECT_EQ(std::string(info.models_path.ptr, info.models_path.len), "/v1/models");
  auto m = a->parseMetrics("waiting 3\n");
  EXPECT_EQ(m.status, EPP_OK);
  EXPECT_EQ(m.metrics.waiting_requests, 3);
  EXPECT_DOUBLE_EQ(m.metrics.kv_cache_usage, 0.25);
  EXPECT_EQ(m.metrics.present,
            EPP_METRICS_HAS_WAITING | EPP_METRICS_HAS_KV_USAGE | EPP_METRICS_HAS_LORAS);
  EXPECT_EQ(m.activeLoras, std::vector<std::string>{"sql-lora"});
  EXPECT_EQ(m.waitingLoras, std::vector<std::string>{"tweet-lora"});
  EXPECT_EQ(m.labels.at("engine_version"), "0.9");
  auto bad = a->parseMetrics("garbage");
  EXPECT_EQ(bad.status, EPP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(bad.error, "line 1: garbage");
  EXPECT_EQ(a->checkHealth(503), EPP_HEALTH_NOT_READY);
  EXPECT_EQ(a->checkHealth(200), EPP_HEALTH_HEALTHY);
  EXPECT_TRUE(a->detect(R"({"data":[{"id":"m","owned_by":"lines"}]})"));
  EXPECT_FALSE(a->detect(R"({"data":[{"id":"m","owned_by":"vllm"}]})"));
}

TEST_F(CppLayerTest, HooksShareDataKeepRequestStateAndCountMetrics) {
  auto h = host_.create(plugin_, "hooks", ParamValue(), "my-hooks");
  ASSERT_NE(h, nullptr) << host_.lastError();
  EndpointSet eps({{}, {}});
  FakeRequest r({.requestId = "r1"}, &eps);
  h->prepareRequest(r, eps.list());
  EXPECT_EQ(h->status(), EPP_OK);
  double values[2];
  epp_status s =
      host_.api()->request_data_get(r.view()->handle, {"test/match", 10}, eps.list(), values);
  EXPECT_EQ(s, EPP_OK);
  EXPECT_DOUBLE_EQ(values[0], 10);
  EXPECT_DOUBLE_EQ(values[1], 20);

  h->preRequest(r, {{.name = "default", .targets = {eps.view(1)}}});
  h->preRequest(r, {{.name = "default", .targets = {eps.view(0)}}});
  EXPECT_DOUBLE_EQ(host_.metricValue("test_picks_total", "my-hooks", {"default"}), 2);

  epp::testing::FakeResponse resp{.status = 200};
  resp.usage.completion_tokens = 12;
  h->responseHeaders(r, resp);
  EXPECT_EQ(r.responseHeaders().at("x-seen-by"), "my-hooks");  // ABI 1.2, name lower-cased
  h->responseBody(r, resp, "data: a\n\n", false);
  h->responseBody(r, resp, "data: [DONE]\n\n", true);
  h->requestComplete(r, &resp, EPP_OUTCOME_COMPLETED);
  EXPECT_EQ(Hooks::completed.at("r1"), "0:12:data: a\n\ndata: [DONE]\n\n");
  FakeRequest cancelled({.requestId = "r2"});
  h->requestComplete(cancelled, nullptr, EPP_OUTCOME_CANCELLED);
  EXPECT_EQ(Hooks::completed.at("r2"), "2:-1:");

  auto* self = reinterpret_cast<Hooks*>(h->raw());
  h->endpointsAdded(eps.list());
  h->endpointsRemoved({1});
  EXPECT_EQ(self->known, 1u);
  uint64_t hashes[] = {0xabc};
  epp_kv_event ev{sizeof ev, EPP_KV_BLOCK_STORED, hashes, 1, false, 0, nullptr, 0, 16,
                  -1,        EPP_KV_MEDIUM_GPU};
  const epp_kv_event* evs[] = {&ev};
  epp_kv_event_batch batch{sizeof batch, 1, {"m", 1}, 7, 0.0, -1, evs, 1};
  h->kvEvents(batch, true);
  EXPECT_EQ(self->kvSeen, 1u);
  EXPECT_EQ(self->kvResyncs, 1);
  EXPECT_EQ(self->lastHash, 0xabcu);
}

// A plugin built for 1.2 checks the host table before using a 1.2 callback, so it fails
// cleanly (EPP_ERR_UNIMPLEMENTED) on a table without it rather than calling past its end.
TEST_F(CppLayerTest, SetResponseHeaderNeedsAnAbi12HostTable) {
  FakeRequest r;
  epp_host_api older = *host_.api();
  older.struct_size = offsetof(epp_host_api, response_set_header);
  const epp_host_api* saved = epp::cpp::detail::g_host;
  epp::cpp::detail::g_host = &older;
  epp_status status = EPP_OK;
  try {
    Request(r.view()).setResponseHeader("x-a", "b");
  } catch (const epp::cpp::Error& e) {
    status = e.status();
  }
  epp::cpp::detail::g_host = saved;
  EXPECT_EQ(status, EPP_ERR_UNIMPLEMENTED);
  EXPECT_TRUE(r.responseHeaders().empty());
  Request(r.view()).setResponseHeader("x-a", "b");
  EXPECT_EQ(r.responseHeaders().at("x-a"), "b");
}

TEST_F(CppLayerTest, ParamsAreTypedAndStrict) {
  auto p = host_.create(plugin_, "params-probe",
                        ParamValue::map({{"ttl", "1m30s"},
                                         {"maxBytes", "10Gi"},
                                         {"modes", ParamValue::list({"a", "b"})},
                                         {"enabled", true},
                                         {"inner", ParamValue::map({{"depth", 3}})}}));
  ASSERT_NE(p, nullptr) << host_.lastError();
  auto* probe = reinterpret_cast<ParamsProbe*>(p->raw());
  EXPECT_EQ(probe->ttlNs, 90'000'000'000);
  EXPECT_EQ(probe->bytes, 10LL * 1024 * 1024 * 1024);
  EXPECT_EQ(probe->modes, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(probe->enabled);
  EXPECT_EQ(probe->depth, 3);

  EXPECT_EQ(host_.create(plugin_, "params-probe", ParamValue::map({{"tll", "1s"}})), nullptr);
  EXPECT_EQ(host_.lastError(), "params.tll: unknown parameter \"tll\"");
  EXPECT_EQ(host_.create(plugin_, "params-probe",
                         ParamValue::map({{"inner", ParamValue::map({{"deep", 1}})}})),
            nullptr);
  EXPECT_EQ(host_.lastError(), "params.inner.deep: unknown parameter \"deep\"");
  EXPECT_EQ(host_.create(plugin_, "params-probe", ParamValue::map({{"enabled", "yes"}})), nullptr);
  EXPECT_EQ(host_.lastError(), "params.enabled: parameter \"enabled\" must be true or false");
  EXPECT_EQ(host_.create(plugin_, "params-probe", ParamValue::list({1})), nullptr);
  EXPECT_EQ(host_.lastError(), "params: parameters must be a map");
}

TEST_F(CppLayerTest, ConstructorErrorsReachTheHostWithTheirMessage) {
  EXPECT_EQ(host_.create(plugin_, "failing-ctor"), nullptr);
  EXPECT_EQ(host_.lastError(), "params: cannot start: no GPU");
}

// Two versions of one plugin (two entry functions: two "libraries"), as after a reload that
// loaded a new version beside the old one.
class StateHandoverTest : public CppLayerTest {
 protected:
  double scoreFor(epp::testing::FakeInstance& instance, const std::string& user) {
    FakeRequest r({.headers = {{"x-user", user}}});
    EndpointSet eps({{}});
    double out = instance.score(r, eps)[0];
    EXPECT_EQ(instance.status(), EPP_OK);
    return out;
  }
  const epp_plugin_descriptor* v1_ = host_.load(&sessionsV1Entry);
  const epp_plugin_descriptor* v2_ = host_.load(&sessionsV2Entry);
};

TEST_F(StateHandoverTest, DerivingFillsTheTable) {
  const epp_type_descriptor* t = v1_->types[0];
  EXPECT_EQ(t->kinds, EPP_KIND_SCORER | EPP_KIND_STATE_HANDOVER);
  ASSERT_NE(t->state_handover, nullptr);
  EXPECT_EQ(t->state_handover->struct_size, sizeof(epp_state_handover_v1));
  EXPECT_NE(t->state_handover->export_state, nullptr);
  EXPECT_NE(t->state_handover->import_state, nullptr);
  // Presence is capability: types without the mixin have no table.
  EXPECT_EQ(type("idle-scorer")->state_handover, nullptr);
  EXPECT_EQ(type("hooks")->kinds, EPP_KIND_REQUEST_HOOKS | EPP_KIND_DATA_HOOKS);
}

TEST_F(StateHandoverTest, StateMovesFromTheOldVersionToTheNewOne) {
  auto old = host_.create(v1_, "sessions");
  ASSERT_NE(old, nullptr) << host_.lastError();
  for (int i = 0; i < 3; ++i) scoreFor(*old, "alice");
  scoreFor(*old, "bob");
  auto fresh = host_.create(v2_, "sessions");
  ASSERT_NE(fresh, nullptr);

  epp::testing::FakeHandover h = host_.handOver(*old, *fresh);
  EXPECT_EQ(h.result, epp::testing::FakeHandover::kImported) << h.error;
  EXPECT_EQ(h.format, "sessions/v1");
  EXPECT_EQ(h.bytes, std::string("alice 3\nbob 1\n").size());
  EXPECT_EQ(scoreFor(*fresh, "alice"), 4.0);
  EXPECT_EQ(scoreFor(*fresh, "bob"), 2.0);
  EXPECT_EQ(scoreFor(*fresh, "carol"), 1.0);
  // The old instance is unchanged and keeps serving.
  EXPECT_EQ(scoreFor(*old, "alice"), 4.0);
  // The new version exports its own layout.
  epp::testing::FakeStateExport exported = fresh->exportState();
  EXPECT_EQ(exported.status, EPP_OK);
  EXPECT_EQ(exported.format, "sessions/v2");
  EXPECT_EQ(exported.data, "alice=4;bob=2;carol=1;");
}

TEST_F(StateHandoverTest, AnOlderVersionRefusesANewerFormat) {
  auto newer = host_.create(v2_, "sessions");
  scoreFor(*newer, "alice");
  auto older = host_.create(v1_, "sessions");
  epp::testing::FakeHandover h = host_.handOver(*newer, *older);
  EXPECT_EQ(h.result, epp::testing::FakeHandover::kRefused);
  EXPECT_EQ(h.status, EPP_ERR_UNIMPLEMENTED);
  EXPECT_EQ(h.error, "format 'sessions/v2' is not one this version reads");
  EXPECT_EQ(scoreFor(*older, "alice"), 1.0);  // fresh
}

TEST_F(StateHandoverTest, ExceptionsAndEmptyStateBecomeStatuses) {
  auto empty = host_.create(v1_, "sessions");
  auto fresh = host_.create(v1_, "sessions");
  epp::testing::FakeHandover nothing = host_.handOver(*empty, *fresh);
  EXPECT_EQ(nothing.result, epp::testing::FakeHandover::kNothing);
  EXPECT_EQ(nothing.status, EPP_ERR_NOT_FOUND);

  auto throwing = host_.create(v1_, "sessions", ParamValue::map({{"exportThrows", true}}));
  epp::testing::FakeStateExport exported = throwing->exportState();
  EXPECT_EQ(exported.status, EPP_ERR_INTERNAL);
  EXPECT_EQ(exported.error, "session table locked");
  EXPECT_EQ(host_.handOver(*throwing, *fresh).result, epp::testing::FakeHandover::kFailed);

  std::string error;
  EXPECT_EQ(fresh->importState("sessions/v1", "alice 1\ngarbage", &error),
            EPP_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(error, "sessions/v1: bad line at byte 8");
  EXPECT_EQ(scoreFor(*fresh, "alice"), 1.0);  // nothing of the bad image was applied
  // The size limit the host sets is reported as the host's status.
  scoreFor(*fresh, "alice");
  EXPECT_EQ(fresh->exportState(/*maxBytes=*/4).status, EPP_ERR_OUT_OF_RANGE);
  host_.maxStateBytes = 4;
  EXPECT_EQ(host_.handOver(*fresh, *empty).result, epp::testing::FakeHandover::kFailed);
}

TEST_F(StateHandoverTest, TypesWithoutTheMixinAreANoOp) {
  auto a = host_.create(plugin_, "idle-scorer", ParamValue(), "a");
  auto b = host_.create(plugin_, "idle-scorer", ParamValue(), "b");
  EXPECT_FALSE(a->offersStateHandover());
  epp::testing::FakeHandover h = host_.handOver(*a, *b);
  EXPECT_EQ(h.result, epp::testing::FakeHandover::kNotOffered);
  EXPECT_EQ(h.error, "'a' offers no state hand-over");
  EXPECT_THROW(a->exportState(), std::logic_error);
  auto sessions = host_.create(v1_, "sessions");
  EXPECT_EQ(host_.handOver(*sessions, *a).error, "types differ (sessions and idle-scorer)");
}

}  // namespace
