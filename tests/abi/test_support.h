// Helpers shared by the ABI tests: temporary directories, plugin file copies, captured
// log lines and a scorer call.
#pragma once

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "epp/abi.h"
#include "host/common/logging.h"
#include "host/loader/plugin_instance.h"

namespace epp::testing_abi {

namespace fs = std::filesystem;

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "eppd-abi-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

inline fs::path copyPlugin(const fs::path& source, const fs::path& target) {
  fs::create_directories(target.parent_path());
  fs::copy_file(source, target, fs::copy_options::overwrite_existing);
  return target;
}

inline fs::path writeFile(const fs::path& target, const std::string& content) {
  fs::create_directories(target.parent_path());
  std::ofstream(target, std::ios::binary) << content;
  return target;
}

// Captures what eppd's logger writes while it lives.
class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1024)) {
    common::logger()->sinks().push_back(sink_);
  }
  ~LogCapture() {
    auto& sinks = common::logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
  }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  bool contains(const std::string& text) const {
    for (const auto& line : sink_->last_formatted()) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
};

// Calls the instance's scorer over `count` empty candidates and returns the scores.
inline std::vector<double> score(const loader::PluginInstance& instance, size_t count = 4) {
  std::vector<epp_endpoint_view> views(count);
  std::vector<const epp_endpoint_view*> pointers;
  for (auto& view : views) {
    view.struct_size = sizeof(view);
    pointers.push_back(&view);
  }
  epp_endpoint_list list{pointers.data(), pointers.size()};
  epp_request_view request{};
  request.struct_size = sizeof(request);
  std::vector<double> scores(count, 0.0);
  const epp_scorer_v1* scorer = instance.type().scorer;
  EXPECT_NE(scorer, nullptr);
  if (scorer == nullptr) return scores;
  EXPECT_EQ(scorer->score(instance.pluginPtr(), &request, &list, scores.data()), EPP_OK);
  return scores;
}

// True when `path` is mapped into this process.
inline bool isMapped(const fs::path& path) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    if (line.find(path.string()) != std::string::npos) return true;
  }
  return false;
}

}  // namespace epp::testing_abi
