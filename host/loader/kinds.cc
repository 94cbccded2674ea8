#include "host/loader/kinds.h"

namespace epp::loader {

std::vector<std::string_view> kindNames(uint32_t kinds) {
  std::vector<std::string_view> names;
  for (const KindName& kind : kKindNames) {
    if (kinds & kind.bit) names.push_back(kind.name);
  }
  return names;
}

std::string joinKinds(uint32_t kinds, std::string_view separator) {
  std::string joined;
  for (std::string_view name : kindNames(kinds)) {
    if (!joined.empty()) joined += separator;
    joined += name;
  }
  return joined;
}

}  // namespace epp::loader
