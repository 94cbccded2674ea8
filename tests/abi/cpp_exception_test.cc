// A C++ exception inside a plugin call, through the real loader on a real .so: the
// C++ layer turns it into an error code and a log line, the host stays alive, and the
// instance keeps working.
#include <gtest/gtest.h>

#include "host/loader/plugin_instance.h"
#include "host/loader/plugin_registry.h"
#include "test_support.h"

namespace epp::loader {
namespace {

using testing_abi::TempDir;

class CppExceptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing_abi::copyPlugin(TP_THROWING, dir_ / "plugins/libthrowing.so");
    ASSERT_TRUE(registry_.scan({dir_ / "plugins"}));
    const RegisteredType* type = registry_.find("throwing-scorer");
    ASSERT_NE(type, nullptr);
    auto created = PluginInstance::create(*type, "thrower");
    ASSERT_TRUE(created) << created.error();
    instance_ = *created;
  }

  epp_status scoreOver(size_t count, std::vector<double>& scores) {
    views_.assign(count, epp_endpoint_view{});
    pointers_.clear();
    for (auto& v : views_) {
      v.struct_size = sizeof v;
      pointers_.push_back(&v);
    }
    epp_endpoint_list list{pointers_.data(), pointers_.size()};
    epp_request_view request{};
    request.struct_size = sizeof request;
    scores.assign(count, 0.0);
    return instance_->type().scorer->score(instance_->pluginPtr(), &request, &list, scores.data());
  }

  TempDir dir_;
  PluginRegistry registry_{{.cache_dir = dir_ / "cache"}};
  std::shared_ptr<PluginInstance> instance_;
  std::vector<epp_endpoint_view> views_;
  std::vector<const epp_endpoint_view*> pointers_;
};

TEST_F(CppExceptionTest, StdExceptionInScoreBecomesInternalError) {
  testing_abi::LogCapture logs;
  std::vector<double> scores;
  EXPECT_EQ(scoreOver(3, scores), EPP_ERR_INTERNAL);
  EXPECT_TRUE(logs.contains("score failed: boom from score"));
  EXPECT_TRUE(logs.contains("thrower"));
  // Same instance, next call: works.
  EXPECT_EQ(scoreOver(2, scores), EPP_OK);
  EXPECT_EQ(scores, (std::vector<double>{0.5, 0.5}));
}

TEST_F(CppExceptionTest, NonStandardExceptionInScoreBecomesInternalError) {
  testing_abi::LogCapture logs;
  std::vector<double> scores;
  EXPECT_EQ(scoreOver(5, scores), EPP_ERR_INTERNAL);
  EXPECT_TRUE(logs.contains("unknown exception"));
}

TEST_F(CppExceptionTest, ExceptionInVoidHookIsLoggedAndContained) {
  testing_abi::LogCapture logs;
  const epp_request_hooks_v1* hooks = instance_->type().request_hooks;
  ASSERT_NE(hooks, nullptr);
  ASSERT_NE(hooks->pre_request, nullptr);
  epp_request_view request{};
  request.struct_size = sizeof request;
  epp_scheduling_result result{sizeof result, 0, nullptr, 0};
  hooks->pre_request(instance_->pluginPtr(), &request, &result);  // must not throw
  EXPECT_TRUE(logs.contains("pre_request failed: boom from pre_request"));
  std::vector<double> scores;
  EXPECT_EQ(scoreOver(1, scores), EPP_OK);
}

}  // namespace
}  // namespace epp::loader
