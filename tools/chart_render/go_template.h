// File: tools/chart_render/go_template.h
//
// The subset of Go's text/template (with Helm's functions) that eppd's Helm chart is
// written in, so the chart can be rendered where helm is not installed and the rendered
// manifests checked in beside it cannot drift from it (deploy/helm/eppd/README.md).
//
// Supported: text with {{ }} actions and their whitespace trimming ({{- and -}}),
// comments {{/* */}}, `if` / `else` / `else if` / `end`, `with` / `else` / `end`,
// `range` / `else` / `end` over a list (no variables), `define "name"` / `end`;
// pipelines of commands joined by `|`; operands `.`, `$`, field chains (`.Values.a.b`,
// `$.Release.Name`), "strings", integers and (parenthesised pipelines); the functions
// include, tpl, toYaml, toJson, nindent, indent, trim, quote, default, not, eq. Anything
// else is an error naming the template and line, so a template that leaves the subset
// fails the deploy test rather than rendering wrongly.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace epp::chart {

class TemplateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Node;
using NodePtr = std::shared_ptr<const Node>;

// A parsed template file: its top-level nodes, and the `define` blocks it declares.
struct ParsedTemplate {
  std::string name;
  std::vector<NodePtr> body;
  std::map<std::string, std::vector<NodePtr>> defines;
};

// Parses `text`; `name` prefixes error messages ("templates/x.yaml:12: ...").
ParsedTemplate parseTemplate(const std::string& name, const std::string& text);

// Executes parsed templates against YAML data. Defines from every added template are
// visible to `include` and to `tpl`.
class TemplateEngine {
 public:
  void add(ParsedTemplate parsed);
  // Renders the template added under `name` with `.` and `$` bound to `root`.
  std::string render(const std::string& name, const YAML::Node& root) const;

 private:
  std::map<std::string, ParsedTemplate> templates_;
  std::map<std::string, std::vector<NodePtr>> defines_;

  friend class Executor;
};

// Helm's toYaml (block style, map keys sorted, no trailing newline) and toJson (compact,
// keys sorted). Scalars keep their YAML type: a quoted scalar in values.yaml is a string.
std::string toYaml(const YAML::Node& value);
std::string toJson(const YAML::Node& value);

}  // namespace epp::chart
