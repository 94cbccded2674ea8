// What the loader refuses to load, on real plugin files copied into temporary directories
// and changed with chmod, chown and symlinks: files and directories others could write,
// files and directories owned by another user, symlinks leading out of the plugin
// directory, and libraries whose SHA-256 differs from their pin. `eppd plugins list`
// reports the same refusals.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "host/common/sha256.h"
#include "host/loader/file_trust.h"
#include "host/loader/plugin_cache.h"
#include "host/loader/plugin_registry.h"
#include "test_support.h"

namespace epp::loader {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing_abi::TempDir;
namespace fs = std::filesystem;

// A uid nobody on a test machine uses.
constexpr uid_t kStranger = 54321;

std::string sha256Of(const fs::path& file) {
  auto bytes = readFile(file);
  return common::sha256Hex(*bytes);
}

class PluginTrustTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(plugins());
    ::chmod(plugins().c_str(), 0755);
  }
  fs::path plugins() const { return dir_ / "plugins"; }
  fs::path copy(const char* source, const fs::path& target) {
    fs::create_directories(target.parent_path());
    fs::copy_file(source, target, fs::copy_options::overwrite_existing);
    ::chmod(target.c_str(), 0644);
    return target;
  }
  // Scans `dirs` (default: the plugin directory) and returns the types found.
  std::vector<std::string> scan(std::vector<fs::path> dirs = {}) {
    if (dirs.empty()) dirs = {plugins()};
    registry_ = std::make_unique<PluginRegistry>(
        PluginRegistry::Options{.cache_dir = dir_ / "cache", .host_abi = {}});
    registry_->setHashPins(hashPins_);
    registry_->scan(dirs);
    std::vector<std::string> types;
    for (const auto& [name, registered] : registry_->types()) types.push_back(name);
    return types;
  }
  std::vector<std::string> errors() const {
    std::vector<std::string> out;
    for (const auto& e : registry_->errors()) out.push_back(e.message);
    return out;
  }
  static void requireRoot() {
    if (::geteuid() != 0) GTEST_SKIP() << "chown to another uid needs root";
  }

  TempDir dir_;
  std::unique_ptr<PluginRegistry> registry_;
  std::map<std::string, std::string> hashPins_;
};

TEST_F(PluginTrustTest, PrivateFilesLoad) {
  copy(TP_SCORER_V1, plugins() / "scorer.so");
  EXPECT_THAT(scan(), ElementsAre("test-scorer"));
  EXPECT_THAT(errors(), IsEmpty());
}

TEST_F(PluginTrustTest, GroupWritableFileIsRefusedOthersStillLoad) {
  fs::path bad = copy(TP_SCORER_V1, plugins() / "a_scorer.so");
  copy(TP_OTHER_SCORER, plugins() / "b_other.so");
  ::chmod(bad.c_str(), 0664);
  EXPECT_THAT(scan(), ElementsAre("other-scorer"));
  EXPECT_THAT(errors(), ElementsAre(bad.string() +
                                    ": refused: the plugin file is writable by its group (mode "
                                    "0664); remove group and other write permission (chmod go-w)"));
  EXPECT_EQ(registry_->errors()[0].file, bad);
}

TEST_F(PluginTrustTest, WorldWritableFileIsRefused) {
  fs::path bad = copy(TP_SCORER_V1, plugins() / "scorer.so");
  ::chmod(bad.c_str(), 0646);
  EXPECT_THAT(scan(), IsEmpty());
  ASSERT_EQ(errors().size(), 1u);
  EXPECT_THAT(errors()[0], HasSubstr("scorer.so: refused: the plugin file is writable by others "
                                     "(mode 0646)"));
}

TEST_F(PluginTrustTest, WritableDirectoryIsRefusedWhole) {
  copy(TP_SCORER_V1, plugins() / "scorer.so");
  ::chmod(plugins().c_str(), 0777);
  EXPECT_THAT(scan(), IsEmpty());
  EXPECT_THAT(errors(), ElementsAre(plugins().string() +
                                    ": refused: the plugin directory is writable by group and "
                                    "others (mode 0777); remove group and other write permission "
                                    "(chmod go-w)"));
  // The sticky bit (as on /tmp) does not help: anyone may still add a library.
  ::chmod(plugins().c_str(), 01777);
  EXPECT_THAT(scan(), IsEmpty());
  EXPECT_THAT(errors()[0], HasSubstr("mode 1777"));
}

