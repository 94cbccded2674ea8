// File: host/loader/plugin_registry.h
//
// The plugin types available to configs: every `*.so` of the configured plugin directories,
// loaded, indexed by type name. A bad file is reported and skipped; it never stops the
// others. Two libraries providing one type name is a conflict (the type is withheld)
// unless a pin names the library that wins. Files and directories that others could change
// are refused (file_trust.h), and so is a file whose SHA-256 differs from its hash pin.
//
//   PluginRegistry registry({.cache_dir = "/run/eppd/plugin-cache"});
//   registry.setPins({{"queue-scorer", "core-scorers"}});
//   registry.setHashPins({{"libepp_scorer_queue.so", "3a7bd3…"}});
//   registry.scan({"/usr/lib/eppd/plugins", "/etc/eppd/plugins"});
//   for (const auto& error : registry.errors()) log(error.message);
//   const RegisteredType* t = registry.find("queue-scorer");
//
// Scanning again rebuilds the index: a replaced file loads as a new library beside the old
// one, which stays mapped while instances still hold it. Not thread-safe: one thread scans.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "epp/abi.h"
#include "host/loader/descriptor_validator.h"
#include "host/loader/library.h"

namespace epp::loader {

struct RegisteredType {
  std::shared_ptr<LoadedLibrary> library;
  // The host copy of the type (see type_tables.h), owned by `library`.
  const epp_type_descriptor* type = nullptr;
  // The scanned file that provided it (which may differ from library->sourcePath() when
  // the same content sits in two places).
  std::filesystem::path file;
};

struct ScanError {
  // The file (or directory) at fault; empty for errors about a type name.
  std::filesystem::path file;
  // One line, naming the file.
  std::string message;
};

class PluginRegistry {
 public:
  struct Options {
    std::filesystem::path cache_dir;
    HostAbi host_abi;
  };

  explicit PluginRegistry(Options options);

  // type name -> library name (descriptor `name`), file path or file name that wins a
  // conflict. Takes effect at the next scan.
  void setPins(std::map<std::string, std::string> pins) { pins_ = std::move(pins); }
  // file name or path -> lower-case hex SHA-256 the file must have. A pin matching no
  // scanned file is an error. Takes effect at the next scan.
  void setHashPins(std::map<std::string, std::string> pins) { hashPins_ = std::move(pins); }

  // Loads every *.so directly in each directory (sorted by name; dot-files skipped) and
  // rebuilds the index. Returns false when anything went wrong (see errors()).
  // A refused directory or file is an error and is not loaded.
  bool scan(const std::vector<std::filesystem::path>& dirs);

  const RegisteredType* find(std::string_view type_name) const;
  const std::map<std::string, RegisteredType, std::less<>>& types() const { return types_; }
  const std::vector<ScanError>& errors() const { return errors_; }
  // Every library the last scan loaded, in scan order, once each.
  const std::vector<std::shared_ptr<LoadedLibrary>>& libraries() const { return libraries_; }

 private:
  struct Candidate {
    std::shared_ptr<LoadedLibrary> library;
    const epp_type_descriptor* type;
    std::filesystem::path file;
  };

  struct PluginFile {
    std::filesystem::path entry;     // as found in the directory
    std::filesystem::path resolved;  // what is read: the entry, or its symlink's target
  };

  std::vector<PluginFile> listPluginFiles(const std::filesystem::path& dir);
  // The hash pin of a scanned file, or an empty string; records which pins matched.
  std::string hashPinFor(const std::filesystem::path& entry, std::vector<bool>& matched) const;
  void resolve(const std::string& type_name, std::vector<Candidate>& candidates);
  bool pinMatches(const std::string& pin, const Candidate& candidate) const;

  Options options_;
  std::map<std::string, std::string> pins_;
  std::map<std::string, std::string> hashPins_;
  std::map<std::string, RegisteredType, std::less<>> types_;
  std::vector<ScanError> errors_;
  std::vector<std::shared_ptr<LoadedLibrary>> libraries_;
};

}  // namespace epp::loader
