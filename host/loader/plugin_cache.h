// File: host/loader/plugin_cache.h
//
// The private, content-addressed copies plugins are loaded from. glibc hands back an
// already-loaded object for a path (or inode) it knows, so a replaced plugin file would
// keep running its old code; a copy named by its SHA-256 makes each version a distinct
// object that loads side by side with the old one.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "host/common/result.h"

namespace epp::loader {

// The whole file.
common::Result<std::vector<std::byte>> readFile(const std::filesystem::path& path);

// Creates `dir` (and missing parents) with mode 0700, and refuses a directory other users
// could write to: whoever can write there can swap the code eppd is about to load.
common::Status ensurePrivateDirectory(const std::filesystem::path& dir);

// <cache_dir>/<stem>-<sha256>.so
std::filesystem::path cachedPathFor(const std::filesystem::path& cache_dir,
                                    const std::filesystem::path& source, const std::string& sha256);

// Makes `target` hold exactly `bytes` (whose hash is `sha256`): kept when it already does,
// else written to a temporary file in the same directory and renamed over it. Then reads it
// back and checks the hash, so what dlopen maps is what was hashed.
common::Status storeVerified(const std::filesystem::path& target, std::span<const std::byte> bytes,
                             const std::string& sha256);

}  // namespace epp::loader
