#include "tests/deploy/manifest_util.h"

#include <fstream>
#include <sstream>

namespace epp::testing {

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<YAML::Node> loadDocuments(const std::string& yamlText) {
  std::vector<YAML::Node> docs;
  for (const auto& doc : YAML::LoadAll(yamlText)) {
    if (doc.IsMap() && doc["kind"]) docs.push_back(doc);
  }
  return docs;
}

YAML::Node documentOfKind(const std::vector<YAML::Node>& docs, const std::string& kind) {
  YAML::Node found;
  int count = 0;
  for (const auto& d : docs) {
    if (d["kind"].as<std::string>() == kind) {
      found.reset(d);
      ++count;
    }
  }
  return count == 1 ? found : YAML::Node();
}

YAML::Node findBy(const YAML::Node& seq, const std::string& key, const std::string& value) {
  if (!seq || !seq.IsSequence()) return YAML::Node();
  for (const auto& item : seq) {
    if (item[key] && item[key].as<std::string>() == value) return item;
  }
  return YAML::Node();
}

std::vector<std::string> strings(const YAML::Node& seq) {
  std::vector<std::string> out;
  if (!seq || !seq.IsSequence()) return out;
  for (const auto& item : seq) out.push_back(item.as<std::string>());
  return out;
}

}  // namespace epp::testing
