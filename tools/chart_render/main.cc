// eppd-chart-render: prints a Helm chart's manifests as `helm template` would, for charts
// written in the template subset of go_template.h (eppd's own, deploy/helm/eppd).
//
//   eppd-chart-render deploy/helm/eppd [--release eppd] [--namespace default] [--set k=v]...
#include <yaml-cpp/yaml.h>

#include <cstring>
#include <iostream>
#include <string>

#include "tools/chart_render/chart.h"
#include "tools/chart_render/go_template.h"

int main(int argc, char** argv) {
  epp::chart::RenderOptions options;
  std::string chart;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << arg << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--release") {
      options.release = value();
    } else if (arg == "--namespace" || arg == "-n") {
      options.ns = value();
    } else if (arg == "--set") {
      std::string kv = value();
      size_t eq = kv.find('=');
      if (eq == std::string::npos) {
        std::cerr << "--set wants path=value, got " << kv << "\n";
        return 2;
      }
      options.set.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    } else if (arg == "-h" || arg == "--help") {
      std::cout << "usage: eppd-chart-render CHART_DIR [--release NAME] [--namespace NS] "
                   "[--set path=value]...\n";
      return 0;
    } else if (chart.empty() && arg.rfind("-", 0) != 0) {
      chart = arg;
    } else {
      std::cerr << "unknown argument " << arg << "\n";
      return 2;
    }
  }
  if (chart.empty()) {
    std::cerr << "usage: eppd-chart-render CHART_DIR [--release NAME] [--namespace NS] "
                 "[--set path=value]...\n";
    return 2;
  }
  try {
    std::cout << epp::chart::renderChart(chart, options);
  } catch (const std::exception& e) {
    std::cerr << "eppd-chart-render: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
