// File: host/routing/model_names.h
//
// How a requested model name finds a served model, decided once per config: exact names,
// aliases, and versioned names ("llama2-7b" answers as the newest configured
// "llama2-7b-v<N>", versions compared numerically), all optionally regardless of ASCII case.
// Built at config time; a lookup is one or two hash probes and, when case-insensitive, one
// lower-cased copy of the requested name.
//
//   ModelNameTable table(/*caseInsensitive=*/true);
//   table.addName("llama2-7b-v2", 0);
//   table.addName("llama2-7b-v10", 1);
//   table.addAlias("llama", 1);
//   table.finish();
//   table.resolve("LLAMA2-7B");  // {model 1, kNewestVersion}
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace epp::routing {

// "<base>-v<N>[.<N>…]": the base and the numeric version components; nullopt for a name
// without such a suffix ("llama2-7b", "llama-v", "x-v1a"). Components beyond 18 digits
// are refused (they would not compare numerically).
struct VersionedName {
  std::string_view base;
  std::vector<uint64_t> version;
};
std::optional<VersionedName> parseVersionedName(std::string_view name);

// Numeric order of versions, component by component, missing components counting as 0
// (so 1.0 == 1, 1.10 > 1.9, 10 > 9): negative, zero or positive.
int compareVersions(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b);

enum class NameMatch { kExact, kAlias, kNewestVersion };
const char* nameMatchName(NameMatch match);  // "exact", "alias", "version"

struct ResolvedName {
  int model = -1;  // the index given to addName
  NameMatch how = NameMatch::kExact;
};

class ModelNameTable {
 public:
  explicit ModelNameTable(bool caseInsensitive = false) : caseInsensitive_(caseInsensitive) {}

  // Registers a model's own name or one of its aliases under index `model`. When the name
  // (lower-cased, if case-insensitive) is already taken, nothing changes and the index that
  // holds it is returned.
  std::optional<int> addName(std::string_view name, int model);
  std::optional<int> addAlias(std::string_view alias, int model);
  // Builds the version families from the names added (aliases are never versioned). Call
  // once, after the last add.
  void finish();

  std::optional<ResolvedName> resolve(std::string_view requested) const;
  bool empty() const { return names_.empty(); }
  bool caseInsensitive() const { return caseInsensitive_; }
  // The key a name is stored under (lower-cased when case-insensitive).
  std::string key(std::string_view name) const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Map = std::unordered_map<std::string, ResolvedName, Hash, std::equal_to<>>;

  std::optional<int> add(std::string_view name, int model, NameMatch how);
  const ResolvedName* find(const Map& map, std::string_view requested) const;

  bool caseInsensitive_;
  Map names_;   // own names and aliases
  Map newest_;  // version base -> the newest version's model
  struct Versioned {
    std::string base;  // key() of the base
    std::vector<uint64_t> version;
    int model;
  };
  std::vector<Versioned> versioned_;  // collected by addName for finish()
};

}  // namespace epp::routing
