#include "host/loader/library.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <atomic>
#include <boost/dll/shared_library.hpp>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>

#include "host/common/logging.h"
#include "host/common/sha256.h"
#include "host/loader/elf_check.h"
#include "host/loader/error_sink.h"
#include "host/loader/host_api.h"
#include "host/loader/plugin_cache.h"
#include "host/loader/sized_struct.h"

namespace epp::loader {
namespace {

using common::Error;
using common::Result;
using LibraryPtr = std::shared_ptr<LoadedLibrary>;

// Libraries of this process by content hash. A hash is "busy" while one thread loads it
// or while its library is being unloaded; others wait, so one content is never loaded
// twice at once and a new load never races the old one's shutdown.
class LibraryCache {
 public:
  static LibraryCache& get() {
    static auto* cache = new LibraryCache();
    return *cache;
  }

  // The live library for `sha`, or nullptr after reserving `sha` for the caller, who
  // must then call publish() or abandon().
  LibraryPtr findOrReserve(const std::string& sha) {
    std::unique_lock lock(mutex_);
    while (true) {
      auto it = entries_.find(sha);
      if (it == entries_.end()) {
        entries_[sha].busy = true;
        return nullptr;
      }
      if (!it->second.busy) {
        if (LibraryPtr live = it->second.library.lock()) return live;
      }
      // Being loaded, or expired and about to be unloaded: wait for that to finish.
      changed_.wait(lock);
    }
  }

  // The live library for `sha` if one is loaded and settled; never waits or reserves.
  LibraryPtr findLive(const std::string& sha) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(sha);
    if (it == entries_.end() || it->second.busy) return nullptr;
    return it->second.library.lock();
  }

  void publish(const std::string& sha, const LibraryPtr& library) {
    std::lock_guard lock(mutex_);
    entries_[sha] = Entry{library, false};
    changed_.notify_all();
  }

  void abandon(const std::string& sha) {
    std::lock_guard lock(mutex_);
    entries_.erase(sha);
    changed_.notify_all();
  }

  void beginUnload(const std::string& sha) {
    std::lock_guard lock(mutex_);
    entries_[sha].busy = true;
  }

 private:
  struct Entry {
    std::weak_ptr<LoadedLibrary> library;
    bool busy = false;
  };

  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, Entry> entries_;
};

// A plugin file's sha256, remembered while the file's identity is unchanged: device, inode,
// size, modification and status-change times — what git's index trusts to skip re-reading
// a file. Any write changes the ctime (which an unprivileged user cannot set back) and a
// replacement changes the inode, so a changed file is always hashed again. Without it every
// reload read and hashed every library in the plugin directories: ~100 ms per reload for
// the built-in plugins with debug information (57 MB; tests/bench/snapshot_bench).
class DigestMemo {
 public:
  struct Identity {
    dev_t device;
    ino_t inode;
    off_t size;
    timespec modified;
    timespec changed;
  };

  static DigestMemo& get() {
    static auto* memo = new DigestMemo();
    return *memo;
  }

  static std::optional<Identity> identityOf(const std::filesystem::path& file) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) return std::nullopt;
    return Identity{st.st_dev, st.st_ino, st.st_size, st.st_mtim, st.st_ctim};
  }

  std::optional<std::string> find(const std::filesystem::path& file, const Identity& id) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(file.string());
    if (it == entries_.end() || !same(it->second.first, id)) return std::nullopt;
    return it->second.second;
  }

  void remember(const std::filesystem::path& file, const Identity& id, const std::string& sha) {
    std::lock_guard lock(mutex_);
    entries_[file.string()] = {id, sha};
  }

 private:
  static bool same(const Identity& a, const Identity& b) {
    auto eq = [](timespec x, timespec y) { return x.tv_sec == y.tv_sec && x.tv_nsec == y.tv_nsec; };
    return a.device == b.device && a.inode == b.inode && a.size == b.size &&
           eq(a.modified, b.modified) && eq(a.changed, b.changed);
  }

  std::mutex mutex_;
  std::map<std::string, std::pair<Identity, std::string>> entries_;
};

