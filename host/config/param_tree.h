// File: host/config/param_tree.h
//
// The read-only parameter tree a plugin's `create` receives (the objects behind
// epp_param_host_ptr): one plugin's `parameters:` YAML, copied into plain nodes that know
// their "file:line:col", so a plugin can say exactly where a mistake is.
//
//   auto tree = ParamTree::parse("threshold: 128\n", "config.yaml");
//   const ParamNode* t = tree->root().find("threshold");
//   t->asInt();       // 128
//   t->location();    // "config.yaml:1:12"
//
// The tree is built eagerly and never changes, so it may be read from several threads and
// node addresses (and the views handed to plugins) stay valid as long as the tree lives.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "epp/abi.h"
#include "host/common/result.h"

namespace epp::config {

class ParamNode {
 public:
  ParamNode(const ParamNode&) = delete;
  ParamNode& operator=(const ParamNode&) = delete;

  // EPP_PARAM_NULL, EPP_PARAM_SCALAR, EPP_PARAM_LIST or EPP_PARAM_MAP.
  epp_param_kind kind() const { return kind_; }
  // "file:line:col" (1-based), or just "file" when YAML gave no position.
  const std::string& location() const { return location_; }
  // A scalar's text without quotes; empty for other kinds.
  const std::string& text() const { return text_; }

  // Entries of a list or map, in document order (0 for scalars and null).
  size_t size() const { return entries_.size(); }
  const ParamNode* at(size_t index) const;
  // The key of a map entry; empty for list entries.
  const std::string& keyAt(size_t index) const;
  // The child of a map under `key`, or nullptr (also when this is not a map).
  const ParamNode* find(std::string_view key) const;

  // Typed reads of a scalar; the error is "location: reason".
  common::Result<bool> asBool() const;
  common::Result<int64_t> asInt() const;
  common::Result<double> asDouble() const;
  common::Result<std::string> asString() const;
  common::Result<int64_t> asDurationNs() const;
  common::Result<int64_t> asBytes() const;

  epp_param_host_ptr handle() const;
  static const ParamNode* fromHandle(epp_param_host_ptr handle);

 private:
  friend class ParamTree;
  ParamNode(epp_param_kind kind, std::string location)
      : kind_(kind), location_(std::move(location)) {}

  template <typename T>
  common::Result<T> convert(common::Result<T> (*parse)(std::string_view)) const;

  epp_param_kind kind_;
  std::string location_;
  std::string text_;
  std::vector<std::pair<std::string, const ParamNode*>> entries_;
};

class ParamTree {
 public:
  // Copies `node`. `file` names the document in locations. Duplicate map keys and
  // non-scalar keys are errors.
  static common::Result<ParamTree> fromYaml(const YAML::Node& node, std::string file);
  // Parses `text` as one YAML document, whose root becomes the tree's root.
  static common::Result<ParamTree> parse(std::string_view text, std::string file);
  // A tree whose root is a null node at `location`: a plugin configured without
  // `parameters:`.
  static ParamTree null(std::string location);

  ParamTree(ParamTree&&) noexcept = default;
  ParamTree& operator=(ParamTree&&) noexcept = default;

  const ParamNode& root() const { return *nodes_.front(); }

 private:
  ParamTree() = default;
  class Builder;

  // unique_ptr keeps node addresses stable when the tree moves.
  std::vector<std::unique_ptr<ParamNode>> nodes_;
};

}  // namespace epp::config
