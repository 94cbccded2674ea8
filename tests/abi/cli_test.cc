// The eppd executable as a user runs it: `plugins list`, `plugins inspect`, `version`,
// the not-yet-implemented commands, exit codes and where the output goes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "test_support.h"

namespace epp::cli {
namespace {

// The ABI this eppd speaks, as `eppd plugins` prints it.
const std::string kAbi = "1." + std::to_string(EPP_ABI_MINOR);

using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;
using testing_abi::TempDir;

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class CliTest : public ::testing::Test {
 protected:
  Outcome eppd(const std::string& args) {
    fs::path out = dir_ / "stdout";
    fs::path err = dir_ / "stderr";
    std::string command = std::string("'") + EPPD_PATH + "' " + args + " >'" + out.string() +
                          "' 2>'" + err.string() + "'";
    int status = std::system(command.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
  }
  std::string listArgs() const {
    return "plugins list --no-default-plugin-dir --plugin-dir '" + plugins().string() +
           "' --plugin-cache '" + (dir_ / "cache").string() + "'";
  }
  fs::path plugins() const { return dir_ / "plugins"; }

  TempDir dir_;
};

TEST_F(CliTest, ListJsonShowsEachType) {
  testing_abi::copyPlugin(TP_SCORER_V1, plugins() / "libscorer.so");
  Outcome run = eppd(listArgs() + " --json");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto types = nlohmann::json::parse(run.out);
  ASSERT_TRUE(types.is_array());
  ASSERT_EQ(types.size(), 1u);
  const auto& type = types[0];
  EXPECT_EQ(type["type"], "test-scorer");
  EXPECT_EQ(type["kinds"], nlohmann::json::array({"scorer"}));
  EXPECT_EQ(type["plugin"], "test-plugin");
  EXPECT_EQ(type["version"], "1.0.0");
  EXPECT_EQ(type["abi"], kAbi);
  EXPECT_EQ(type["state_handover"], false);
  EXPECT_EQ(type["file"], (plugins() / "libscorer.so").string());
  EXPECT_EQ(type["sha256"].get<std::string>().size(), 64u);
}

TEST_F(CliTest, BadFileFailsTheListAndIsNamedOnStderr) {
  testing_abi::copyPlugin(TP_SCORER_V1, plugins() / "libscorer.so");
  testing_abi::writeFile(plugins() / "broken.so", "#!/bin/sh\necho not a library\n");
  Outcome run = eppd(listArgs() + " --json");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.err, HasSubstr("error: " + (plugins() / "broken.so").string() +
                                 ": not a shared object (no ELF header)"));
  auto types = nlohmann::json::parse(run.out);
  ASSERT_EQ(types.size(), 1u);
  EXPECT_EQ(types[0]["type"], "test-scorer");
}

TEST_F(CliTest, ListTableHasOneRowPerType) {
  testing_abi::copyPlugin(TP_SCORER_V1, plugins() / "a.so");
  testing_abi::copyPlugin(TP_OTHER_SCORER, plugins() / "b.so");
  Outcome run = eppd(listArgs());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::istringstream lines(run.out);
  std::string header;
  std::string first;
  std::string second;
  std::getline(lines, header);
  std::getline(lines, first);
  std::getline(lines, second);
  EXPECT_THAT(header, ::testing::MatchesRegex("TYPE +KIND\\(S\\) +PLUGIN +VERSION +ABI +FILE"));
  EXPECT_THAT(first, ::testing::MatchesRegex("other-scorer +scorer +other-plugin +1\\.0\\.0 +1\\.3 "
                                             "+.*/b\\.so"));
  EXPECT_THAT(second, ::testing::MatchesRegex("test-scorer +scorer +test-plugin +1\\.0\\.0 +1\\.3 "
                                              "+.*/a\\.so"));
  EXPECT_EQ(run.err, "");
}

TEST_F(CliTest, InspectShowsTheDescriptor) {
  fs::path file = testing_abi::copyPlugin(TP_TRUNCATED, dir_ / "truncated.so");
  Outcome run = eppd("plugins inspect '" + file.string() + "' --plugin-cache '" +
                     (dir_ / "cache").string() + "' --json");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto doc = nlohmann::json::parse(run.out);
  EXPECT_EQ(doc["name"], "truncated");
  EXPECT_EQ(doc["version"], "0.9.0-rc.1+build.7");
  EXPECT_EQ(doc["abi"], "1.0");
  EXPECT_EQ(doc["shutdown"], false);
  ASSERT_EQ(doc["types"].size(), 4u);
  EXPECT_EQ(doc["types"][2]["type"], "truncated-hooks");
  EXPECT_EQ(doc["types"][2]["kinds"], nlohmann::json::array({"request-hooks"}));
  EXPECT_EQ(doc["types"][2]["optional_hooks"],
            nlohmann::json::array({"request-hooks.prepare_request", "request-hooks.pre_request"}));
  EXPECT_EQ(doc["types"][2]["state_handover"], false);  // set beyond its struct_size
  EXPECT_EQ(doc["types"][3]["type"], "truncated-v1-0");
  EXPECT_EQ(doc["types"][3]["state_handover"], false);

  Outcome text = eppd("plugins inspect '" + file.string() + "' --plugin-cache '" +
                      (dir_ / "cache").string() + "'");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("plugin:      truncated 0.9.0-rc.1+build.7\n"));
  EXPECT_THAT(text.out, HasSubstr("  truncated-adapter\n    kinds:          backend-adapter\n"));
  EXPECT_THAT(text.out, HasSubstr("sha256:      "));
  EXPECT_THAT(text.out, HasSubstr("  truncated-v1-0\n    kinds:          scorer, data-hooks\n"));
  EXPECT_THAT(text.out, Not(HasSubstr("state handover: yes")));
}

TEST_F(CliTest, InspectShowsTheStateHandover) {
  fs::path file = testing_abi::copyPlugin(TP_HANDOVER_V1, dir_ / "handover.so");
  std::string args =
      "plugins inspect '" + file.string() + "' --plugin-cache '" + (dir_ / "cache").string() + "'";
  Outcome text = eppd(args);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("  handover-counter\n"
                                  "    kinds:          scorer, state-handover\n"));
  EXPECT_THAT(text.out, HasSubstr("    optional hooks: state-handover.export_state, "
                                  "state-handover.import_state\n"
                                  "    state handover: yes\n"));
  Outcome json = eppd(args + " --json");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto doc = nlohmann::json::parse(json.out);
  EXPECT_EQ(doc["abi"], kAbi);
  EXPECT_EQ(doc["types"][0]["kinds"], nlohmann::json::array({"scorer", "state-handover"}));
  EXPECT_EQ(doc["types"][0]["state_handover"], true);
}

