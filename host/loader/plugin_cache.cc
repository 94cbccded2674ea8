#include "host/loader/plugin_cache.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "host/common/sha256.h"

namespace epp::loader {
namespace {

using common::Error;
using common::Result;
using common::Status;

std::string errnoText(int error) { return std::strerror(error); }

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

Status checkPrivate(const std::filesystem::path& dir) {
  struct stat info {};
  if (::stat(dir.c_str(), &info) != 0) {
    return Error{fmt::format("plugin cache {}: {}", dir.string(), errnoText(errno))};
  }
  if (!S_ISDIR(info.st_mode)) {
    return Error{fmt::format("plugin cache {} is not a directory", dir.string())};
  }
  if (info.st_uid != ::geteuid()) {
    return Error{
        fmt::format("plugin cache {} belongs to another user (uid {})", dir.string(), info.st_uid)};
  }
  if (info.st_mode & (S_IWGRP | S_IWOTH)) {
    return Error{fmt::format("plugin cache {} is writable by other users (mode {:o})", dir.string(),
                             info.st_mode & 07777)};
  }
  return {};
}

}  // namespace

Result<std::vector<std::byte>> readFile(const std::filesystem::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Error{errnoText(errno)};
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return Error{errnoText(errno)};
  if (S_ISDIR(info.st_mode)) return Error{"is a directory"};
  if (!S_ISREG(info.st_mode)) return Error{"not a regular file"};
  std::vector<std::byte> bytes(static_cast<size_t>(info.st_size));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::read(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error{errnoText(errno)};
    if (n == 0) break;  // The file shrank while we read it: hash what we got.
    done += static_cast<size_t>(n);
  }
  bytes.resize(done);
  return bytes;
}

Status ensurePrivateDirectory(const std::filesystem::path& dir) {
  std::filesystem::path absolute = std::filesystem::absolute(dir);
  std::filesystem::path partial;
  for (const auto& component : absolute) {
    partial /= component;
    if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) {
      return Error{
          fmt::format("cannot create plugin cache {}: {}", partial.string(), errnoText(errno))};
    }
  }
  return checkPrivate(absolute);
}

std::filesystem::path cachedPathFor(const std::filesystem::path& cache_dir,
                                    const std::filesystem::path& source,
                                    const std::string& sha256) {
  return cache_dir / fmt::format("{}-{}.so", source.stem().string(), sha256);
}

Status storeVerified(const std::filesystem::path& target, std::span<const std::byte> bytes,
                     const std::string& sha256) {
  auto existing = readFile(target);
  bool current = existing && common::sha256Hex(*existing) == sha256;
  if (!current) {
    std::string temp = target.parent_path() / ("." + target.filename().string() + ".XXXXXX");
    Fd fd(::mkostemp(temp.data(), O_CLOEXEC));
    if (fd.get() < 0) {
      return Error{fmt::format("cannot write to plugin cache {}: {}", target.parent_path().string(),
                               errnoText(errno))};
    }
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        int error = errno;
        ::unlink(temp.c_str());
        return Error{fmt::format("cannot write {}: {}", temp, errnoText(error))};
      }
      done += static_cast<size_t>(n);
    }
    if (::fsync(fd.get()) != 0 || ::close(fd.release()) != 0 ||
        ::rename(temp.c_str(), target.c_str()) != 0) {
      int error = errno;
      ::unlink(temp.c_str());
      return Error{fmt::format("cannot store {}: {}", target.string(), errnoText(error))};
    }
  }
  auto stored = readFile(target);
  if (!stored)
    return Error{fmt::format("cannot read back {}: {}", target.string(), stored.error())};
  if (common::sha256Hex(*stored) != sha256) {
    return Error{
        fmt::format("cached copy {} does not match its hash (modified on disk?)", target.string())};
  }
  return {};
}

}  // namespace epp::loader
