#include "host/loader/plugin_registry.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <system_error>

namespace epp::loader {

PluginRegistry::PluginRegistry(Options options) : options_(std::move(options)) {}

std::vector<std::filesystem::path> PluginRegistry::listPluginFiles(
    const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) {
    errors_.push_back(
        {dir, fmt::format("{}: cannot read plugin directory: {}", dir.string(), ec.message())});
    return files;
  }
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::filesystem::path& path = it->path();
    std::string name = path.filename().string();
    if (name.starts_with(".") || path.extension() != ".so") continue;
    // Follows symlinks: a directory of links to installed plugins is a common layout.
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec)) continue;
    files.push_back(path);
  }
  if (ec) {
    errors_.push_back(
        {dir, fmt::format("{}: cannot read plugin directory: {}", dir.string(), ec.message())});
  }
  std::sort(files.begin(), files.end());
  return files;
}

bool PluginRegistry::scan(const std::vector<std::filesystem::path>& dirs) {
  errors_.clear();
  libraries_.clear();
  std::map<std::string, std::vector<Candidate>> candidates;
  for (const auto& dir : dirs) {
    for (const auto& file : listPluginFiles(dir)) {
      auto library = LoadedLibrary::load(file, options_.cache_dir, options_.host_abi);
      if (!library) {
        errors_.push_back({file, library.error()});
        continue;
      }
      if (std::find(libraries_.begin(), libraries_.end(), *library) == libraries_.end()) {
        libraries_.push_back(*library);
      }
      for (const epp_type_descriptor* type : (*library)->types()) {
        auto& list = candidates[type->type_name];
        // The same content in two places is one library: not a conflict.
        bool seen = std::any_of(list.begin(), list.end(),
                                [&](const Candidate& c) { return c.library == *library; });
        if (!seen) list.push_back({*library, type, file});
      }
    }
  }
  types_.clear();
  for (auto& [type_name, list] : candidates) resolve(type_name, list);
  for (const auto& [type_name, pin] : pins_) {
    if (candidates.find(type_name) == candidates.end()) {
      errors_.push_back(
          {{},
           fmt::format("pin for type '{}' ({}): no library provides that type", type_name, pin)});
    }
  }
  return errors_.empty();
}

const RegisteredType* PluginRegistry::find(std::string_view type_name) const {
  auto it = types_.find(type_name);
  return it == types_.end() ? nullptr : &it->second;
}

bool PluginRegistry::pinMatches(const std::string& pin, const Candidate& candidate) const {
  if (pin == candidate.library->name() || pin == candidate.file.string() ||
      pin == candidate.file.filename().string()) {
    return true;
  }
  std::error_code ec;
  return std::filesystem::equivalent(pin, candidate.file, ec);
}

void PluginRegistry::resolve(const std::string& type_name, std::vector<Candidate>& candidates) {
  auto pin = pins_.find(type_name);
  std::vector<Candidate*> chosen;
  if (pin == pins_.end()) {
    for (auto& candidate : candidates) chosen.push_back(&candidate);
  } else {
    for (auto& candidate : candidates) {
      if (pinMatches(pin->second, candidate)) chosen.push_back(&candidate);
    }
  }
  auto files = [&] {
    std::vector<std::string> names;
    for (const auto& candidate : candidates) names.push_back(candidate.file.string());
    return fmt::format("{}", fmt::join(names, ", "));
  };
  if (chosen.size() == 1) {
    types_[type_name] = {chosen[0]->library, chosen[0]->type, chosen[0]->file};
    return;
  }
  if (pin != pins_.end() && chosen.empty()) {
    errors_.push_back({{},
                       fmt::format("type '{}' is pinned to '{}', which is none of the "
                                   "libraries providing it ({})",
                                   type_name, pin->second, files())});
    return;
  }
  errors_.push_back({{},
                     fmt::format("type '{}' is provided by several libraries ({}); pin "
                                 "one to use it",
                                 type_name, files())});
}

}  // namespace epp::loader
