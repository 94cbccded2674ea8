// The resolve step for decisionTrees: each tree belongs to one existing profile, its node
// names are unique, every name it follows is one of its nodes, filter nodes name filters,
// every node is reachable from the root, and no path loops.
#include <fmt/format.h>

#include <map>
#include <tuple>
#include <utility>
#include <vector>

#include "epp/abi.h"
#include "host/config/resolve_state.h"
#include "host/config/suggest.h"

namespace epp::config {
namespace {

constexpr int kNone = -1;

struct Edge {
  int to = kNone;
  const Location* where = nullptr;
};

class TreeChecker {
 public:
  TreeChecker(ResolveState& state, const DecisionTreeSpec& tree)
      : state_(state), tree_(tree), context_(fmt::format("decision tree '{}'", tree.profile)) {}

  void check(const ProfileSpec* profile) {
    if (!indexNodes()) return;
    bool linked = linkNodes();
    for (const TreeNodeSpec& node : tree_.nodes) checkFilter(node);
    if (profile != nullptr) checkProfileFilters(*profile);
    if (!linked) return;
    if (!findCycle()) checkReachable();
  }

 private:
  bool indexNodes() {
    for (size_t i = 0; i < tree_.nodes.size(); ++i) {
      const TreeNodeSpec& node = tree_.nodes[i];
      auto [it, inserted] = index_.emplace(node.name, static_cast<int>(i));
      if (!inserted) {
        state_.diag.error(node.where,
                          fmt::format("{}: duplicate node name '{}' (first at line {})", context_,
                                      node.name, tree_.nodes[it->second].where.line));
      }
    }
    return index_.size() == tree_.nodes.size();
  }

  int nodeNamed(const std::string& name, const Location& where, std::string_view what) {
    auto it = index_.find(name);
    if (it != index_.end()) return it->second;
    std::string hint;
    if (state_.diag.wantsDetail()) {
      std::vector<std::string_view> names;
      for (const auto& [known, i] : index_) names.push_back(known);
      hint = didYouMean(name, names);
    }
    state_.diag.error(
        where, fmt::format("{}: {} '{}' is not a node of this tree{}", context_, what, name, hint));
    return kNone;
  }

  // Fills edges_ (onSuccess then onFailure of each node); false when a name is unknown.
  bool linkNodes() {
    bool ok = true;
    root_ = nodeNamed(tree_.root, tree_.rootWhere, "root");
    ok = root_ != kNone;
    edges_.resize(tree_.nodes.size());
    for (size_t i = 0; i < tree_.nodes.size(); ++i) {
      const TreeNodeSpec& node = tree_.nodes[i];
      for (auto [next, where, label] :
           {std::tuple{&node.onSuccess, &node.onSuccessWhere, "onSuccess"},
            std::tuple{&node.onFailure, &node.onFailureWhere, "onFailure"}}) {
        if (next->empty()) continue;
        int to = nodeNamed(*next, *where, fmt::format("node '{}': {}", node.name, label));
        if (to == kNone) {
          ok = false;
          continue;
        }
        edges_[i].push_back(Edge{to, where});
      }
    }
    return ok;
  }

  void checkFilter(const TreeNodeSpec& node) {
    if (node.filter.empty()) return;
    const PluginSpec* plugin = state_.find(node.filter);
    if (plugin == nullptr) {
      state_.diag.error(node.filterWhere,
                        fmt::format("{}: node '{}': no plugin named '{}'{}", context_, node.name,
                                    node.filter, state_.closestPlugin(node.filter)));
      return;
    }
    if (state_.hasUnknownType(plugin->name)) return;
    if ((plugin->kinds & EPP_KIND_FILTER) == 0) {
      state_.diag.error(node.filterWhere,
                        fmt::format("{}: node '{}': {} is {}, not a filter", context_, node.name,
                                    describePlugin(*plugin), kindWords(plugin->kinds)));
    }
  }

