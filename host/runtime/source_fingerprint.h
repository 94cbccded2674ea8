// File: host/runtime/source_fingerprint.h
//
// What a reload reads before doing any work, so a trigger that changed nothing (an editor
// touching the file, a ConfigMap resync, a SIGHUP out of habit) costs a hash and a few
// stat calls: the config text's SHA-256 and, for each plugin directory, the name, size,
// mtime and inode of every `*.so` it holds.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "host/common/result.h"

namespace epp::runtime {

struct SourceFingerprint {
  std::string configSha256;
  std::string pluginFiles;
  bool operator==(const SourceFingerprint&) const = default;
};

// The whole file. A missing file is retried for a short while: a rename-on-save or a
// ConfigMap symlink swap can leave the path briefly dangling (kubernetes#93686).
common::Result<std::string> readConfigText(const std::string& path);

std::string pluginFilesFingerprint(const std::vector<std::filesystem::path>& dirs);

}  // namespace epp::runtime
