#include "host/loader/file_trust.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace epp::loader {
namespace {

using common::Error;
namespace fs = std::filesystem;

// Who may change what eppd loads: root, and eppd's own user.
common::Status checkOwnerAndMode(const fs::path& path, const struct stat& info, const char* what) {
  const uid_t self = ::geteuid();
  if (info.st_uid != 0 && info.st_uid != self) {
    return Error{fmt::format(
        "{}: refused: {} is owned by uid {}, not by root or eppd's user (uid {}); that user "
        "could change the code eppd runs",
        path.string(), what, info.st_uid, self)};
  }
  if ((info.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return Error{
        fmt::format("{}: refused: {} is writable by {} (mode {:04o}); remove group and other write "
                    "permission (chmod go-w)",
                    path.string(), what,
                    (info.st_mode & S_IWGRP) && (info.st_mode & S_IWOTH) ? "group and others"
                    : (info.st_mode & S_IWGRP)                           ? "its group"
                                                                         : "others",
                    info.st_mode & 07777)};
  }
  return {};
}

common::Status checkDirectory(const fs::path& dir) {
  struct stat info {};
  if (::stat(dir.c_str(), &info) != 0) {
    return Error{
        fmt::format("{}: cannot read plugin directory: {}", dir.string(), std::strerror(errno))};
  }
  if (!S_ISDIR(info.st_mode)) {
    return Error{fmt::format("{}: cannot read plugin directory: not a directory", dir.string())};
  }
  return checkOwnerAndMode(dir, info, "the plugin directory");
}

}  // namespace

bool isWithin(const fs::path& path, const fs::path& dir) {
  auto p = path.begin();
  for (auto d = dir.begin(); d != dir.end(); ++d, ++p) {
    // A trailing separator leaves an empty last component in `dir`.
    if (d->empty() && std::next(d) == dir.end()) return true;
    if (p == path.end() || *p != *d) return false;
  }
  return true;
}

common::Result<fs::path> checkPluginDirectory(const fs::path& dir) {
  std::error_code ec;
  fs::path canonical = fs::canonical(dir, ec);
  if (ec) {
    return Error{fmt::format("{}: cannot read plugin directory: {}", dir.string(), ec.message())};
  }
  if (common::Status ok = checkDirectory(canonical); !ok) {
    // Name the path as configured; the resolved one when it differs.
    if (canonical != dir) return Error{ok.error() + " (resolved from " + dir.string() + ")"};
    return Error{ok.error()};
  }
  return canonical;
}

common::Result<fs::path> checkPluginFile(const fs::path& entry, const fs::path& canonicalDir) {
  struct stat link {};
  if (::lstat(entry.c_str(), &link) != 0) {
    return Error{fmt::format("{}: cannot read: {}", entry.string(), std::strerror(errno))};
  }
  fs::path target = entry;
  if (S_ISLNK(link.st_mode)) {
    std::error_code ec;
    target = fs::canonical(entry, ec);
    if (ec) {
      return Error{fmt::format("{}: refused: the symlink does not resolve: {}", entry.string(),
                               ec.message())};
    }
    if (!isWithin(target, canonicalDir)) {
      return Error{
          fmt::format("{}: refused: the symlink resolves to {}, outside the plugin directory {}",
                      entry.string(), target.string(), canonicalDir.string())};
    }
    // Directories between the plugin directory and the target may be changed by whoever
    // can write them, as the plugin directory itself could.
    fs::path partial = canonicalDir;
    fs::path relative = target.parent_path().lexically_relative(canonicalDir);
    for (const auto& component : relative) {
      if (component.empty() || component == ".") continue;
      partial /= component;
      struct stat info {};
      if (::stat(partial.c_str(), &info) != 0) {
        return Error{fmt::format("{}: cannot read {}: {}", entry.string(), partial.string(),
                                 std::strerror(errno))};
      }
      common::Status ok = checkOwnerAndMode(partial, info, "a directory the symlink goes through");
      if (!ok) return Error{fmt::format("{} (symlink {})", ok.error(), entry.string())};
    }
  }
  struct stat info {};
  if (::stat(target.c_str(), &info) != 0) {
    return Error{fmt::format("{}: cannot read: {}", entry.string(), std::strerror(errno))};
  }
  if (!S_ISREG(info.st_mode)) {
    return Error{fmt::format("{}: refused: not a regular file", entry.string())};
  }
  common::Status ok = checkOwnerAndMode(target, info, "the plugin file");
  if (!ok) {
    if (target != entry) return Error{fmt::format("{} (symlink {})", ok.error(), entry.string())};
    return Error{ok.error()};
  }
  return target;
}

}  // namespace epp::loader
