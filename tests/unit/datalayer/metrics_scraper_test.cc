// The scraper against real HTTP servers on loopback serving captured vLLM /metrics
// outputs, through the real vllm adapter library loaded by the real loader: values land in
// the EndpointStore, follow changes, and failures (timeouts, 500s, garbage, a dead server)
// are counted, shown and turn the endpoint unhealthy until it answers again.
#include "host/datalayer/metrics_scraper.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "host/common/logging.h"
#include "host/common/tls_client.h"
#include "host/loader/plugin_registry.h"
#include "tests/support/metrics_http_server.h"
#include "tests/support/test_pki.h"

namespace epp::datalayer {
namespace {

using ::testing::HasSubstr;
using testing::MetricsHttpServer;
using ::testing::StartsWith;
using Clock = std::chrono::steady_clock;

std::string fixture(const std::string& relative) {
  std::ifstream in(std::filesystem::path(EPP_METRICS_FIXTURES) / relative, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + relative);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string vllm(int waiting, int running, double kv) {
  return "# TYPE vllm:num_requests_waiting gauge\n"
         "vllm:num_requests_waiting{model_name=\"m\"} " +
         std::to_string(waiting) +
         ".0\n"
         "vllm:num_requests_running{model_name=\"m\"} " +
         std::to_string(running) + ".0\nvllm:kv_cache_usage_perc{model_name=\"m\"} " +
         std::to_string(kv) + "\n";
}

class MetricsScraperTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Every suite derived from this one runs this again: one registry serves them all (and
    // stays loaded to the end of the process).
    if (registry_ != nullptr) return;
    registry_ = new loader::PluginRegistry(
        {.cache_dir = std::filesystem::temp_directory_path() / "eppd-scraper-test-cache",
         .host_abi = {}});
    registry_->scan({EPP_BUILTIN_PLUGIN_DIR});
    ASSERT_NE(registry_->find("vllm"), nullptr) << "vllm adapter not in " EPP_BUILTIN_PLUGIN_DIR;
  }

  void SetUp() override {
    auto instance = loader::PluginInstance::create(*registry_->find("vllm"), "vllm");
    ASSERT_TRUE(instance) << instance.error();
    auto adapter = BackendAdapter::create(*instance);
    ASSERT_TRUE(adapter) << adapter.error();
    auto setup = std::make_shared<ScrapeSetup>();
    setup->settings.intervalNs = 20'000'000;
    setup->settings.timeoutNs = 300'000'000;
    setup->settings.healthIntervalNs = 100'000'000;
    setup->settings.failureThreshold = 2;
    setup->settings.stalenessNs = 400'000'000;
    setup->adapters.emplace("vllm", *adapter);
    setup_ = setup;
  }

  void TearDown() override {
    if (scraper_) scraper_->stop();
  }

  EndpointState endpoint(const MetricsHttpServer& server, std::string engine = "vllm") {
    EndpointState s;
    s.address = "127.0.0.1";
    s.port = static_cast<uint32_t>(server.port());
    s.engine = std::move(engine);
    return s;
  }

  void start(std::vector<EndpointState> states) {
    store_.replace(std::move(states));
    scraper_ = std::make_unique<MetricsScraper>(store_, [this] {
      std::lock_guard lock(setupMutex_);
      return setup_;
    });
    scraper_->start();
  }

  // The state of `hostPort` once `ready` holds for it (polls; fails after 5 s).
  EndpointState waitFor(const std::string& hostPort,
                        const std::function<bool(const EndpointState&)>& ready) {
    auto deadline = Clock::now() + std::chrono::seconds(5);
    EndpointState last;
    while (Clock::now() < deadline) {
      auto snap = store_.current();
      int i = snap->find(hostPort);
      if (i >= 0) {
        last = snap->state(static_cast<size_t>(i));
        if (ready(last)) return last;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ADD_FAILURE() << "condition not met for " << hostPort << " within 5 s; last error '"
                  << last.scrapeError << "', waiting " << last.waiting;
    return last;
  }

  static inline loader::PluginRegistry* registry_ = nullptr;
  std::mutex setupMutex_;
  ScrapeSetupPtr setup_;
  EndpointStore store_;
  std::unique_ptr<MetricsScraper> scraper_;
};

TEST_F(MetricsScraperTest, FixtureValuesLandInTheStoreAndFollowChanges) {
  MetricsHttpServer v0, v1;
  v0.setMetrics(fixture("vllm/v0-engine-aibrix-runtime-doc.prom"));
  v1.setMetrics(fixture("vllm/v0.26.0-llmd-router-offload-flag.prom"));
  start({endpoint(v0), endpoint(v1)});

  EndpointState a = waitFor(v0.hostPort(), [](const auto& s) { return s.hasMetrics; });
  EXPECT_EQ(a.waiting, 0);
  EXPECT_EQ(a.running, 0);
  EXPECT_EQ(a.kvCacheUsage, 0.0);
  EXPECT_EQ(a.maxLoras, 0);
  EXPECT_EQ(a.cacheBlockSize, 16);
  EXPECT_EQ(a.cacheNumBlocks, 81767);
  EXPECT_EQ(a.engineLabels["model_name"], "Qwen/Qwen2.5-Coder-1.5B-Instruct");
  EXPECT_EQ(a.health, EPP_HEALTH_HEALTHY);
  EXPECT_GT(a.metricsUpdatedNs, 0);
  EndpointState b = waitFor(v1.hostPort(), [](const auto& s) { return s.hasMetrics; });
  EXPECT_EQ(b.cacheNumBlocks, 74272);

  v0.setMetrics(vllm(7, 3, 0.25) +
                "vllm:lora_requests_info{max_lora=\"2\",running_lora_adapters=\"a,b\","
                "waiting_lora_adapters=\"c\"} 1.9e+09\n");
  EndpointState changed = waitFor(v0.hostPort(), [](const auto& s) { return s.waiting == 7; });
  EXPECT_EQ(changed.running, 3);
  EXPECT_DOUBLE_EQ(changed.kvCacheUsage, 0.25);
  EXPECT_EQ(changed.maxLoras, 2);
  EXPECT_EQ(changed.activeLoras, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(changed.waitingLoras, (std::vector<std::string>{"c"}));
  // Many collections over one kept-alive connection; /health is asked less often.
  int scrapes = v0.hits("/metrics");
  EXPECT_GE(scrapes, 2);
  EXPECT_EQ(v0.connections(), 1);
  EXPECT_LT(v0.hits("/health"), scrapes);
  EXPECT_GE(v0.hits("/health"), 1);
}

TEST_F(MetricsScraperTest, ServerErrorsGarbageAndTimeoutsAreCountedAndMarkUnhealthy) {
  MetricsHttpServer failing, garbage, slow;
  failing.set("/metrics", {500, "boom", "text/plain"});
  garbage.set("/metrics", {200, "<html>oops</html>\n", "text/plain"});
  MetricsHttpServer::Reply late;
  late.body = vllm(1, 1, 0.1);
  late.delay = std::chrono::milliseconds(2000);
  slow.set("/metrics", late);
  start({endpoint(failing), endpoint(garbage), endpoint(slow)});

  EndpointState f =
      waitFor(failing.hostPort(), [](const auto& s) { return s.health == EPP_HEALTH_UNHEALTHY; });
  EXPECT_EQ(f.scrapeError, "/metrics: HTTP 500");
  EXPECT_GE(f.consecutiveFailures, 2);
  EXPECT_FALSE(f.hasMetrics);
  EndpointState g =
      waitFor(garbage.hostPort(), [](const auto& s) { return s.health == EPP_HEALTH_UNHEALTHY; });
  EXPECT_EQ(g.scrapeError,
            "/metrics: line 1, column 1: expected a metric name, got '<html>oops</html>'");
  EndpointState t = waitFor(slow.hostPort(), [](const auto& s) { return !s.scrapeError.empty(); });
  EXPECT_EQ(t.scrapeError, "/metrics: no complete answer within 300 ms");

  // A server that answers again comes back.
  failing.setMetrics(vllm(4, 0, 0.5));
  EndpointState back =
      waitFor(failing.hostPort(), [](const auto& s) { return s.health == EPP_HEALTH_HEALTHY; });
  EXPECT_EQ(back.waiting, 4);
  EXPECT_EQ(back.consecutiveFailures, 0);
  EXPECT_EQ(back.scrapeError, "");
}

TEST_F(MetricsScraperTest, AServerWhoseHealthFailsLeavesWithALoggedReasonAndComesBack) {
  std::ostringstream logged;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(logged);
  common::logger()->sinks().push_back(sink);
  MetricsHttpServer server;
  server.setMetrics(vllm(1, 0, 0.1));
  server.set("/health", {500, "engine dead", "text/plain"});
  start({endpoint(server)});
  // Its metrics parse, but it says it cannot serve: out, and /endpoints says why.
  EndpointState out =
      waitFor(server.hostPort(), [](const auto& s) { return s.health == EPP_HEALTH_UNHEALTHY; });
  EXPECT_TRUE(out.hasMetrics);
  EXPECT_EQ(out.scrapeError, "/health: HTTP 500: unhealthy");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // several probes, one warning
  EXPECT_EQ(waitFor(server.hostPort(), [](const auto&) { return true; }).scrapeError,
            "/health: HTTP 500: unhealthy");
  server.set("/health", {200, "", "text/plain"});
  EndpointState back =
      waitFor(server.hostPort(), [](const auto& s) { return s.health == EPP_HEALTH_HEALTHY; });
  EXPECT_EQ(back.scrapeError, "");
  scraper_->stop();
  auto& sinks = common::logger()->sinks();
  sinks.erase(std::remove(sinks.begin(), sinks.end(), sink), sinks.end());
  const std::string text = logged.str();
  const std::string warning = "scrape " + server.hostPort() +
                              ": /health: HTTP 500: unhealthy: no requests go there until it is "
                              "healthy again";
  EXPECT_THAT(text, HasSubstr(warning));
  EXPECT_EQ(text.find(warning), text.rfind(warning)) << text;
  EXPECT_THAT(text, HasSubstr("scrape " + server.hostPort() + ": healthy again"));
}

TEST_F(MetricsScraperTest, DeadServerGoesUnhealthyAndStaleThenRecoversOnANewServer) {
  auto server = std::make_unique<MetricsHttpServer>();
  server->setMetrics(vllm(2, 1, 0.3));
  int port = server->port();
  start({endpoint(*server)});
  std::string hostPort = server->hostPort();
  EXPECT_EQ(waitFor(hostPort, [](const auto& s) { return s.hasMetrics; }).waiting, 2);
  server.reset();  // killed: connections reset, then refused
  EndpointState dead =
      waitFor(hostPort, [](const auto& s) { return s.health == EPP_HEALTH_UNHEALTHY; });
  EXPECT_THAT(dead.scrapeError, StartsWith("connect: "));
  EXPECT_EQ(dead.waiting, 2);  // the last known state stays, flagged below
  EndpointState stale = waitFor(hostPort, [](const auto& s) { return s.stale; });
  EXPECT_TRUE(stale.hasMetrics);
  (void)port;
}

TEST_F(MetricsScraperTest, BodyLargerThanTheLimitIsRefused) {
  {
    std::lock_guard lock(setupMutex_);
    auto setup = std::make_shared<ScrapeSetup>(*setup_);
    setup->settings.maxBodyBytes = 64 * 1024;
    setup_ = setup;
  }
  MetricsHttpServer big;
  std::string body = vllm(1, 1, 0.1);
  while (body.size() < 100 * 1024) body += "# padding padding padding padding padding padding\n";
  big.setMetrics(body);
  start({endpoint(big)});
  EndpointState s = waitFor(big.hostPort(), [](const auto& st) { return !st.scrapeError.empty(); });
  EXPECT_EQ(s.scrapeError, "/metrics: response body exceeds 65536 bytes");
  EXPECT_FALSE(s.hasMetrics);
}

// scheme https: the scraper verifies the server against the configured CA (the certificate
// names 127.0.0.1) and keeps its TLS connection alive; a server whose CA it does not trust
// is a failed collection with reason tls, unless insecureSkipVerify.
class HttpsScraperTest : public MetricsScraperTest {
 protected:
  void SetUp() override {
    MetricsScraperTest::SetUp();
    std::string pattern =
        (std::filesystem::temp_directory_path() / "eppd-scrape-tls-XXXXXX").string();
    dir_ = ::mkdtemp(pattern.data());
    pki_ = testing::TestPki::create(dir_);
  }
  void TearDown() override {
    MetricsScraperTest::TearDown();
    std::filesystem::remove_all(dir_);
  }
  void useHttps(const std::string& caFile, bool insecure) {
    auto tls = common::makeTlsClientContext({caFile, insecure});
    ASSERT_TRUE(tls) << tls.error();
    std::lock_guard lock(setupMutex_);
    auto setup = std::make_shared<ScrapeSetup>(*setup_);
    setup->settings.scheme = "https";
    setup->settings.insecureSkipVerify = insecure;
    setup->tls = *tls;
    setup_ = setup;
  }
  std::filesystem::path dir_;
  testing::TestPki pki_;
};

TEST_F(HttpsScraperTest, AServerTheCaVouchesForIsScrapedOverOneKeptAliveConnection) {
  useHttps(pki_.caCert.string(), false);
  MetricsHttpServer server(pki_.serverCert, pki_.serverKey);
  server.setMetrics(vllm(7, 3, 0.25));
  start({endpoint(server)});
  EndpointState s = waitFor(server.hostPort(), [](const auto& st) { return st.hasMetrics; });
  EXPECT_EQ(s.waiting, 7);
  EXPECT_EQ(s.running, 3);
  EXPECT_DOUBLE_EQ(s.kvCacheUsage, 0.25);
  server.setMetrics(vllm(1, 3, 0.25));
  waitFor(server.hostPort(), [](const auto& st) { return st.waiting == 1; });
  EXPECT_GE(server.hits("/metrics"), 2);
  EXPECT_EQ(server.connections(), 1);  // one handshake, then keep-alive
  EXPECT_EQ(server.failedHandshakes(), 0);
}

TEST_F(HttpsScraperTest, AnUntrustedCertificateIsAFailedCollectionUnlessVerificationIsOff) {
  testing::TestPki other = testing::TestPki::create(dir_, "other");
  useHttps(other.caCert.string(), false);
  MetricsHttpServer server(pki_.serverCert, pki_.serverKey);
  server.setMetrics(vllm(7, 3, 0.25));
  start({endpoint(server)});
  EndpointState s =
      waitFor(server.hostPort(), [](const auto& st) { return st.consecutiveFailures >= 2; });
  EXPECT_THAT(s.scrapeError, StartsWith("TLS handshake: certificate verify failed"));
  EXPECT_FALSE(s.hasMetrics);
  EXPECT_EQ(s.health, EPP_HEALTH_UNHEALTHY);
  EXPECT_EQ(server.hits("/metrics"), 0);  // nothing was sent to it

  useHttps(other.caCert.string(), /*insecure=*/true);  // a reload turns verification off
  s = waitFor(server.hostPort(), [](const auto& st) { return st.hasMetrics; });
  EXPECT_EQ(s.waiting, 7);
  EXPECT_EQ(s.health, EPP_HEALTH_HEALTHY);
}

TEST_F(HttpsScraperTest, PlainHttpToATlsServerFails) {
  MetricsHttpServer server(pki_.serverCert, pki_.serverKey);
  server.setMetrics(vllm(7, 3, 0.25));
  start({endpoint(server)});
  EndpointState s =
      waitFor(server.hostPort(), [](const auto& st) { return !st.scrapeError.empty(); });
  EXPECT_FALSE(s.hasMetrics);
  EXPECT_EQ(server.hits("/metrics"), 0);
}

TEST_F(MetricsScraperTest, ManualAndUnscrapedEndpointsAreLeftAlone) {
  MetricsHttpServer server;
  server.setMetrics(vllm(9, 9, 0.9));
  EndpointState manual = endpoint(server);
  manual.manual = true;
  manual.hasMetrics = true;
  manual.waiting = 1;
  MetricsHttpServer other;
  other.setMetrics(vllm(9, 9, 0.9));
  EndpointState off = endpoint(other);
  off.scrape = false;
  MetricsHttpServer watched;
  watched.setMetrics(vllm(3, 0, 0.0));
  start({manual, off, endpoint(watched)});
  // Once the scraped endpoint has been collected twice, the others would have been too.
  waitFor(watched.hostPort(), [&](const auto&) { return watched.hits("/metrics") >= 2; });
  EXPECT_EQ(server.hits("/metrics"), 0);
  EXPECT_EQ(other.hits("/metrics"), 0);
  auto snap = store_.current();
  EXPECT_EQ(snap->state(static_cast<size_t>(snap->find(server.hostPort()))).waiting, 1);
  EXPECT_FALSE(snap->state(static_cast<size_t>(snap->find(other.hostPort()))).hasMetrics);
}

TEST_F(MetricsScraperTest, EndpointSetChangesAreFollowed) {
  MetricsHttpServer first, second;
  first.setMetrics(vllm(1, 0, 0.0));
  second.setMetrics(vllm(5, 0, 0.0));
  start({endpoint(first)});
  waitFor(first.hostPort(), [](const auto& s) { return s.hasMetrics; });
  store_.replace({endpoint(second)});  // a reload or a source replaced the set
  EXPECT_EQ(waitFor(second.hostPort(), [](const auto& s) { return s.hasMetrics; }).waiting, 5);
  int before = first.hits("/metrics");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_LE(first.hits("/metrics"), before + 1);  // at most the collection in flight
}

// An endpoint that leaves while its collection is waiting for the answer leaves cleanly and
// the other endpoint keeps being scraped. (The stream used to be destroyed under the read;
// ASan caught the read continuing on it once, with a Kubernetes pod leaving just as its
// answer arrived — a window this test opens but does not hit every time.)
TEST_F(MetricsScraperTest, AnEndpointRemovedWhileItsCollectionIsInFlightLeavesCleanly) {
  MetricsHttpServer slow, other;
  MetricsHttpServer::Reply late;
  late.body = vllm(1, 0, 0.0);
  late.delay = std::chrono::milliseconds(200);
  slow.set("/metrics", late);
  other.setMetrics(vllm(2, 0, 0.0));
  start({endpoint(slow), endpoint(other)});
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (slow.hits("/metrics") == 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_GT(slow.hits("/metrics"), 0);
  store_.replace({endpoint(other)});  // the slow one leaves mid-collection
  other.setMetrics(vllm(7, 0, 0.0));
  EXPECT_EQ(waitFor(other.hostPort(), [](const auto& s) { return s.waiting == 7; }).waiting, 7);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // past the slow answer
  EXPECT_LT(store_.current()->find(slow.hostPort()), 0);
}

TEST_F(MetricsScraperTest, UnknownEngineIsReportedPerEndpoint) {
  MetricsHttpServer server;
  server.setMetrics(vllm(1, 0, 0.0));
  start({endpoint(server, "tgi")});
  EndpointState s =
      waitFor(server.hostPort(), [](const auto& st) { return st.health == EPP_HEALTH_UNHEALTHY; });
  EXPECT_EQ(s.scrapeError, "no backend adapter for engine 'tgi'");
  EXPECT_EQ(server.hits("/metrics"), 0);
}

}  // namespace
}  // namespace epp::datalayer
