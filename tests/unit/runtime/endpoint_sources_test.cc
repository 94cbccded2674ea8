// The file and dns endpoint sources: their config, the endpoint list file, and both
// sources feeding a real EndpointStore beside static endpoints (a real directory watched
// with inotify; resolvers backed by a hosts file the test writes, and the system's).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "host/common/metrics_registry.h"
#include "host/config/picker_config.h"
#include "host/runtime/endpoint_sources.h"
#include "host/runtime/file_endpoint_source.h"
#include "host/runtime/static_endpoints.h"

namespace epp::runtime {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr std::string_view kHeader =
    "apiVersion: inference.networking.x-k8s.io/v1alpha1\nkind: EndpointPickerConfig\n";

// Polls `done` until it holds or 5 s pass (a loaded 2-core machine is slow, not wrong).
template <class F>
bool eventually(F done) {
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return done();
}

// "source pool ip:port" of every endpoint in the store, in order.
std::vector<std::string> listing(const datalayer::EndpointStore& store) {
  auto snap = store.current();
  std::vector<std::string> out;
  for (size_t i = 0; i < snap->size(); ++i) {
    const auto& s = snap->state(i);
    out.push_back(s.source + " " + s.pool + " " + s.hostPort());
  }
  return out;
}

// eppd_endpoint_source_errors_total of the source named `name`, or -1 when absent.
double sourceErrors(const std::string& name) {
  for (const auto& family : common::metricsRegistry().Collect()) {
    if (family.name != "eppd_endpoint_source_errors_total") continue;
    for (const auto& metric : family.metric) {
      for (const auto& label : metric.label) {
        if (label.name == "name" && label.value == name) return metric.counter.value;
      }
    }
  }
  return -1;
}

void writeFile(const fs::path& path, std::string_view text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

// Writes beside `path` and renames over it, as editors and `kubectl cp` tooling do.
void renameOver(const fs::path& path, std::string_view text) {
  fs::path tmp = path.parent_path() / (".tmp-" + path.filename().string());
  writeFile(tmp, text);
  fs::rename(tmp, path);
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "eppd-sources-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST(EndpointListTest, YamlAndJsonListsParseLikeEndpointsEntries) {
  auto yaml = config::parseEndpointList(
      "- address: 10.0.0.1\n  port: 8000\n- {address: '::1', port: 9000, pool: p, role: decode, "
      "engine: sglang, name: b}\n",
      "eps.yaml");
  ASSERT_TRUE(yaml) << yaml.error();
  ASSERT_EQ(yaml->size(), 2u);
  EXPECT_EQ((*yaml)[0].name, "10.0.0.1:8000");
  EXPECT_EQ((*yaml)[0].engine, "vllm");
  EXPECT_EQ((*yaml)[1].address, "::1");
  EXPECT_EQ((*yaml)[1].pool, "p");
  EXPECT_EQ((*yaml)[1].engine, "sglang");
  EXPECT_EQ((*yaml)[1].labels.at("llm-d.ai/role"), "decode");

  auto json = config::parseEndpointList(
      R"([{"address": "10.0.0.2", "port": 8001, "labels": {"zone": "a"}}])", "eps.json");
  ASSERT_TRUE(json) << json.error();
  ASSERT_EQ(json->size(), 1u);
  EXPECT_EQ((*json)[0].labels.at("zone"), "a");

  auto none = config::parseEndpointList("[]\n", "eps.yaml");
  ASSERT_TRUE(none) << none.error();
  EXPECT_TRUE(none->empty());
  // An empty file is refused: it is what a reader sees while a writer truncates.
  EXPECT_EQ(config::parseEndpointList(" \n", "eps.yaml").error(),
            "eps.yaml: the endpoint list file is empty (write [] for no endpoints)");
}

TEST(EndpointListTest, MistakesCarryFileLineAndColumn) {
  EXPECT_THAT(config::parseEndpointList("- address: 10.0.0.1\n  port: 99999\n", "eps.yaml").error(),
              HasSubstr("eps.yaml:2:9: [0].port: must be between 1 and 65535, got 99999"));
  EXPECT_THAT(config::parseEndpointList("- address: 10.0.0.1\n  prot: 80\n", "eps.yaml").error(),
              HasSubstr("eps.yaml:2:3"));
  EXPECT_THAT(config::parseEndpointList("endpoints: []\n", "eps.yaml").error(),
              HasSubstr("eps.yaml:1:1: eps.yaml: an endpoint list must be a list, not a map"));
  EXPECT_THAT(config::parseEndpointList("- [unclosed\n", "eps.yaml").error(),
              HasSubstr("eps.yaml:"));
  EXPECT_THAT(config::parseEndpointList(
                  "- {address: 10.0.0.1, port: 1}\n- {address: 10.0.0.1, port: 1}\n", "e.yaml")
                  .error(),
              HasSubstr("e.yaml:2:13: [1]: endpoint 10.0.0.1:1 is listed twice (first at line 1)"));
}

TEST(EndpointSourcesConfigTest, FileAndDnsEntries) {
  TempDir dir;
  fs::path file = dir.path() / "eppd.yaml";
  writeFile(file, std::string(kHeader) +
                      "endpointSources:\n"
                      "- file: {path: eps/list.yaml}\n"
                      "- dns: {name: vllm.ns.svc, port: 8000, interval: 2s, pool: gpu, role: "
                      "decode, engine: sglang, labels: {zone: a}, scrape: false}\n"
                      "- dns: {name: other.ns.svc, port: 8000}\n");
  auto config = config::loadConfigFile(file.string());
  ASSERT_TRUE(config) << config.error();
  ASSERT_EQ(config->endpointSources.size(), 3u);
  const auto& f = config->endpointSources[0];
  EXPECT_EQ(f.kind, config::EndpointSourceSpec::Kind::kFile);
  EXPECT_EQ(f.path, (dir.path() / "eps/list.yaml").string());  // relative to the config
  const auto& d = config->endpointSources[1];
  EXPECT_EQ(d.kind, config::EndpointSourceSpec::Kind::kDns);
  EXPECT_EQ(d.host, "vllm.ns.svc");
  EXPECT_EQ(d.port, 8000u);
  EXPECT_EQ(d.intervalNs, 2'000'000'000);
  EXPECT_EQ(d.attributes.pool, "gpu");
  EXPECT_EQ(d.attributes.engine, "sglang");
  EXPECT_EQ(d.attributes.role, "decode");
  EXPECT_EQ(d.attributes.labels.at("zone"), "a");
  EXPECT_FALSE(d.attributes.scrape);
  EXPECT_EQ(config->endpointSources[2].intervalNs, 5'000'000'000);  // the default
  EXPECT_EQ(config->endpointSources[2].attributes.pool, "default");
}

TEST(EndpointSourcesConfigTest, MistakesAreReportedWithTheirPlace) {
  auto error = [](std::string body) {
    auto config = config::parseConfig(std::string(kHeader) + body, "eppd.yaml");
    return config ? std::string("(no error)") : config.error();
  };
  EXPECT_THAT(error("endpointSources:\n- file: {path: a}\n  dns: {name: x, port: 1}\n"),
              HasSubstr("eppd.yaml:4:3: endpointSources[0]: write exactly one of file, dns or "
                        "kubernetes"));
  EXPECT_THAT(error("endpointSources:\n- dns: {name: x}\n"),
              HasSubstr("eppd.yaml:4:8: endpointSources[0].dns: missing required key 'port'"));
  EXPECT_THAT(error("endpointSources:\n- dns: {name: x, port: 1, interval: 10ms}\n"),
              HasSubstr("endpointSources[0].dns.interval: must be at least 100ms"));
  EXPECT_THAT(error("endpointSources:\n- dns: {name: x, port: 1, pol: a}\n"),
              HasSubstr("eppd.yaml:4:27"));
  EXPECT_THAT(error("endpointSources:\n- file: {path: a}\n- file: {path: a}\n"),
              HasSubstr("eppd.yaml:5:16: endpointSources[1]: endpoint source file:a is listed "
                        "twice (first at line 4)"));
  EXPECT_THAT(error("endpointSources:\n- consul: {}\n"), HasSubstr("eppd.yaml:4:3"));
}

// A config with one static endpoint and a file source on `list`.
config::PickerConfig staticAndFile(const fs::path& list) {
  auto config =
      config::parseConfig(std::string(kHeader) + "endpoints:\n- {address: 10.9.9.9, port: 7000}\n" +
                              "endpointSources:\n- file: {path: " + list.string() + "}\n",
                          "<text>");
  if (!config) ADD_FAILURE() << config.error();
  return *config;
}

TEST(FileEndpointSourceTest, FollowsWritesRenamesAndKeepsTheLastGoodListOnErrors) {
  TempDir dir;
  fs::path list = dir.path() / "eps.yaml";
  writeFile(list, "- {address: 10.0.0.1, port: 8000}\n- {address: 10.0.0.2, port: 8000}\n");
  config::PickerConfig config = staticAndFile(list);

  datalayer::EndpointStore store;
  store.replace(staticEndpoints(config));
  std::atomic<int> changes{0};
  EndpointSources sources(store, [&] { ++changes; });
  sources.apply(config.endpointSources);
  EXPECT_THAT(listing(store),
              ElementsAre("static default 10.9.9.9:7000", "file default 10.0.0.1:8000",
                          "file default 10.0.0.2:8000"));
  EXPECT_GE(changes.load(), 1);
  EXPECT_EQ(sourceErrors(list.string()), 0);

  // What the data layer learnt and the in-flight count survive a re-read.
  store.update([](std::vector<datalayer::EndpointState>& states) {
    states[1].hasMetrics = true;
    states[1].waiting = 7;
    return true;
  });
  store.current()->addInflight(1, 3);

  // Written in place: one endpoint leaves, one comes.
  writeFile(list, "- {address: 10.0.0.1, port: 8000}\n- {address: 10.0.0.3, port: 8000}\n");
  ASSERT_TRUE(eventually([&] {
    return listing(store) == std::vector<std::string>{"static default 10.9.9.9:7000",
                                                      "file default 10.0.0.1:8000",
                                                      "file default 10.0.0.3:8000"};
  })) << ::testing::PrintToString(listing(store));
  auto snap = store.current();
  int kept = snap->find("10.0.0.1:8000");
  ASSERT_GE(kept, 0);
  EXPECT_TRUE(snap->state(kept).hasMetrics);
  EXPECT_EQ(snap->state(kept).waiting, 7);
  EXPECT_EQ(snap->inflight(kept), 3);
  EXPECT_FALSE(snap->state(snap->find("10.0.0.3:8000")).hasMetrics);

  // Broken: the last good list stays.
  uint64_t version = store.current()->version();
  writeFile(list, "- {address: 10.0.0.1, port: 8000}\n- {address: not-an-ip, port: 8000}\n");
  // Renamed over with a good list: followed.
  ASSERT_TRUE(eventually([&] { return sourceErrors(list.string()) == 1; }))
      << sourceErrors(list.string());
  EXPECT_EQ(store.current()->version(), version) << "a broken file must not publish";
  EXPECT_EQ(listing(store).size(), 3u);
  renameOver(list, "- {address: 10.0.0.4, port: 8000, pool: other}\n");
  ASSERT_TRUE(eventually([&] {
    return listing(store) ==
           std::vector<std::string>{"static default 10.9.9.9:7000", "file other 10.0.0.4:8000"};
  })) << ::testing::PrintToString(listing(store));

  // Removing the source (a reload without it) takes its endpoints away.
  sources.apply({});
  EXPECT_THAT(listing(store), ElementsAre("static default 10.9.9.9:7000"));
}

TEST(FileEndpointSourceTest, AReloadKeepsOtherSourcesEndpointsAndStaticOnesWin) {
  TempDir dir;
  fs::path list = dir.path() / "eps.yaml";
  writeFile(list, "- {address: 10.0.0.1, port: 8000}\n- {address: 10.0.0.2, port: 8000}\n");
  config::PickerConfig config = staticAndFile(list);
  datalayer::EndpointStore store;
  store.replace(staticEndpoints(config));
  EndpointSources sources(store, {});
  sources.apply(config.endpointSources);
  ASSERT_EQ(store.current()->size(), 3u);

  // The reload's static list now names 10.0.0.2: the static entry wins, the file's other
  // endpoint stays.
  auto reloaded = config::parseConfig(
      std::string(kHeader) + "endpoints:\n- {address: 10.0.0.2, port: 8000, name: s}\n", "<text>");
  ASSERT_TRUE(reloaded) << reloaded.error();
  store.update([&](std::vector<datalayer::EndpointState>& states) {
    states = mergeStaticEndpoints(*reloaded, states);
    return true;
  });
  EXPECT_THAT(listing(store),
              ElementsAre("static default 10.0.0.2:8000", "file default 10.0.0.1:8000"));
}

TEST(FileEndpointSourceTest, ErrorsAreCountedWithFileLineAndColumn) {
  TempDir dir;
  fs::path list = dir.path() / "eps.yaml";
  writeFile(list, "- {address: 10.0.0.1, port: 8000}\n");
  std::mutex mutex;
  std::vector<std::string> errors;
  std::vector<size_t> published;
  FileEndpointSource source(
      list.string(),
      [&](std::vector<config::EndpointSpec> l) {
        std::lock_guard lock(mutex);
        published.push_back(l.size());
      },
      [&](const std::string& e) {
        std::lock_guard lock(mutex);
        errors.push_back(e);
      });
  ASSERT_TRUE(source.start());
  EXPECT_EQ(source.goodReads(), 1u);

  writeFile(list, "- {address: 10.0.0.1, port: 8000}\n- {address: 10.0.0.2, port: 0}\n");
  ASSERT_TRUE(eventually([&] { return source.failedReads() >= 1; }));
  EXPECT_THAT(source.lastError(), HasSubstr(list.string() + ":2:29: [1].port"));
  {
    std::lock_guard lock(mutex);
    ASSERT_FALSE(errors.empty());
    EXPECT_THAT(errors.back(), HasSubstr(":2:29:"));
    EXPECT_THAT(published, ElementsAre(1u));
  }

  fs::remove(list);
  ASSERT_TRUE(
      eventually([&] { return source.lastError().find("No such file") != std::string::npos; }));
  renameOver(list, "- {address: 10.0.0.1, port: 8000}\n- {address: 10.0.0.2, port: 1}\n");
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return published.size() == 2 && published.back() == 2u;
  }));
  EXPECT_EQ(source.lastError(), "");
  source.stop();
}

// A resolver answering from a hosts file ("ADDRESS NAME..." lines), as /etc/hosts does.
DnsResolver hostsFileResolver(fs::path hosts, std::atomic<int>* calls) {
  return [hosts, calls](boost::asio::io_context&, const std::string& host,
                        std::function<void(common::Result<std::vector<std::string>>)> done) {
    ++*calls;
    std::ifstream in(hosts);
    if (!in) {
      done(common::Error{"hosts file unreadable"});
      return;
    }
    std::vector<std::string> out;
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream words(line);
      std::string address, name;
      words >> address;
      while (words >> name) {
        if (name == host) out.push_back(address);
      }
    }
    if (out.empty()) {
      done(common::Error{"resolving " + host + ": Host not found"});
    } else {
      done(out);
    }
  };
}

