#include "host/runtime/file_endpoint_source.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace epp::runtime {
namespace {

common::Result<std::string> readFile(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return common::Error{fmt::format("{}: cannot read endpoint list: it is a directory", path)};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return common::Error{
        fmt::format("{}: cannot read endpoint list: {}", path, std::strerror(errno))};
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return common::Error{
        fmt::format("{}: cannot read endpoint list: {}", path, std::strerror(errno))};
  }
  return text.str();
}

}  // namespace

FileEndpointSource::FileEndpointSource(std::string path, Publish publish, OnError onError,
                                       std::chrono::milliseconds quiet)
    : path_(std::move(path)),
      publish_(std::move(publish)),
      onError_(std::move(onError)),
      quiet_(quiet) {}

FileEndpointSource::~FileEndpointSource() { stop(); }

common::Status FileEndpointSource::start() {
  readNow();
  auto watcher = common::DirectoryWatcher::start([this](const std::string&) {
    std::lock_guard<std::mutex> lock(mutex_);
    changed_ = true;
    lastChange_ = std::chrono::steady_clock::now();
    wake_.notify_all();
  });
  if (!watcher) return common::Error{watcher.error()};
  watcher_ = std::move(*watcher);
  std::filesystem::path file(path_);
  std::string name = file.filename().string();
  // "..data": a ConfigMap volume swaps this symlink to publish new content.
  watcher_->setWatches({{file.parent_path(), [name](std::string_view entry) {
                           return entry == name || entry == "..data";
                         }}});
  thread_ = std::thread([this] { run(); });
  return {};
}

void FileEndpointSource::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    wake_.notify_all();
  }
  // The watcher first: its callback touches this object.
  watcher_.reset();
  if (thread_.joinable()) thread_.join();
}

void FileEndpointSource::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    if (!changed_) {
      wake_.wait(lock, [this] { return stopping_ || changed_; });
      continue;
    }
    auto due = lastChange_ + quiet_;
    if (std::chrono::steady_clock::now() < due) {
      wake_.wait_until(lock, due);
      continue;
    }
    changed_ = false;
    lock.unlock();
    readNow();
    lock.lock();
  }
}

void FileEndpointSource::readNow() {
  auto text = readFile(path_);
  common::Result<std::vector<config::EndpointSpec>> list =
      text ? config::parseEndpointList(*text, path_)
           : common::Result<std::vector<config::EndpointSpec>>(common::Error{text.error()});
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!list) {
      ++failedReads_;
      lastError_ = list.error();
    } else {
      ++goodReads_;
      lastError_.clear();
      // The same text again (a touch, a rename of identical content): nothing new.
      if (published_ && *text == lastText_) return;
      published_ = true;
      lastText_ = *text;
    }
  }
  if (!list) {
    onError_(list.error());
    return;
  }
  publish_(std::move(*list));
}

uint64_t FileEndpointSource::goodReads() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return goodReads_;
}

uint64_t FileEndpointSource::failedReads() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return failedReads_;
}

std::string FileEndpointSource::lastError() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return lastError_;
}

}  // namespace epp::runtime
