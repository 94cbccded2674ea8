// File: host/loader/file_trust.h
//
// Which plugin files eppd agrees to load. Loading a plugin runs its code inside eppd with
// eppd's privileges, so whoever can change a plugin file or add one to a plugin directory
// can run code as eppd. The loader therefore refuses:
//   - a plugin directory, or a plugin file, writable by group or others, or owned by a
//     user other than root and eppd's own (effective) uid;
//   - a symlink whose target resolves outside the plugin directory (links inside it, such
//     as a Kubernetes volume's `..data/` layout, are fine; the directories they pass
//     through are checked like the plugin directory);
//   - a link that does not resolve, or that resolves to anything but a regular file.
// Every refusal is one line naming the file and the reason.
//
//   auto dir = checkPluginDirectory("/etc/eppd/plugins");   // canonical path, or refusal
//   auto file = checkPluginFile(*dir / "libfoo.so", *dir);  // the file to read, or refusal
//
// The parents of a plugin directory are not checked: the directory is named by whoever
// writes the config or the command line, who is trusted with its location.
#pragma once

#include <sys/types.h>

#include <filesystem>

#include "host/common/result.h"

namespace epp::loader {

// The canonical path of `dir` (symlinks in the configured path itself are followed) once
// it is a directory that only root or eppd's uid can change.
common::Result<std::filesystem::path> checkPluginDirectory(const std::filesystem::path& dir);

// `entry` is a name directly inside `canonicalDir` (a checkPluginDirectory result). Returns
// the regular file to load: `entry` itself, or the target of its symlink when that target
// lies inside `canonicalDir` and every directory on the way passes the directory check.
common::Result<std::filesystem::path> checkPluginFile(const std::filesystem::path& entry,
                                                      const std::filesystem::path& canonicalDir);

// True when `path` is `dir` or lies below it (both canonical; compared by components, so
// /plugins-other is not inside /plugins).
bool isWithin(const std::filesystem::path& path, const std::filesystem::path& dir);

}  // namespace epp::loader
