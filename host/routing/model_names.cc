#include "host/routing/model_names.h"

#include <algorithm>

namespace epp::routing {
namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool isDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::optional<VersionedName> parseVersionedName(std::string_view name) {
  // The suffix after the last '-': "v" or "V", then digits and dots.
  const size_t at = name.rfind('-');
  if (at == std::string_view::npos || at == 0 || at + 2 >= name.size()) return std::nullopt;
  if (name[at + 1] != 'v' && name[at + 1] != 'V') return std::nullopt;
  VersionedName out;
  out.base = name.substr(0, at);
  std::string_view rest = name.substr(at + 2);
  while (true) {
    size_t dot = rest.find('.');
    std::string_view part = rest.substr(0, dot);
    if (part.empty() || part.size() > 18 || !std::all_of(part.begin(), part.end(), isDigit)) {
      return std::nullopt;
    }
    uint64_t value = 0;
    for (char c : part) value = value * 10 + static_cast<uint64_t>(c - '0');
    out.version.push_back(value);
    if (dot == std::string_view::npos) break;
    rest = rest.substr(dot + 1);
  }
  return out;
}

int compareVersions(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    uint64_t x = i < a.size() ? a[i] : 0;
    uint64_t y = i < b.size() ? b[i] : 0;
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

const char* nameMatchName(NameMatch match) {
  switch (match) {
    case NameMatch::kExact:
      return "exact";
    case NameMatch::kAlias:
      return "alias";
    case NameMatch::kNewestVersion:
      return "version";
  }
  return "exact";
}

std::string ModelNameTable::key(std::string_view name) const {
  std::string out(name);
  if (caseInsensitive_) std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

std::optional<int> ModelNameTable::add(std::string_view name, int model, NameMatch how) {
  auto [it, inserted] = names_.try_emplace(key(name), ResolvedName{model, how});
  if (!inserted) return it->second.model;
  return std::nullopt;
}

std::optional<int> ModelNameTable::addName(std::string_view name, int model) {
  std::optional<int> taken = add(name, model, NameMatch::kExact);
  if (taken) return taken;
  if (auto v = parseVersionedName(name)) {
    versioned_.push_back({key(v->base), std::move(v->version), model});
  }
  return std::nullopt;
}

std::optional<int> ModelNameTable::addAlias(std::string_view alias, int model) {
  return add(alias, model, NameMatch::kAlias);
}

void ModelNameTable::finish() {
  // Config order breaks ties (v1 and v1.0): the first written stays.
  std::unordered_map<std::string, const Versioned*> newest;
  for (const Versioned& v : versioned_) {
    auto [it, inserted] = newest.try_emplace(v.base, &v);
    if (!inserted && compareVersions(v.version, it->second->version) > 0) it->second = &v;
  }
  for (const auto& [base, v] : newest) {
    newest_.emplace(base, ResolvedName{v->model, NameMatch::kNewestVersion});
  }
  versioned_.clear();
}

const ResolvedName* ModelNameTable::find(const Map& map, std::string_view requested) const {
  auto it = map.find(requested);
  return it == map.end() ? nullptr : &it->second;
}

std::optional<ResolvedName> ModelNameTable::resolve(std::string_view requested) const {
  if (caseInsensitive_) {
    std::string folded = key(requested);
    if (const ResolvedName* r = find(names_, folded)) return *r;
    if (const ResolvedName* r = find(newest_, folded)) return *r;
    return std::nullopt;
  }
  if (const ResolvedName* r = find(names_, requested)) return *r;
  if (const ResolvedName* r = find(newest_, requested)) return *r;
  return std::nullopt;
}

}  // namespace epp::routing
