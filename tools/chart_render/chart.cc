#include "tools/chart_render/chart.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "tools/chart_render/go_template.h"

namespace epp::chart {
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw TemplateError(p.string() + ": cannot read");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Helm's install order (pkg/releaseutil/kind_sorter.go) for the kinds a chart like this
// one uses; kinds it does not know go last, in file-name order.
int kindRank(const std::string& kind) {
  static const std::vector<std::string> order = {"Namespace",
                                                 "NetworkPolicy",
                                                 "ResourceQuota",
                                                 "LimitRange",
                                                 "PodSecurityPolicy",
                                                 "PodDisruptionBudget",
                                                 "ServiceAccount",
                                                 "Secret",
                                                 "SecretList",
                                                 "ConfigMap",
                                                 "StorageClass",
                                                 "PersistentVolume",
                                                 "PersistentVolumeClaim",
                                                 "CustomResourceDefinition",
                                                 "ClusterRole",
                                                 "ClusterRoleList",
                                                 "ClusterRoleBinding",
                                                 "ClusterRoleBindingList",
                                                 "Role",
                                                 "RoleList",
                                                 "RoleBinding",
                                                 "RoleBindingList",
                                                 "Service",
                                                 "DaemonSet",
                                                 "Pod",
                                                 "ReplicationController",
                                                 "ReplicaSet",
                                                 "Deployment",
                                                 "HorizontalPodAutoscaler",
                                                 "StatefulSet",
                                                 "Job",
                                                 "CronJob",
                                                 "IngressClass",
                                                 "Ingress",
                                                 "APIService"};
  auto it = std::find(order.begin(), order.end(), kind);
  return it == order.end() ? static_cast<int>(order.size()) : static_cast<int>(it - order.begin());
}

bool blank(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

void applySet(YAML::Node values, const std::string& path, const std::string& value) {
  std::vector<std::string> keys;
  std::stringstream ss(path);
  for (std::string k; std::getline(ss, k, '.');) keys.push_back(k);
  if (keys.empty()) throw TemplateError("--set needs a path");
  YAML::Node cur = values;
  for (size_t i = 0; i + 1 < keys.size(); ++i) {
    if (!cur[keys[i]] || !cur[keys[i]].IsMap()) cur[keys[i]] = YAML::Node(YAML::NodeType::Map);
    cur.reset(cur[keys[i]]);
  }
  cur[keys.back()] = YAML::Load(value);
}

}  // namespace

std::string renderChart(const fs::path& chartDir, const RenderOptions& options) {
  YAML::Node chartYaml = YAML::LoadFile((chartDir / "Chart.yaml").string());
  YAML::Node values = YAML::LoadFile((chartDir / "values.yaml").string());
  if (!values.IsDefined() || values.IsNull()) values = YAML::Node(YAML::NodeType::Map);
  for (const auto& [path, value] : options.set) applySet(values, path, value);

  const std::string chartName = chartYaml["name"].as<std::string>();
  YAML::Node root(YAML::NodeType::Map);
  root["Values"] = values;
  // Chart and release fields are strings, whatever they look like.
  auto strings = [](std::initializer_list<std::pair<const char*, std::string>> fields) {
    YAML::Node map(YAML::NodeType::Map);
    for (const auto& [k, v] : fields) {
      YAML::Node s(v);
      s.SetTag("!");
      map[k] = s;
    }
    return map;
  };
  root["Release"] =
      strings({{"Name", options.release}, {"Namespace", options.ns}, {"Service", "Helm"}});
  root["Chart"] = strings({{"Name", chartName},
                           {"Version", chartYaml["version"].as<std::string>()},
                           {"AppVersion", chartYaml["appVersion"].as<std::string>("")}});

  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(chartDir / "templates")) {
    std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && (name.ends_with(".yaml") || name.ends_with(".tpl"))) {
      files.push_back(name);
    }
  }
  std::sort(files.begin(), files.end());

  TemplateEngine engine;
  for (const auto& f : files) {
    engine.add(parseTemplate("templates/" + f, slurp(chartDir / "templates" / f)));
  }

  struct Doc {
    int rank;
    std::string file;
    std::string text;
  };
  std::vector<Doc> docs;
  for (const auto& f : files) {
    if (f.front() == '_' || !f.ends_with(".yaml")) continue;
    std::string text = engine.render("templates/" + f, root);
    if (blank(text)) continue;
    YAML::Node doc = YAML::Load(text);
    std::string kind = doc["kind"] ? doc["kind"].as<std::string>() : "";
    // Helm prints the template's text from its first non-blank line.
    size_t start = text.find_first_not_of("\n");
    docs.push_back({kindRank(kind), f, text.substr(start)});
  }
  std::stable_sort(docs.begin(), docs.end(),
                   [](const Doc& a, const Doc& b) { return a.rank < b.rank; });

  std::string out;
  for (const auto& d : docs) {
    out += "---\n# Source: " + chartName + "/templates/" + d.file + "\n" + d.text;
    if (out.back() != '\n') out += "\n";
  }
  return out;
}

}  // namespace epp::chart