std::atomic<uint64_t> filesHashedCount{0};

// Releases a reservation that did not end in publish().
class Reservation {
 public:
  Reservation(LibraryCache& cache, std::string sha) : cache_(cache), sha_(std::move(sha)) {}
  ~Reservation() {
    if (!published_) cache_.abandon(sha_);
  }
  Reservation(const Reservation&) = delete;
  Reservation& operator=(const Reservation&) = delete;

  void publish(const LibraryPtr& library) {
    cache_.publish(sha_, library);
    published_ = true;
  }

 private:
  LibraryCache& cache_;
  std::string sha_;
  bool published_ = false;
};

std::string dlerrorText() {
  const char* text = ::dlerror();
  return text != nullptr ? text : "unknown dlopen error";
}

}  // namespace

// The steps of one load, each returning an error without the file name; load() adds it.
class LoadedLibrary::Loader {
 public:
  Loader(LoadedLibrary& library, HostAbi host) : lib_(library), host_(host) {}

  common::Status open() {
    boost::dll::fs::error_code ec;
    lib_.library_->load(boost::dll::fs::path(lib_.cached_.string()),
                        boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
    if (ec) return Error{"cannot load: " + dlerrorText()};
    return {};
  }

  common::Status readAbi() {
    if (!lib_.library_->has(EPP_PLUGIN_ABI_SYMBOL)) {
      return Error{"not an eppd plugin: no " EPP_PLUGIN_ABI_SYMBOL " symbol"};
    }
    lib_.packed_abi_ = lib_.library_->get<const uint32_t>(EPP_PLUGIN_ABI_SYMBOL);
    return checkAbi(lib_.packed_abi_, host_);
  }

  common::Status enter() {
    if (!lib_.library_->has(EPP_PLUGIN_ENTRY_SYMBOL)) {
      return Error{"not an eppd plugin: no " EPP_PLUGIN_ENTRY_SYMBOL " symbol"};
    }
    auto& entry = lib_.library_->get<const epp_plugin_descriptor*(const epp_entry_args*)>(
        EPP_PLUGIN_ENTRY_SYMBOL);
    ErrorSink error;
    epp_entry_args args{};
    args.struct_size = sizeof(args);
    args.host_abi_major = host_.major;
    args.host_abi_minor = host_.minor;
    args.host = hostApi();
    args.error = error.handle();
    std::string log_name = lib_.source_.filename().string();
    ScopedLibraryLogContext context(log_name);
    try {
      lib_.raw_descriptor_ = entry(&args);
    } catch (...) {
      // A C++ plugin that lets an exception escape its entry point broke the ABI; the
      // library is unusable but the host carries on.
      return Error{"plugin entry point threw an exception"};
    }
    if (lib_.raw_descriptor_ == nullptr) {
      return Error{"plugin refused to load: " +
                   (error.isSet() ? error.message() : std::string("(no message)"))};
    }
    return {};
  }

  common::Status validate() {
    common::Status valid = validateDescriptor(lib_.raw_descriptor_, lib_.packed_abi_, host_);
    if (!valid) {
      // The entry point ran, so the plugin may hold resources: let it release them.
      callShutdown(lib_);
      lib_.raw_descriptor_ = nullptr;
      return Error{"invalid descriptor: " + valid.error()};
    }
    const epp_plugin_descriptor* raw = lib_.raw_descriptor_;
    lib_.descriptor_ = normalizeDescriptor(raw);
    lib_.name_ = raw->name;
    lib_.version_ = raw->version;
    for (size_t i = 0; i < raw->types_count; ++i) {
      lib_.types_.push_back(std::make_unique<NormalizedType>(raw->types[i]));
      lib_.type_pointers_.push_back(&lib_.types_.back()->descriptor());
    }
    lib_.descriptor_.types = lib_.type_pointers_.data();
    return {};
  }

  static void callShutdown(LoadedLibrary& library) {
    auto shutdown = fieldOr(library.raw_descriptor_, &epp_plugin_descriptor::shutdown);
    if (shutdown == nullptr) return;
    std::string log_name = library.source_.filename().string();
    ScopedLibraryLogContext context(log_name);
    try {
      shutdown();
    } catch (...) {
      common::logger()->error("{}: plugin shutdown threw an exception", library.source_.string());
    }
  }

 private:
  LoadedLibrary& lib_;
  HostAbi host_;
};

Result<std::shared_ptr<LoadedLibrary>> LoadedLibrary::load(const std::filesystem::path& source,
                                                           const std::filesystem::path& cache_dir,
                                                           HostAbi host,
                                                           std::string_view expected_sha256) {
  auto fail = [&](const std::string& reason) { return Error{source.string() + ": " + reason}; };
  auto pinned = [&](const std::string& sha) {
    return expected_sha256.empty() || sha == expected_sha256;
  };
  auto refused = [&](const std::string& sha) {
    return fail(
        fmt::format("refused: its sha256 is {}, but the config pins {}", sha, expected_sha256));
  };
  try {
    LibraryCache& cache = LibraryCache::get();
    DigestMemo& memo = DigestMemo::get();
    // Taken before reading: a file changed after this is seen as changed by the next scan.
    const std::optional<DigestMemo::Identity> identity = DigestMemo::identityOf(source);
    if (identity) {
      if (std::optional<std::string> sha = memo.find(source, *identity)) {
        if (!pinned(*sha)) return refused(*sha);
        if (LibraryPtr existing = cache.findLive(*sha)) {
          if (auto abi = checkAbi(existing->packedAbi(), host); !abi) return fail(abi.error());
          return existing;
        }
      }
    }
    auto bytes = readFile(source);
    if (!bytes) return fail(bytes.error());
    if (auto elf = checkElfSharedObject(*bytes); !elf) return fail(elf.error());
    std::string sha = common::sha256Hex(*bytes);
    filesHashedCount.fetch_add(1, std::memory_order_relaxed);
    if (identity) memo.remember(source, *identity, sha);
    if (!pinned(sha)) return refused(sha);

    if (LibraryPtr existing = cache.findOrReserve(sha)) {
      // Validated when first loaded, perhaps by a host that spoke another ABI (tests).
      if (auto abi = checkAbi(existing->packedAbi(), host); !abi) return fail(abi.error());
      return existing;
    }
    // Declared before `library` so a failed library is unloaded before others may retry.
    Reservation reservation(cache, sha);

    LibraryPtr library(new LoadedLibrary());
    library->source_ = source;
    library->sha256_ = sha;
    Loader loader(*library, host);
    common::Status status = ensurePrivateDirectory(cache_dir);
    if (status) {
      library->cached_ = cachedPathFor(std::filesystem::absolute(cache_dir), source, sha);
      status = storeVerified(library->cached_, *bytes, sha);
    }
    if (status) status = loader.open();
    if (status) status = loader.readAbi();
    if (status) status = loader.enter();
    if (status) status = loader.validate();
    if (!status) return fail(status.error());
    library->published_ = true;
    reservation.publish(library);
    return library;
  } catch (const std::exception& e) {
    // Only a host-side failure (allocation, filesystem) gets here.
    return fail(std::string("cannot load: ") + e.what());
  }
}

uint64_t LoadedLibrary::filesHashed() { return filesHashedCount.load(std::memory_order_relaxed); }

LoadedLibrary::LoadedLibrary() : library_(std::make_unique<boost::dll::shared_library>()) {}

LoadedLibrary::~LoadedLibrary() {
  if (published_) LibraryCache::get().beginUnload(sha256_);
  if (raw_descriptor_ != nullptr) Loader::callShutdown(*this);
  library_->unload();
  if (published_) LibraryCache::get().abandon(sha256_);
}

const epp_type_descriptor* LoadedLibrary::findType(std::string_view type_name) const {
  for (const epp_type_descriptor* type : type_pointers_) {
    if (type->type_name == type_name) return type;
  }
  return nullptr;
}

}  // namespace epp::loader
