// File: host/runtime/file_endpoint_source.h
//
// The `file` endpoint source: a YAML or JSON list of endpoints (config::parseEndpointList),
// read at start and again whenever it changes. The file's directory is watched, not the
// file (DirectoryWatcher), so an editor's rename-on-save and a ConfigMap's symlink swap are
// seen. A burst of events is read once after a short quiet period. A file that cannot be
// read or parsed keeps the last good list: the error is logged with file:line:col and
// counted, and nothing is published.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "host/common/directory_watcher.h"
#include "host/common/result.h"
#include "host/config/picker_config.h"

namespace epp::runtime {

class FileEndpointSource {
 public:
  // Called with each new good list (not when a re-read finds the same text), on the
  // source's own thread.
  using Publish = std::function<void(std::vector<config::EndpointSpec>)>;
  // Called with each failed read's message.
  using OnError = std::function<void(const std::string& error)>;

  FileEndpointSource(std::string path, Publish publish, OnError onError,
                     std::chrono::milliseconds quiet = std::chrono::milliseconds(50));
  ~FileEndpointSource();
  FileEndpointSource(const FileEndpointSource&) = delete;
  FileEndpointSource& operator=(const FileEndpointSource&) = delete;

  // Reads the file once (publishing it when good) and starts watching. Fails only when
  // the watcher cannot start; a bad file is an error of the read, not of start.
  common::Status start();
  void stop();

  const std::string& path() const { return path_; }
  uint64_t goodReads() const;
  uint64_t failedReads() const;
  std::string lastError() const;

 private:
  void readNow();
  void run();

  std::string path_;
  Publish publish_;
  OnError onError_;
  std::chrono::milliseconds quiet_;
  std::unique_ptr<common::DirectoryWatcher> watcher_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool changed_ = false;
  std::chrono::steady_clock::time_point lastChange_{};
  std::string lastText_;
  bool published_ = false;
  uint64_t goodReads_ = 0;
  uint64_t failedReads_ = 0;
  std::string lastError_;
  std::thread thread_;
};

}  // namespace epp::runtime
