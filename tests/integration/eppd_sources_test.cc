// The file and dns endpoint sources through the real eppd binary: /endpoints follows an
// endpoint list file as it is rewritten, renamed over and broken, requests are routed to
// the endpoints it names, and a dns source on `localhost` feeds the same path.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/integration/envoy_client.h"
#include "tests/integration/eppd_process.h"

namespace epp::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr char kProfile[] = R"(apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: queue-scorer
- type: max-score-picker
schedulingProfiles:
- name: default
  plugins:
  - {pluginRef: queue-scorer}
  - {pluginRef: max-score-picker}
)";

// "source endpoint" of every endpoint /endpoints lists, sorted.
std::vector<std::string> listed(const EppdProcess& eppd) {
  auto r = httpRequest(eppd.adminPort(), "GET", "/endpoints");
  std::vector<std::string> out;
  if (r.status != 200) return out;
  nlohmann::json doc = nlohmann::json::parse(r.body);
  for (const auto& e : doc["endpoints"]) {
    out.push_back(e["source"].get<std::string>() + " " + e["endpoint"].get<std::string>());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// True once /endpoints lists exactly `want` (sorted), within 5 s.
bool awaitListed(const EppdProcess& eppd, const std::vector<std::string>& want) {
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (listed(eppd) == want) return true;
    std::this_thread::sleep_for(20ms);
  }
  return listed(eppd) == want;
}

std::string chat() { return R"({"model":"m","messages":[{"role":"user","content":"hello"}]})"; }

void writeFile(const fs::path& path, const std::string& text) {
  fs::path tmp = path.parent_path() / ("." + path.filename().string() + ".tmp");
  std::ofstream(tmp, std::ios::trunc) << text;
  fs::rename(tmp, path);  // rename-on-save, as editors do
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "eppd-srcit-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST(EppdSourcesTest, FileSourceIsFollowedWithoutAReloadAndRoutedTo) {
  TempDir dir;
  fs::path list = dir.path() / "eps.yaml";
  writeFile(list, "- {address: 10.2.0.1, port: 8000, scrape: false}\n");
  EppdProcess eppd(std::string(kProfile) +
                   "endpoints:\n- {address: 10.1.0.1, port: 8000, scrape: false}\n"
                   "endpointSources:\n- file: {path: " +
                   list.string() + "}\n");
  ASSERT_TRUE(eppd.started()) << eppd.error();
  ASSERT_TRUE(awaitListed(eppd, {"file 10.2.0.1:8000", "static 10.1.0.1:8000"}))
      << ::testing::PrintToString(listed(eppd));

  EnvoyClient client(eppd.extprocTarget());
  RequestSpec spec;
  spec.body = chat();
  ASSERT_EQ(eppd.setEndpointState(R"({"endpoint":"10.1.0.1:8000","waiting":9})"), 200);
  ASSERT_EQ(eppd.setEndpointState(R"({"endpoint":"10.2.0.1:8000","waiting":0})"), 200);
  RequestResult first = client.process(spec);
  ASSERT_TRUE(first.routed) << first.immediateBody;
  EXPECT_EQ(first.destination, "10.2.0.1:8000");

  // The file changes: the old file endpoint leaves, the new one is routed to.
  writeFile(list,
            "- {address: 10.2.0.2, port: 8000, scrape: false}\n"
            "- {address: 10.2.0.3, port: 8000, scrape: false}\n");
  ASSERT_TRUE(
      awaitListed(eppd, {"file 10.2.0.2:8000", "file 10.2.0.3:8000", "static 10.1.0.1:8000"}))
      << ::testing::PrintToString(listed(eppd));
  ASSERT_EQ(eppd.setEndpointState(R"({"endpoint":"10.2.0.2:8000","waiting":5})"), 200);
  ASSERT_EQ(eppd.setEndpointState(R"({"endpoint":"10.2.0.3:8000","waiting":0})"), 200);
  RequestResult second = client.process(spec);
  ASSERT_TRUE(second.routed) << second.immediateBody;
  EXPECT_EQ(second.destination, "10.2.0.3:8000");

  // Broken: counted, logged with its place, and the endpoints stay.
  writeFile(list, "- {address: 10.2.0.2, port: 8000}\n- {address: 10.2.0.9, port: x}\n");
  std::string sample =
      "eppd_endpoint_source_errors_total{name=\"" + list.string() + "\",source=\"file\"}";
  EXPECT_EQ(eppd.awaitMetric(sample, 1), 1);
  EXPECT_THAT(eppd.log(),
              HasSubstr(list.string() + ":2:29: [1].port: expected an integer, got 'x'"));
  EXPECT_EQ(listed(eppd), (std::vector<std::string>{"file 10.2.0.2:8000", "file 10.2.0.3:8000",
                                                    "static 10.1.0.1:8000"}));
  RequestResult third = client.process(spec);
  EXPECT_EQ(third.destination, "10.2.0.3:8000");
  EXPECT_EQ(eppd.stop(), 0);
}

TEST(EppdSourcesTest, AConfigReloadStartsAndStopsSources) {
  TempDir dir;
  fs::path list = dir.path() / "eps.yaml";
  writeFile(list, "- {address: 10.3.0.1, port: 8000, scrape: false}\n");
  const std::string base =
      std::string(kProfile) + "endpoints:\n- {address: 10.1.0.1, port: 8000, scrape: false}\n";
  EppdProcess eppd(base);
  ASSERT_TRUE(eppd.started()) << eppd.error();
  EXPECT_EQ(listed(eppd), std::vector<std::string>{"static 10.1.0.1:8000"});

  writeFile(eppd.dir() / "config.yaml",
            base + "endpointSources:\n- file: {path: " + list.string() + "}\n");
  auto reload = httpRequest(eppd.adminPort(), "POST", "/reload");
  ASSERT_EQ(reload.status, 200) << reload.body;
  ASSERT_TRUE(awaitListed(eppd, {"file 10.3.0.1:8000", "static 10.1.0.1:8000"}))
      << ::testing::PrintToString(listed(eppd));

  writeFile(eppd.dir() / "config.yaml", base);
  reload = httpRequest(eppd.adminPort(), "POST", "/reload");
  ASSERT_EQ(reload.status, 200) << reload.body;
  ASSERT_TRUE(awaitListed(eppd, {"static 10.1.0.1:8000"}))
      << ::testing::PrintToString(listed(eppd));
  EXPECT_EQ(eppd.stop(), 0);
}

TEST(EppdSourcesTest, DnsSourceOnLocalhost) {
  EppdProcess eppd(std::string(kProfile) +
                   "endpointSources:\n- dns: {name: localhost, port: 8123, interval: 200ms, "
                   "scrape: false, role: decode}\n");
  ASSERT_TRUE(eppd.started()) << eppd.error();
  // 127.0.0.1 always; ::1 as well where the hosts file lists it for localhost.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  std::vector<std::string> seen;
  while (std::chrono::steady_clock::now() < deadline) {
    seen = listed(eppd);
    if (!seen.empty()) break;
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.front(), "dns 127.0.0.1:8123");
  for (const auto& e : seen) {
    EXPECT_TRUE(e == "dns 127.0.0.1:8123" || e == "dns [::1]:8123") << e;
  }
  auto r = httpRequest(eppd.adminPort(), "GET", "/endpoints");
  auto first = nlohmann::json::parse(r.body)["endpoints"][0];
  EXPECT_EQ(first["name"], "localhost/" + first["endpoint"].get<std::string>());
  EXPECT_EQ(first["role"], "decode");

  ASSERT_EQ(eppd.setEndpointState(R"({"endpoint":"127.0.0.1:8123","waiting":0})"), 200);
  EnvoyClient client(eppd.extprocTarget());
  RequestSpec spec;
  spec.body = chat();
  RequestResult routed = client.process(spec);
  ASSERT_TRUE(routed.routed) << routed.immediateBody;
  EXPECT_THAT(routed.destination, ::testing::AnyOf("127.0.0.1:8123", "[::1]:8123"));
  EXPECT_EQ(eppd.metric("eppd_endpoint_source_endpoints{name=\"localhost:8123\",source=\"dns\"}"),
            static_cast<double>(seen.size()));
  EXPECT_EQ(eppd.stop(), 0);
}

}  // namespace
}  // namespace epp::testing