TEST_F(PluginTrustTest, FileOwnedByAnotherUserIsRefused) {
  requireRoot();
  fs::path bad = copy(TP_SCORER_V1, plugins() / "scorer.so");
  ASSERT_EQ(::chown(bad.c_str(), kStranger, kStranger), 0);
  EXPECT_THAT(scan(), IsEmpty());
  EXPECT_THAT(errors(), ElementsAre(bad.string() +
                                    ": refused: the plugin file is owned by uid 54321, not by root "
                                    "or eppd's user (uid 0); that user could change the code eppd "
                                    "runs"));
  // Its group alone does not matter: a root-owned file of another group loads.
  ASSERT_EQ(::chown(bad.c_str(), 0, kStranger), 0);
  EXPECT_THAT(scan(), ElementsAre("test-scorer"));
}

TEST_F(PluginTrustTest, DirectoryOwnedByAnotherUserIsRefused) {
  requireRoot();
  copy(TP_SCORER_V1, plugins() / "scorer.so");
  ASSERT_EQ(::chown(plugins().c_str(), kStranger, kStranger), 0);
  EXPECT_THAT(scan(), IsEmpty());
  ASSERT_EQ(errors().size(), 1u);
  EXPECT_EQ(errors()[0], plugins().string() +
                             ": refused: the plugin directory is owned by uid 54321, not by "
                             "root or eppd's user (uid 0); that user could change the code eppd "
                             "runs");
}

TEST_F(PluginTrustTest, SymlinkOutOfTheDirectoryIsRefused) {
  fs::path outside = copy(TP_SCORER_V1, dir_ / "elsewhere" / "scorer.so");
  fs::create_symlink(outside, plugins() / "scorer.so");
  // A relative link climbing out is the same thing.
  fs::path other = copy(TP_OTHER_SCORER, dir_ / "elsewhere" / "other.so");
  fs::create_symlink("../elsewhere/other.so", plugins() / "other.so");
  EXPECT_THAT(scan(), IsEmpty());
  std::string root = fs::canonical(dir_.path()).string();
  EXPECT_THAT(
      errors(),
      ElementsAre((plugins() / "other.so").string() + ": refused: the symlink resolves to " + root +
                      "/elsewhere/other.so, outside the plugin directory " + root + "/plugins",
                  (plugins() / "scorer.so").string() + ": refused: the symlink resolves to " +
                      root + "/elsewhere/scorer.so, outside the plugin directory " + root +
                      "/plugins"));
}

TEST_F(PluginTrustTest, SymlinkInsideTheDirectoryLoads) {
  // A Kubernetes volume's layout: name -> ..data/name, ..data -> a timestamped directory.
  copy(TP_SCORER_V1, plugins() / "..2026_01_01_v1" / "scorer.so");
  ::chmod((plugins() / "..2026_01_01_v1").c_str(), 0755);
  fs::create_directory_symlink("..2026_01_01_v1", plugins() / "..data");
  fs::create_symlink("..data/scorer.so", plugins() / "scorer.so");
  EXPECT_THAT(scan(), ElementsAre("test-scorer"));
  EXPECT_THAT(errors(), IsEmpty());
  // Named as found in the directory, loaded from where the link leads.
  EXPECT_EQ(registry_->find("test-scorer")->file, plugins() / "scorer.so");
  EXPECT_EQ(registry_->find("test-scorer")->library->sourcePath(),
            fs::canonical(plugins()) / "..2026_01_01_v1" / "scorer.so");
}

TEST_F(PluginTrustTest, SymlinkThroughAWritableDirectoryIsRefused) {
  fs::path sub = plugins() / "sub";
  copy(TP_SCORER_V1, sub / "scorer.so");
  ::chmod(sub.c_str(), 0777);
  fs::create_symlink("sub/scorer.so", plugins() / "scorer.so");
  EXPECT_THAT(scan(), IsEmpty());
  ASSERT_EQ(errors().size(), 1u);
  EXPECT_THAT(errors()[0],
              HasSubstr("/plugins/sub: refused: a directory the symlink goes through is writable "
                        "by group and others (mode 0777)"));
  EXPECT_THAT(errors()[0], HasSubstr("(symlink " + (plugins() / "scorer.so").string() + ")"));
}

TEST_F(PluginTrustTest, SymlinkToAWritableFileInsideIsRefused) {
  fs::path target = copy(TP_SCORER_V1, plugins() / "real" / "scorer.so");
  ::chmod(target.c_str(), 0666);
  fs::create_symlink("real/scorer.so", plugins() / "scorer.so");
  EXPECT_THAT(scan(), IsEmpty());
  ASSERT_EQ(errors().size(), 1u);
  EXPECT_THAT(errors()[0], HasSubstr("real/scorer.so: refused: the plugin file is writable by "
                                     "group and others (mode 0666)"));
}

TEST_F(PluginTrustTest, DanglingSymlinkIsReported) {
  fs::create_symlink("gone.so.1", plugins() / "gone.so");
  EXPECT_THAT(scan(), IsEmpty());
  ASSERT_EQ(errors().size(), 1u);
  EXPECT_THAT(errors()[0], HasSubstr((plugins() / "gone.so").string() +
                                     ": refused: the symlink does not resolve"));
}

