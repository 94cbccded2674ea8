#include "host/cli/plugins_command.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "host/cli/paths.h"
#include "host/loader/kinds.h"
#include "host/loader/plugin_registry.h"
#include "host/loader/type_tables.h"

namespace epp::cli {
namespace {

using nlohmann::json;

std::string abiText(uint32_t packed) {
  return fmt::format("{}.{}", EPP_ABI_PACKED_MAJOR(packed), EPP_ABI_PACKED_MINOR(packed));
}

std::string orEmpty(const char* s) { return s != nullptr ? s : ""; }

void printTable(const std::vector<std::array<std::string, 6>>& rows, std::ostream& out) {
  std::array<size_t, 6> widths{};
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += i + 1 < row.size() ? fmt::format("{:<{}}  ", row[i], widths[i]) : row[i];
    }
    out << line << '\n';
  }
}

json typeJson(const epp_type_descriptor& type) {
  std::vector<std::string> kinds;
  for (auto name : loader::kindNames(type.kinds)) kinds.emplace_back(name);
  return {{"type", type.type_name},
          {"kinds", kinds},
          {"description", orEmpty(type.description)},
          {"optional_hooks", loader::optionalHooks(type)},
          {"state_handover", type.state_handover != nullptr}};
}

}  // namespace

int pluginsList(const PluginsListOptions& options, std::ostream& out, std::ostream& err) {
  std::vector<std::filesystem::path> dirs;
  if (!options.no_default_plugin_dir) {
    std::filesystem::path builtin = defaultPluginDir();
    std::error_code ec;
    // The built-in directory is optional; directories the user names are not.
    if (!builtin.empty() && std::filesystem::is_directory(builtin, ec)) dirs.push_back(builtin);
  }
  dirs.insert(dirs.end(), options.plugin_dirs.begin(), options.plugin_dirs.end());

  loader::PluginRegistry registry({.cache_dir = options.plugin_cache, .host_abi = {}});
  bool ok = registry.scan(dirs);

  if (options.json) {
    json types = json::array();
    for (const auto& [name, registered] : registry.types()) {
      json entry = typeJson(*registered.type);
      entry["plugin"] = registered.library->name();
      entry["version"] = registered.library->version();
      entry["abi"] = abiText(registered.library->packedAbi());
      entry["file"] = registered.file.string();
      entry["sha256"] = registered.library->sha256();
      types.push_back(std::move(entry));
    }
    out << types.dump(2) << '\n';
  } else {
    std::vector<std::array<std::string, 6>> rows = {
        {"TYPE", "KIND(S)", "PLUGIN", "VERSION", "ABI", "FILE"}};
    for (const auto& [name, registered] : registry.types()) {
      rows.push_back({name, loader::joinKinds(registered.type->kinds), registered.library->name(),
                      registered.library->version(), abiText(registered.library->packedAbi()),
                      registered.file.string()});
    }
    printTable(rows, out);
  }
  for (const auto& error : registry.errors()) err << "error: " << error.message << '\n';
  return ok ? 0 : 1;
}

int pluginsInspect(const PluginsInspectOptions& options, std::ostream& out, std::ostream& err) {
  auto loaded = loader::LoadedLibrary::load(options.file, options.plugin_cache);
  if (!loaded) {
    err << "error: " << loaded.error() << '\n';
    return 1;
  }
  const loader::LoadedLibrary& library = **loaded;
  const epp_plugin_descriptor& descriptor = library.descriptor();
  if (options.json) {
    json types = json::array();
    for (const epp_type_descriptor* type : library.types()) types.push_back(typeJson(*type));
    json doc = {{"file", options.file.string()},
                {"cached_path", library.cachedPath().string()},
                {"sha256", library.sha256()},
                {"name", library.name()},
                {"version", library.version()},
                {"abi", abiText(library.packedAbi())},
                {"description", orEmpty(descriptor.description)},
                {"shutdown", descriptor.shutdown != nullptr},
                {"types", types}};
    out << doc.dump(2) << '\n';
    return 0;
  }
  out << fmt::format("file:        {}\n", options.file.string())
      << fmt::format("cached copy: {}\n", library.cachedPath().string())
      << fmt::format("sha256:      {}\n", library.sha256())
      << fmt::format("plugin:      {} {}\n", library.name(), library.version())
      << fmt::format("abi:         {}\n", abiText(library.packedAbi()))
      << fmt::format("description: {}\n", orEmpty(descriptor.description))
      << fmt::format("shutdown:    {}\n", descriptor.shutdown != nullptr ? "yes" : "no")
      << "types:\n";
  for (const epp_type_descriptor* type : library.types()) {
    std::vector<std::string> hooks = loader::optionalHooks(*type);
    out << fmt::format("  {}\n", type->type_name)
        << fmt::format("    kinds:          {}\n", loader::joinKinds(type->kinds, ", "))
        << fmt::format("    description:    {}\n", orEmpty(type->description))
        << fmt::format("    optional hooks: {}\n", hooks.empty()
                                                       ? std::string("none")
                                                       : fmt::format("{}", fmt::join(hooks, ", ")))
        << fmt::format("    state handover: {}\n", type->state_handover != nullptr ? "yes" : "no");
  }
  return 0;
}

}  // namespace epp::cli