  // The tree is the profile's filter stage: plugins that are only filters belong in it.
  void checkProfileFilters(const ProfileSpec& profile) {
    constexpr uint32_t kOtherRoles = EPP_KIND_SCORER | EPP_KIND_PICKER;
    for (const ProfilePluginRef& entry : profile.plugins) {
      const PluginSpec* plugin = state_.find(entry.pluginRef);
      if (plugin == nullptr || state_.hasUnknownType(plugin->name)) continue;
      if ((plugin->kinds & EPP_KIND_FILTER) != 0 && (plugin->kinds & kOtherRoles) == 0) {
        state_.diag.error(entry.where,
                          fmt::format("profile '{}': filter {} is listed, but the profile's "
                                      "filters come from its decision tree; make it a node",
                                      profile.name, describePlugin(*plugin)));
      }
    }
  }

  // Depth-first search over every node; reports the first loop found. Iterative: a long
  // chain of nodes must not exhaust the stack.
  bool findCycle() {
    enum class Color { kWhite, kGray, kBlack };
    std::vector<Color> color(tree_.nodes.size(), Color::kWhite);
    for (size_t start = 0; start < tree_.nodes.size(); ++start) {
      if (color[start] != Color::kWhite) continue;
      std::vector<std::pair<int, size_t>> stack = {{static_cast<int>(start), 0}};
      color[start] = Color::kGray;
      while (!stack.empty()) {
        auto& [node, next] = stack.back();
        if (next == edges_[node].size()) {
          color[node] = Color::kBlack;
          stack.pop_back();
          continue;
        }
        const Edge& edge = edges_[node][next++];
        if (color[edge.to] == Color::kGray) {
          reportCycle(stack, edge);
          return true;
        }
        if (color[edge.to] == Color::kWhite) {
          color[edge.to] = Color::kGray;
          stack.emplace_back(edge.to, 0);
        }
      }
    }
    return false;
  }

  void reportCycle(const std::vector<std::pair<int, size_t>>& stack, const Edge& closing) {
    std::string path;
    bool inCycle = false;
    for (const auto& [node, next] : stack) {
      inCycle = inCycle || node == closing.to;
      if (inCycle) path += tree_.nodes[node].name + " -> ";
    }
    path += tree_.nodes[closing.to].name;
    state_.diag.error(*closing.where, fmt::format("{}: cycle {}", context_, path));
  }

  void checkReachable() {
    std::vector<bool> seen(tree_.nodes.size(), false);
    std::vector<int> todo = {root_};
    seen[root_] = true;
    while (!todo.empty()) {
      int node = todo.back();
      todo.pop_back();
      for (const Edge& edge : edges_[node]) {
        if (!seen[edge.to]) {
          seen[edge.to] = true;
          todo.push_back(edge.to);
        }
      }
    }
    for (size_t i = 0; i < tree_.nodes.size(); ++i) {
      if (seen[i]) continue;
      state_.diag.error(tree_.nodes[i].where,
                        fmt::format("{}: node '{}' is not reachable from root '{}'", context_,
                                    tree_.nodes[i].name, tree_.root));
    }
  }

  ResolveState& state_;
  const DecisionTreeSpec& tree_;
  std::string context_;
  std::map<std::string, int> index_;
  std::vector<std::vector<Edge>> edges_;
  int root_ = kNone;
};

}  // namespace

void checkDecisionTrees(ResolveState& state) {
  std::map<std::string, const DecisionTreeSpec*> byProfile;
  std::map<std::string_view, const ProfileSpec*> profiles;
  std::vector<std::string_view> profileNames;
  for (const ProfileSpec& profile : state.config.profiles) {
    profiles.emplace(profile.name, &profile);
    profileNames.push_back(profile.name);
  }
  for (const DecisionTreeSpec& tree : state.config.decisionTrees) {
    auto found = profiles.find(tree.profile);
    const ProfileSpec* profile = found == profiles.end() ? nullptr : found->second;
    if (profile == nullptr) {
      std::string hint = state.diag.wantsDetail() ? didYouMean(tree.profile, profileNames) : "";
      state.diag.error(tree.where, fmt::format("decision tree: no scheduling profile named '{}'{}",
                                               tree.profile, hint));
    } else if (auto [it, inserted] = byProfile.emplace(tree.profile, &tree); !inserted) {
      state.diag.error(tree.where,
                       fmt::format("decision tree: profile '{}' already has one (at line {})",
                                   tree.profile, it->second->where.line));
      continue;
    }
    TreeChecker(state, tree).check(profile);
  }
}

}  // namespace epp::config
