#include "host/loader/plugin_registry.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <system_error>

#include "host/loader/file_trust.h"

namespace epp::loader {

PluginRegistry::PluginRegistry(Options options) : options_(std::move(options)) {}

std::vector<PluginRegistry::PluginFile> PluginRegistry::listPluginFiles(
    const std::filesystem::path& dir) {
  std::vector<PluginFile> files;
  auto trusted = checkPluginDirectory(dir);
  if (!trusted) {
    errors_.push_back({dir, trusted.error()});
    return files;
  }
  std::error_code ec;
  std::filesystem::directory_iterator it(*trusted, ec);
  if (ec) {
    errors_.push_back(
        {dir, fmt::format("{}: cannot read plugin directory: {}", dir.string(), ec.message())});
    return files;
  }
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.starts_with(".") || it->path().extension() != ".so") continue;
    // A directory that happens to end in .so is no plugin file.
    std::error_code type_ec;
    if (it->is_directory(type_ec) && !it->is_symlink(type_ec)) continue;
    // Named as configured (not as resolved), so messages and pins use the user's path.
    std::filesystem::path entry = dir / name;
    auto resolved = checkPluginFile(*trusted / name, *trusted);
    if (!resolved) {
      errors_.push_back({entry, resolved.error()});
      continue;
    }
    files.push_back({entry, *resolved});
  }
  if (ec) {
    errors_.push_back(
        {dir, fmt::format("{}: cannot read plugin directory: {}", dir.string(), ec.message())});
  }
  std::sort(files.begin(), files.end(),
            [](const PluginFile& a, const PluginFile& b) { return a.entry < b.entry; });
  return files;
}

std::string PluginRegistry::hashPinFor(const std::filesystem::path& entry,
                                       std::vector<bool>& matched) const {
  std::string expected;
  size_t i = 0;
  for (const auto& [key, sha] : hashPins_) {
    std::error_code ec;
    if (key == entry.string() || key == entry.filename().string() ||
        (key.find('/') != std::string::npos && std::filesystem::equivalent(key, entry, ec))) {
      matched[i] = true;
      // Pinned by name and by path: the path's pin, the more specific, applies.
      if (expected.empty() || key.find('/') != std::string::npos) expected = sha;
    }
    ++i;
  }
  return expected;
}

bool PluginRegistry::scan(const std::vector<std::filesystem::path>& dirs) {
  errors_.clear();
  libraries_.clear();
  std::map<std::string, std::vector<Candidate>> candidates;
  std::vector<bool> hashPinMatched(hashPins_.size(), false);
  for (const auto& dir : dirs) {
    for (const auto& [file, resolved] : listPluginFiles(dir)) {
      std::string expected = hashPinFor(file, hashPinMatched);
      auto library = LoadedLibrary::load(resolved, options_.cache_dir, options_.host_abi, expected);
      if (!library) {
        // Errors name what was read; name the entry the user put in the directory too.
        std::string message = library.error();
        if (resolved != file) message += " (symlink " + file.string() + ")";
        errors_.push_back({file, std::move(message)});
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
  size_t i = 0;
  for (const auto& [key, sha] : hashPins_) {
    if (!hashPinMatched[i++]) {
      errors_.push_back({{},
                         fmt::format("sha256 pin for '{}': no such plugin file in the plugin "
                                     "directories",
                                     key)});
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
