// The SDK's Rust example (sdk/examples/rust): a cdylib built by cargo against the C ABI,
// loaded by eppd's real loader and called as the scheduler calls a scorer. When cargo was not
// found at configure time, each test reports itself skipped and says why.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "epp/abi.h"
#include "host/config/param_tree.h"
#include "host/datalayer/endpoint_snapshot.h"
#include "host/loader/plugin_instance.h"
#include "host/loader/plugin_registry.h"
#include "host/scheduling/request_context.h"

namespace epp {
namespace {

namespace fs = std::filesystem;

constexpr char kLibrary[] = EPP_RUST_EXAMPLE_SO;
constexpr char kType[] = "example-rust-waiting-scorer";

class RustExampleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string(kLibrary).empty()) {
      GTEST_SKIP()
          << "cargo was not found (or EPP_CARGO=OFF) when eppd was configured, so the Rust "
             "example plugin (sdk/examples/rust) was not built; install cargo "
             "(tools/install-deps.sh does) and re-run cmake";
    }
    // Only the Rust library, in a directory of its own: nothing else can provide the type.
    std::string pattern = (fs::temp_directory_path() / "eppd-rust-example-XXXXXX").string();
    dir_ = ::mkdtemp(pattern.data());
    fs::create_directories(dir_ / "plugins");
    fs::copy_file(kLibrary, dir_ / "plugins" / fs::path(kLibrary).filename());
    registry_ = std::make_unique<loader::PluginRegistry>(
        loader::PluginRegistry::Options{.cache_dir = dir_ / "cache", .host_abi = {}});
    ASSERT_TRUE(registry_->scan({dir_ / "plugins"}));
    for (const auto& error : registry_->errors()) ADD_FAILURE() << error.message;
    type_ = registry_->find(kType);
    ASSERT_NE(type_, nullptr);
  }
  void TearDown() override {
    registry_.reset();
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  common::Result<std::shared_ptr<loader::PluginInstance>> create(const std::string& yaml) {
    auto params = config::ParamTree::parse(yaml, "rust.yaml");
    EXPECT_TRUE(params) << params.error();
    return loader::PluginInstance::create(*type_, "rust-scorer", params->root());
  }

  // Endpoints with these waiting queues (-1: never scraped).
  static datalayer::EndpointSnapshotPtr fleet(const std::vector<int64_t>& waiting) {
    std::vector<datalayer::EndpointState> states;
    for (size_t i = 0; i < waiting.size(); ++i) {
      datalayer::EndpointState s;
      s.address = "10.2.0." + std::to_string(i + 1);
      s.port = 8000;
      s.hasMetrics = waiting[i] >= 0;
      s.waiting = waiting[i] >= 0 ? waiting[i] : 0;
      s.running = 3;
      states.push_back(std::move(s));
    }
    return std::make_shared<const datalayer::EndpointSnapshot>(
        std::move(states), 1, [](uint64_t) { return std::make_shared<std::atomic<int64_t>>(0); });
  }

  static std::vector<double> score(const loader::PluginInstance& scorer,
                                   const datalayer::EndpointSnapshotPtr& eps) {
    scheduling::RequestFields fields;
    fields.requestId = "rust-1";
    fields.model = fields.targetModel = "m";
    scheduling::RequestContext request(std::move(fields), eps, 1);
    std::vector<double> scores(eps->size(), -1.0);
    EXPECT_EQ(
        scorer.type().scorer->score(scorer.pluginPtr(), request.view(), &eps->all(), scores.data()),
        EPP_OK);
    return scores;
  }

  fs::path dir_;
  std::unique_ptr<loader::PluginRegistry> registry_;
  const loader::RegisteredType* type_ = nullptr;
};

TEST_F(RustExampleTest, LoadsAsAScorerOfTheCurrentAbi) {
  const loader::LoadedLibrary& library = *type_->library;
  EXPECT_EQ(library.name(), "example-rust");
  EXPECT_EQ(library.version(), "1.0.0");
  EXPECT_EQ(library.packedAbi(), EPP_ABI_PACK(1, 3));
  EXPECT_EQ(type_->type->kinds, static_cast<uint32_t>(EPP_KIND_SCORER));
  ASSERT_NE(type_->type->scorer, nullptr);
  EXPECT_EQ(type_->type->scorer->category, EPP_SCORER_DISTRIBUTION);
}

TEST_F(RustExampleTest, ScoresHalfScoreAtOverHalfScoreAtPlusWaiting) {
  auto byDefault = create("");
  ASSERT_TRUE(byDefault) << byDefault.error();
  // Default halfScoreAt 4: 4 / (4 + waiting); never scraped: 0.
  EXPECT_EQ(score(**byDefault, fleet({0, 4, 12, -1})), (std::vector<double>{1.0, 0.5, 0.25, 0.0}));

  auto two = create("halfScoreAt: 2\n");
  ASSERT_TRUE(two) << two.error();
  EXPECT_EQ(score(**two, fleet({0, 2, 6, 1000000000})),
            (std::vector<double>{1.0, 0.5, 0.25, 2.0 / 1000000002.0}));
}

TEST_F(RustExampleTest, ParameterMistakesAreRefusedWithTheirLocation) {
  auto zero = create("halfScoreAt: 0\n");
  ASSERT_FALSE(zero);
  EXPECT_NE(zero.error().find("rust.yaml:1:14: parameter \"halfScoreAt\" must be a number "
                              "greater than 0"),
            std::string::npos)
      << zero.error();
  auto text = create("halfScoreAt: many\n");
  ASSERT_FALSE(text);
  EXPECT_NE(text.error().find("must be a number greater than 0"), std::string::npos);
  auto unknown = create("halfScoreAt: 3\nqueueCap: 7\n");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().find("rust.yaml:2:11: unknown parameter \"queueCap\""),
            std::string::npos)
      << unknown.error();
  auto list = create("[1, 2]\n");
  ASSERT_FALSE(list);
  EXPECT_NE(list.error().find("parameters must be a map"), std::string::npos) << list.error();
}

}  // namespace
}  // namespace epp