TEST(DnsEndpointSourceTest, EveryAddressIsAnEndpointAndFailuresKeepTheLastSet) {
  TempDir dir;
  fs::path hosts = dir.path() / "hosts";
  writeFile(hosts, "127.0.0.1 backends.test localhost\n::1 backends.test\n10.1.1.1 other\n");
  auto config = config::parseConfig(
      std::string(kHeader) +
          "endpointSources:\n- dns: {name: backends.test, port: 8123, interval: 100ms, role: "
          "prefill}\n",
      "<text>");
  ASSERT_TRUE(config) << config.error();

  datalayer::EndpointStore store;
  std::atomic<int> calls{0};
  EndpointSources sources(store, {}, hostsFileResolver(hosts, &calls));
  sources.apply(config->endpointSources);
  ASSERT_TRUE(eventually([&] {
    return listing(store) ==
           std::vector<std::string>{"dns default 127.0.0.1:8123", "dns default [::1]:8123"};
  })) << ::testing::PrintToString(listing(store));
  auto snap = store.current();
  EXPECT_EQ(snap->state(0).name, "backends.test/127.0.0.1:8123");
  EXPECT_EQ(snap->state(1).name, "backends.test/[::1]:8123");
  EXPECT_EQ(snap->state(1).role, "prefill");
  EXPECT_EQ(snap->state(1).labels.at("llm-d.ai/role"), "prefill");
  store.current()->addInflight(0, 2);

  // The name stops resolving: the set stays while the source keeps asking.
  uint64_t version = store.current()->version();
  writeFile(hosts, "10.1.1.1 other\n");
  int before = calls.load();
  ASSERT_TRUE(eventually([&] { return calls.load() >= before + 3; }));
  EXPECT_EQ(store.current()->version(), version);
  EXPECT_EQ(listing(store).size(), 2u);
  EXPECT_GE(sourceErrors("backends.test:8123"), 2);  // every failed resolution counts

  // It resolves again, to one address: followed, and the one that stays kept its count.
  writeFile(hosts, "127.0.0.1 backends.test\n");
  ASSERT_TRUE(eventually([&] {
    return listing(store) == std::vector<std::string>{"dns default 127.0.0.1:8123"};
  })) << ::testing::PrintToString(listing(store));
  EXPECT_EQ(store.current()->inflight(0), 2);
}

