// deploy/systemd: the unit's hardening and reload settings, its config validating, and eppd
// serving with the unit's ExecStart arguments as written, reloading on the unit's SIGHUP.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "tests/deploy/manifest_util.h"
#include "tests/deploy/serve_args.h"
#include "tests/integration/eppd_process.h"
#include "tests/integration/health_client.h"
#include "tests/integration/wait_until.h"

namespace epp::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const fs::path kSystemd = fs::path(DEPLOY_DIR) / "systemd";

// Key=value lines of the [Service] section (the last value of a repeated key).
std::map<std::string, std::string> serviceSection(const std::string& unit) {
  std::map<std::string, std::string> out;
  std::istringstream lines(unit);
  std::string line, section;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#' || line[0] == ' ') continue;
    if (line[0] == '[') {
      section = line;
      continue;
    }
    size_t eq = line.find('=');
    if (section == "[Service]" && eq != std::string::npos) {
      out[line.substr(0, eq)] = line.substr(eq + 1);
    }
  }
  return out;
}

TEST(SystemdUnitTest, UnitIsHardenedAndReloadsWithSighup) {
  auto service = serviceSection(readFile(kSystemd / "eppd.service"));
  EXPECT_TRUE(service["DynamicUser"] == "yes" || !service["User"].empty());
  EXPECT_EQ(service["ProtectSystem"], "strict");
  EXPECT_EQ(service["NoNewPrivileges"], "yes");
  EXPECT_THAT(service["ReadOnlyPaths"], HasSubstr("/etc/eppd"));
  EXPECT_EQ(service["CapabilityBoundingSet"], "");
  EXPECT_EQ(service["ExecReload"], "/bin/kill -HUP $MAINPID");
  EXPECT_EQ(service["Restart"], "on-failure");
  EXPECT_EQ(service["RuntimeDirectory"], "eppd");
}

TEST(SystemdUnitTest, SingleBoxConfigValidates) {
  RunResult r = runEppd("validate " + (kSystemd / "eppd.yaml").string());
  EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("ok (9 plugins, 1 profiles, 4 endpoints)"));
}

TEST(SystemdUnitTest, EppdServesWithExecStartAndReloadsOnSighup) {
  std::string unit = readFile(kSystemd / "eppd.service");
  std::vector<std::string> words = execStartWords(unit);
  ASSERT_GE(words.size(), 2u);
  EXPECT_EQ(words[0], "/usr/bin/eppd");
  EXPECT_EQ(words[1], "serve");
  std::vector<std::string> args(words.begin() + 2, words.end());
  auto value = [&](const std::string& flag) {
    for (size_t i = 0; i + 1 < args.size(); ++i) {
      if (args[i] == flag) return args[i + 1];
    }
    return std::string();
  };
  // The config sits under the read-only path, the plugin cache in the runtime directory
  // (the only place the service may write).
  EXPECT_THAT(value("--config"), StartsWith("/etc/eppd/"));
  EXPECT_THAT(value("--plugin-cache"), StartsWith("/run/eppd/"));

  fs::path dir = fs::temp_directory_path() / ("eppd-systemd-" + std::to_string(::getpid()));
  fs::create_directories(dir / "plugins");
  fs::copy_file(kSystemd / "eppd.yaml", dir / "config.yaml");
  ServeWithArgs eppd(args, {{"--config", (dir / "config.yaml").string()},
                            {"--plugin-dir", (dir / "plugins").string()},
                            {"--plugin-cache", (dir / "cache").string()}});
  ASSERT_TRUE(eppd.serving()) << eppd.error();
  EXPECT_TRUE(checkHealth(eppd.healthTarget(), "liveness").serving());

  // ExecReload: SIGHUP reloads (the file is unchanged, so the outcome is "unchanged").
  const std::string sample = "eppd_config_reload_total{result=\"unchanged\"} ";
  auto unchangedReloads = [&] {
    std::string text = httpRequest(eppd.metricsPort(), "GET", "/metrics").body;
    size_t at = text.find(sample);
    return at == std::string::npos ? -1.0 : std::stod(text.substr(at + sample.size()));
  };
  double before = unchangedReloads();
  ASSERT_EQ(::kill(eppd.pid(), SIGHUP), 0);
  EXPECT_TRUE(waitUntil([&] { return unchangedReloads() >= before + 1; }, std::chrono::seconds(5)))
      << "no reload after SIGHUP: " << unchangedReloads();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace epp::testing