TEST_F(PluginTrustTest, ConfiguredDirectoryMayItselfBeASymlink) {
  // The configured path is the operator's choice; only links inside it are confined.
  copy(TP_SCORER_V1, plugins() / "scorer.so");
  fs::create_directory_symlink(plugins(), dir_ / "current");
  EXPECT_THAT(scan({dir_ / "current"}), ElementsAre("test-scorer"));
  EXPECT_EQ(registry_->find("test-scorer")->file, dir_ / "current" / "scorer.so");
}

TEST_F(PluginTrustTest, IsWithinComparesComponents) {
  EXPECT_TRUE(isWithin("/plugins/a.so", "/plugins"));
  EXPECT_TRUE(isWithin("/plugins/sub/a.so", "/plugins/"));
  EXPECT_FALSE(isWithin("/plugins-evil/a.so", "/plugins"));
  EXPECT_FALSE(isWithin("/a.so", "/plugins"));
}

TEST_F(PluginTrustTest, MatchingSha256PinLoads) {
  fs::path file = copy(TP_SCORER_V1, plugins() / "scorer.so");
  hashPins_["scorer.so"] = sha256Of(file);
  EXPECT_THAT(scan(), ElementsAre("test-scorer"));
  EXPECT_THAT(errors(), IsEmpty());
}

TEST_F(PluginTrustTest, Sha256MismatchIsRefusedWithBothHashes) {
  // The pin names v1's content; v2 sits in its place.
  fs::path file = copy(TP_SCORER_V2, plugins() / "scorer.so");
  std::string pinned = sha256Of(TP_SCORER_V1);
  std::string actual = sha256Of(file);
  ASSERT_NE(pinned, actual);
  copy(TP_OTHER_SCORER, plugins() / "other.so");
  hashPins_[file.string()] = pinned;  // by absolute path
  EXPECT_THAT(scan(), ElementsAre("other-scorer"));
  EXPECT_THAT(errors(), ElementsAre(file.string() + ": refused: its sha256 is " + actual +
                                    ", but the config pins " + pinned));
}

TEST_F(PluginTrustTest, Sha256PinIsCheckedBeforeAnyCodeRuns) {
  // tp_init_fail's entry point logs and refuses; with a wrong pin it must never run.
  fs::path file = copy(TP_INIT_FAIL, plugins() / "init_fail.so");
  hashPins_["init_fail.so"] = std::string(64, '0');
  scan();
  ASSERT_EQ(errors().size(), 1u);
  EXPECT_THAT(errors()[0], HasSubstr("refused: its sha256 is " + sha256Of(file)));
  EXPECT_THAT(errors()[0], ::testing::Not(HasSubstr("plugin refused to load")));
}

TEST_F(PluginTrustTest, Sha256PinNamingNoFileIsAnError) {
  copy(TP_SCORER_V1, plugins() / "scorer.so");
  hashPins_["scorer-typo.so"] = sha256Of(TP_SCORER_V1);
  EXPECT_THAT(scan(), ElementsAre("test-scorer"));
  EXPECT_THAT(errors(), ElementsAre("sha256 pin for 'scorer-typo.so': no such plugin file in the "
                                    "plugin directories"));
}

// `eppd plugins list` prints each refusal and exits 1.
TEST_F(PluginTrustTest, PluginsListShowsRefusals) {
  copy(TP_SCORER_V1, plugins() / "good.so");
  fs::path bad = copy(TP_OTHER_SCORER, plugins() / "writable.so");
  ::chmod(bad.c_str(), 0666);
  fs::path out = dir_ / "out";
  fs::path err = dir_ / "err";
  std::string command = std::string("'") + EPPD_PATH +
                        "' plugins list --no-default-plugin-dir --plugin-dir '" +
                        plugins().string() + "' --plugin-cache '" + (dir_ / "cache").string() +
                        "' >'" + out.string() + "' 2>'" + err.string() + "'";
  int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  std::stringstream stdoutText, stderrText;
  stdoutText << std::ifstream(out).rdbuf();
  stderrText << std::ifstream(err).rdbuf();
  EXPECT_THAT(stdoutText.str(), HasSubstr("test-scorer"));
  EXPECT_THAT(stdoutText.str(), ::testing::Not(HasSubstr("other-scorer")));
  EXPECT_EQ(stderrText.str(), "error: " + bad.string() +
                                  ": refused: the plugin file is writable by group and others "
                                  "(mode 0666); remove group and other write permission (chmod "
                                  "go-w)\n");
}

}  // namespace
}  // namespace epp::loader
