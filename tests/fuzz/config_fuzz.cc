// File: tests/fuzz/config_fuzz.cc
//
// Bytes as an EndpointPickerConfig file: parseConfig (with its 4 MiB, alias-expansion and
// depth limits), then, for what parses, resolveConfig against the built-in plugin kinds and
// every plugin's parameters as a ParamTree. Errors must be lines of "file:…: reason"; a
// resolved config must resolve again unchanged (resolveConfig promises idempotence).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "host/config/param_tree.h"
#include "host/config/picker_config.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/unit/config/test_kinds.h"

namespace {

constexpr std::string_view kSource = "fuzz.yaml";

void checkError(const std::string& error) {
  FUZZ_CHECK(!error.empty());
  size_t start = 0;
  while (start <= error.size()) {
    size_t end = error.find('\n', start);
    if (end == std::string::npos) end = error.size();
    std::string_view line(error.data() + start, end - start);
    for (char c : line) {
      FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 || c == '\t', "control character %d in\n%s",
                 c, error.c_str());
    }
    FUZZ_CHECK(line.substr(0, kSource.size()) == kSource, "line without its file: '%.*s' in\n%s",
               static_cast<int>(line.size()), line.data(), error.c_str());
    start = end + 1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace epp::config;
  static const KindLookup kinds = testing::lookupIn(testing::referenceKinds());
  std::string text(reinterpret_cast<const char*>(data), size);
  auto parsed = parseConfig(text, std::string(kSource));
  if (!parsed) {
    checkError(parsed.error());
    return 0;
  }
  PickerConfig& config = *parsed;
  for (const PluginSpec& plugin : config.plugins) {
    auto params = ParamTree::fromYaml(plugin.parameters, config.source);
    if (!params) checkError(params.error());
  }
  auto resolved = resolveConfig(config, kinds);
  if (!resolved) {
    checkError(resolved.error());
    return 0;
  }
  const size_t plugins = config.plugins.size();
  const size_t profiles = config.profiles.size();
  auto again = resolveConfig(config, kinds);
  FUZZ_CHECK(again.ok(), "second resolve failed: %s", again.error().c_str());
  FUZZ_CHECK(config.plugins.size() == plugins && config.profiles.size() == profiles);
  return 0;
}