TEST(DnsEndpointSourceTest, SystemResolverAnswersLocalhostFromTheHostsFile) {
  auto config = config::parseConfig(
      std::string(kHeader) + "endpointSources:\n- dns: {name: localhost, port: 8124}\n", "<text>");
  ASSERT_TRUE(config) << config.error();
  datalayer::EndpointStore store;
  EndpointSources sources(store, {});
  sources.apply(config->endpointSources);
  ASSERT_TRUE(eventually([&] { return store.current()->size() > 0; }));
  auto all = listing(store);
  // 127.0.0.1 always; ::1 too where /etc/hosts lists it for localhost.
  EXPECT_THAT(all, ::testing::Contains("dns default 127.0.0.1:8124"));
  for (const auto& e : all) {
    EXPECT_TRUE(e == "dns default 127.0.0.1:8124" || e == "dns default [::1]:8124") << e;
  }
}

TEST(DnsEndpointSourceTest, AnUnknownNameIsAnErrorAndPublishesNothing) {
  auto config = config::parseConfig(
      std::string(kHeader) + "endpointSources:\n- dns: {name: nothing.invalid, port: 1}\n",
      "<text>");
  ASSERT_TRUE(config) << config.error();
  std::mutex mutex;
  std::vector<std::string> errors;
  int published = 0;
  boost::asio::io_context io;
  std::atomic<int> calls{0};
  TempDir dir;
  writeFile(dir.path() / "hosts", "127.0.0.1 localhost\n");
  auto source = DnsEndpointSource::create(
      io, config->endpointSources[0], hostsFileResolver(dir.path() / "hosts", &calls),
      [&](std::vector<config::EndpointSpec>) { ++published; },
      [&](const std::string& e) {
        std::lock_guard lock(mutex);
        errors.push_back(e);
      });
  source->start();
  io.run_for(200ms);
  source->stop();
  EXPECT_EQ(source->failures(), 1u);
  EXPECT_EQ(published, 0);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "resolving nothing.invalid: Host not found");
}

}  // namespace
}  // namespace epp::runtime
