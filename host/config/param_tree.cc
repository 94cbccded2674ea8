#include "host/config/param_tree.h"

#include <fmt/format.h>

#include <set>

#include "host/config/scalar.h"

namespace epp::config {
namespace {

using common::Error;
using common::Result;

// Aliases can make a small document expand into a huge tree ("billion laughs"); parameter
// trees are small, so anything past these limits is a mistake or an attack.
constexpr size_t kMaxNodes = 100'000;
constexpr int kMaxDepth = 64;

const std::string kEmpty;

std::string formatLocation(const std::string& file, const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0) return file;
  return fmt::format("{}:{}:{}", file, mark.line + 1, mark.column + 1);
}

epp_param_kind kindOf(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return EPP_PARAM_SCALAR;
    case YAML::NodeType::Sequence:
      return EPP_PARAM_LIST;
    case YAML::NodeType::Map:
      return EPP_PARAM_MAP;
    default:
      return EPP_PARAM_NULL;
  }
}

}  // namespace

class ParamTree::Builder {
 public:
  Builder(ParamTree& tree, std::string file) : tree_(tree), file_(std::move(file)) {}

  // `fallback` locates nodes YAML gives no mark (an empty value after "key:").
  Result<const ParamNode*> build(const YAML::Node& node, const YAML::Mark& fallback, int depth) {
    if (depth > kMaxDepth) {
      return Error{formatLocation(file_, fallback) + ": parameters nested too deeply"};
    }
    if (tree_.nodes_.size() >= kMaxNodes) {
      return Error{formatLocation(file_, fallback) + ": parameter tree too large"};
    }
    YAML::Mark mark = node.IsDefined() ? node.Mark() : YAML::Mark::null_mark();
    if (mark.is_null() || mark.line < 0) mark = fallback;
    auto& created = tree_.nodes_.emplace_back(new ParamNode(
        node.IsDefined() ? kindOf(node) : EPP_PARAM_NULL, formatLocation(file_, mark)));
    ParamNode* out = created.get();
    switch (out->kind_) {
      case EPP_PARAM_SCALAR:
        out->text_ = node.Scalar();
        break;
      case EPP_PARAM_LIST:
        for (const YAML::Node& item : node) {
          auto child = build(item, mark, depth + 1);
          if (!child) return child;
          out->entries_.emplace_back(std::string(), *child);
        }
        break;
      case EPP_PARAM_MAP: {
        std::set<std::string, std::less<>> seen;
        for (const auto& entry : node) {
          const YAML::Node& key = entry.first;
          std::string key_location = formatLocation(file_, key.Mark());
          if (!key.IsScalar()) return Error{key_location + ": map keys must be scalars"};
          if (!seen.insert(key.Scalar()).second) {
            return Error{key_location + ": duplicate key '" + key.Scalar() + "'"};
          }
          auto child = build(entry.second, key.Mark(), depth + 1);
          if (!child) return child;
          out->entries_.emplace_back(key.Scalar(), *child);
        }
        break;
      }
      default:
        break;
    }
    return static_cast<const ParamNode*>(out);
  }

 private:
  ParamTree& tree_;
  std::string file_;
};

const ParamNode* ParamNode::at(size_t index) const {
  return index < entries_.size() ? entries_[index].second : nullptr;
}

const std::string& ParamNode::keyAt(size_t index) const {
  return index < entries_.size() ? entries_[index].first : kEmpty;
}

const ParamNode* ParamNode::find(std::string_view key) const {
  if (kind_ != EPP_PARAM_MAP) return nullptr;
  for (const auto& [name, child] : entries_) {
    if (name == key) return child;
  }
  return nullptr;
}

template <typename T>
Result<T> ParamNode::convert(Result<T> (*parse)(std::string_view)) const {
  if (kind_ != EPP_PARAM_SCALAR) {
    static constexpr const char* kNames[] = {"null", "a scalar", "a list", "a map"};
    return Error{location_ + ": expected a scalar, got " + kNames[kind_]};
  }
  Result<T> value = parse(text_);
  if (!value) return Error{location_ + ": " + value.error()};
  return value;
}

Result<bool> ParamNode::asBool() const { return convert(&parseBool); }
Result<int64_t> ParamNode::asInt() const { return convert(&parseInt); }
Result<double> ParamNode::asDouble() const { return convert(&parseDouble); }
Result<int64_t> ParamNode::asDurationNs() const { return convert(&parseDurationNs); }
Result<int64_t> ParamNode::asBytes() const { return convert(&parseBytes); }

Result<std::string> ParamNode::asString() const {
  return convert<std::string>(
      [](std::string_view text) -> Result<std::string> { return std::string(text); });
}

epp_param_host_ptr ParamNode::handle() const {
  // The plugin only ever passes the handle back; it never writes through it.
  return reinterpret_cast<epp_param_host_ptr>(const_cast<ParamNode*>(this));
}

const ParamNode* ParamNode::fromHandle(epp_param_host_ptr handle) {
  return reinterpret_cast<const ParamNode*>(handle);
}

Result<ParamTree> ParamTree::fromYaml(const YAML::Node& node, std::string file) {
  ParamTree tree;
  Builder builder(tree, std::move(file));
  try {
    auto root = builder.build(node, YAML::Mark::null_mark(), 0);
    if (!root) return Error{root.error()};
  } catch (const std::exception& e) {
    return Error{std::string("parameters: ") + e.what()};
  }
  return tree;
}

Result<ParamTree> ParamTree::parse(std::string_view text, std::string file) {
  YAML::Node node;
  try {
    node = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return Error{formatLocation(file, e.mark) + ": " + e.msg};
  }
  return fromYaml(node, std::move(file));
}

ParamTree ParamTree::null(std::string location) {
  ParamTree tree;
  tree.nodes_.emplace_back(new ParamNode(EPP_PARAM_NULL, std::move(location)));
  return tree;
}

}  // namespace epp::config
