// File: tools/chart_render/chart.h
//
// Renders a Helm chart directory the way `helm template RELEASE CHART -n NAMESPACE
// --set k=v` prints it: values.yaml with the overrides, every templates/*.yaml that renders
// to something, each as one document headed `# Source: CHART/templates/FILE`, ordered by
// Helm's install order of kinds. Templates must stay within go_template.h's subset.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace epp::chart {

struct RenderOptions {
  std::string release = "eppd";
  std::string ns = "default";
  // --set path=value (dotted path into the values; the value is read as YAML).
  std::vector<std::pair<std::string, std::string>> set;
};

// The manifests as one multi-document YAML text. Throws TemplateError (or YAML::Exception
// for a malformed values.yaml or Chart.yaml) on any problem.
std::string renderChart(const std::filesystem::path& chartDir, const RenderOptions& options);

}  // namespace epp::chart
