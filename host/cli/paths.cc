#include "host/cli/paths.h"

#include <unistd.h>

#include <cstdlib>
#include <string>
#include <system_error>

#ifndef EPP_PLUGIN_DIR_FROM_BIN
#error "EPP_PLUGIN_DIR_FROM_BIN must be defined by the build"
#endif

namespace epp::cli {

std::filesystem::path defaultPluginDir() {
  std::filesystem::path configured = EPP_PLUGIN_DIR_FROM_BIN;
  if (configured.is_absolute()) return configured;
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  return (exe.parent_path() / configured).lexically_normal();
}

std::filesystem::path defaultPluginCacheDir() {
  if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime != nullptr && *runtime) {
    return std::filesystem::path(runtime) / "eppd" / "plugin-cache";
  }
  return std::filesystem::path("/tmp") / ("eppd-" + std::to_string(::getuid())) / "plugin-cache";
}

}  // namespace epp::cli
