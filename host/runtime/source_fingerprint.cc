#include "host/runtime/source_fingerprint.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <thread>

namespace epp::runtime {
namespace {

constexpr int kMissingRetries = 10;
constexpr auto kMissingRetryDelay = std::chrono::milliseconds(50);
// Past parseConfig's own limit (4 MiB), so it reports the size; no need to read more.
constexpr size_t kMaxRead = 5u << 20;

}  // namespace

common::Result<std::string> readConfigText(const std::string& path) {
  for (int attempt = 0;; ++attempt) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      int error = errno;
      if (error == ENOENT && attempt < kMissingRetries) {
        std::this_thread::sleep_for(kMissingRetryDelay);
        continue;
      }
      return common::Error{
          fmt::format("{}: cannot read config file: {}", path, std::strerror(error))};
    }
    std::string text;
    char chunk[64 * 1024];
    while (text.size() <= kMaxRead && in.read(chunk, sizeof chunk).gcount() > 0) {
      text.append(chunk, static_cast<size_t>(in.gcount()));
    }
    if (in.bad()) {
      return common::Error{
          fmt::format("{}: cannot read config file: {}", path, std::strerror(errno))};
    }
    return text;
  }
}

std::string pluginFilesFingerprint(const std::vector<std::filesystem::path>& dirs) {
  std::string out;
  for (const auto& dir : dirs) {
    std::vector<std::string> entries;
    std::error_code ec;
    std::filesystem::directory_iterator it(dir, ec);
    if (ec) {
      out += dir.string() + ": " + ec.message() + "\n";
      continue;
    }
    for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (name.starts_with(".") || it->path().extension() != ".so") continue;
      struct stat info {};
      if (::stat(it->path().c_str(), &info) != 0) {
        entries.push_back(name + " unreadable");
        continue;
      }
      entries.push_back(fmt::format("{} {} {}.{:09} {}:{}", name, info.st_size, info.st_mtim.tv_sec,
                                    info.st_mtim.tv_nsec, info.st_dev, info.st_ino));
    }
    std::sort(entries.begin(), entries.end());
    out += dir.string() + ":\n";
    for (const auto& e : entries) out += "  " + e + "\n";
  }
  return out;
}

}  // namespace epp::runtime
