// File: host/cli/paths.h
//
// Where eppd looks by default: its built-in plugin directory, found relative to the
// executable so an install prefix (or the build tree, which mirrors one) works anywhere,
// and its plugin cache.
#pragma once

#include <filesystem>

namespace epp::cli {

// <dir of the eppd executable>/<relative path from bin to the plugin dir>, e.g.
// /usr/local/bin/../lib/eppd/plugins.
std::filesystem::path defaultPluginDir();

// $XDG_RUNTIME_DIR/eppd/plugin-cache, else /tmp/eppd-<uid>/plugin-cache.
std::filesystem::path defaultPluginCacheDir();

}  // namespace epp::cli
