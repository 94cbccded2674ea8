// File: host/loader/library.h
//
// One plugin library loaded into eppd. Loading copies the file to its content-addressed
// place in the plugin cache, checks it is a shared object, dlopens the copy
// RTLD_NOW | RTLD_LOCAL (Boost.DLL), reads `epp_plugin_abi` before running any plugin code,
// calls `epp_plugin_entry` and validates the descriptor. Every failure is a one-line error
// naming the file; nothing throws.
//
//   auto lib = LoadedLibrary::load("/plugins/libscorers.so", "/run/eppd/plugin-cache");
//   if (!lib) log(lib.error());
//   const epp_type_descriptor* t = (*lib)->findType("queue-scorer");
//
// Instances hold a shared_ptr to their library: it is unloaded (shutdown, then dlclose)
// only after the last holder is gone. Loading a file whose content is already loaded in
// this process returns that same library.
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "epp/abi.h"
#include "host/common/result.h"
#include "host/loader/descriptor_validator.h"
#include "host/loader/type_tables.h"

namespace boost::dll {
class shared_library;
}  // namespace boost::dll

namespace epp::loader {

class LoadedLibrary {
 public:
  // `expected_sha256` (lower-case hex), when not empty, is the hash the file must have:
  // any other content is refused before any of it is mapped or run.
  static common::Result<std::shared_ptr<LoadedLibrary>> load(const std::filesystem::path& source,
                                                             const std::filesystem::path& cache_dir,
                                                             HostAbi host = {},
                                                             std::string_view expected_sha256 = {});

  // Plugin files this process has read and hashed. A file whose identity (device, inode,
  // size, mtime, ctime) is unchanged since its last hash is not read again while its
  // library is loaded, so a reload costs a stat per file.
  static uint64_t filesHashed();

  ~LoadedLibrary();
  LoadedLibrary(const LoadedLibrary&) = delete;
  LoadedLibrary& operator=(const LoadedLibrary&) = delete;

  // The file it was first loaded from (a later load of identical content elsewhere
  // returns this object unchanged).
  const std::filesystem::path& sourcePath() const { return source_; }
  // The private copy that is mapped.
  const std::filesystem::path& cachedPath() const { return cached_; }
  const std::string& sha256() const { return sha256_; }
  // The value of `epp_plugin_abi`.
  uint32_t packedAbi() const { return packed_abi_; }

  // Host copy of the descriptor (absent fields zeroed); `types` points to host copies.
  const epp_plugin_descriptor& descriptor() const { return descriptor_; }
  const std::string& name() const { return name_; }
  const std::string& version() const { return version_; }
  std::span<const epp_type_descriptor* const> types() const { return type_pointers_; }
  const epp_type_descriptor* findType(std::string_view type_name) const;

 private:
  LoadedLibrary();
  class Loader;

  std::filesystem::path source_;
  std::filesystem::path cached_;
  std::string sha256_;
  uint32_t packed_abi_ = 0;
  // Behind a pointer so includers do not compile Boost.DLL.
  std::unique_ptr<boost::dll::shared_library> library_;
  // The plugin's own descriptor, read only through sized_struct.h.
  const epp_plugin_descriptor* raw_descriptor_ = nullptr;
  epp_plugin_descriptor descriptor_{};
  std::string name_;
  std::string version_;
  std::vector<std::unique_ptr<NormalizedType>> types_;
  std::vector<const epp_type_descriptor*> type_pointers_;
  // Set once the library is in the process-wide cache, which it leaves when destroyed.
  bool published_ = false;
};

}  // namespace epp::loader