TEST_F(CliTest, InspectOfABadFileFails) {
  fs::path file = testing_abi::copyPlugin(TP_OTHER_MAJOR, dir_ / "major.so");
  Outcome run = eppd("plugins inspect '" + file.string() + "' --plugin-cache '" +
                     (dir_ / "cache").string() + "'");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.err,
            "error: " + file.string() + ": plugin built for ABI 2.3, this eppd speaks 1.3\n");
  EXPECT_EQ(run.out, "");
}

TEST_F(CliTest, VersionAndLogLevel) {
  Outcome version = eppd("version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_THAT(version.out, ::testing::MatchesRegex("eppd [0-9]+\\.[0-9]+\\.[0-9]+ \\(plugin ABI "
                                                   "1\\.3\\)\n"));
  Outcome bad_level = eppd("--log-level loud version");
  EXPECT_NE(bad_level.exit_code, 0);
  EXPECT_THAT(bad_level.err, HasSubstr("unknown log level 'loud'"));
}

TEST_F(CliTest, ValidateAcceptsAGoodConfigAndExplainsABadOne) {
  testing_abi::writeFile(dir_ / "good.yaml",
                         "apiVersion: inference.networking.x-k8s.io/v1alpha1\n"
                         "kind: EndpointPickerConfig\n"
                         "plugins:\n"
                         "- type: test-scorer\n"
                         "  parameters: {value: 3}\n");
  testing_abi::writeFile(dir_ / "bad.yaml",
                         "apiVersion: inference.networking.x-k8s.io/v1alpha1\n"
                         "kind: EndpointPickerConfig\n"
                         "plugins:\n"
                         "- type: test-scorer\n"
                         "  parameters: {valu: 3}\n");
  testing_abi::copyPlugin(TP_SCORER_V1, dir_ / "plugins/scorer.so");
  std::string common = " --plugin-cache " + (dir_ / "cache").string() + " --plugin-dir " +
                       (dir_ / "plugins").string();
  Outcome good = eppd("validate " + (dir_ / "good.yaml").string() + common);
  EXPECT_EQ(good.exit_code, 0) << good.err;
  EXPECT_THAT(good.out, HasSubstr("good.yaml: ok"));
  Outcome bad = eppd("validate " + (dir_ / "bad.yaml").string() + common);
  EXPECT_EQ(bad.exit_code, 1);
  // The plugin's own message, at the parameter's line and column.
  EXPECT_THAT(bad.err, HasSubstr("bad.yaml:5:"));
  EXPECT_THAT(bad.err, HasSubstr("valu"));
  Outcome missing = eppd("validate");
  EXPECT_NE(missing.exit_code, 0);
}

}  // namespace
}  // namespace epp::cli
