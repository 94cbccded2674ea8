// The five scenarios of configs/scenarios/, short, against the real eppd and eppd-sim: the
// same code eppd-scenarios runs, each promise asserted.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "tools/scenarios/scenario.h"

namespace epp::scenarios {
namespace {

void runShort(const std::string& name) {
  Options options;
  options.shortRun = true;
  options.configsDir = EPP_SCENARIO_CONFIGS_DIR;
  options.out = &std::cout;
  for (const Scenario& s : allScenarios()) {
    if (name != s.name) continue;
    Report report = s.run(options);
    std::cout << formatChecks(report);
    for (const Check& c : report.checks()) {
      EXPECT_TRUE(c.held) << c.promise << ": " << c.detail;
    }
    EXPECT_TRUE(report.ok());
    return;
  }
  FAIL() << "no scenario " << name;
}

TEST(EppdScenariosTest, LoraPriority) { runShort("lora-priority"); }
TEST(EppdScenariosTest, LoadSpread) { runShort("load-spread"); }
TEST(EppdScenariosTest, BurstShedding) { runShort("burst-shedding"); }
TEST(EppdScenariosTest, ManyEndpoints) { runShort("many-endpoints"); }
TEST(EppdScenariosTest, LoraFallback) { runShort("lora-fallback"); }

TEST(EppdScenariosTest, EveryScenarioHasItsConfigAndItsReadmeSection) {
  const std::filesystem::path dir = EPP_SCENARIO_CONFIGS_DIR;
  std::ifstream in(dir / "README.md");
  std::stringstream readme;
  readme << in.rdbuf();
  ASSERT_EQ(allScenarios().size(), 5u);
  for (const Scenario& s : allScenarios()) {
    EXPECT_TRUE(std::filesystem::exists(dir / (std::string(s.name) + ".yaml"))) << s.name;
    EXPECT_NE(readme.str().find(std::string("`") + s.name + "`"), std::string::npos) << s.name;
  }
}

}  // namespace
}  // namespace epp::scenarios
