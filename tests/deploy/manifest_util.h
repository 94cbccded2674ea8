// File: tests/deploy/manifest_util.h
//
// Reading deploy/ files in the deploy tests: whole files, multi-document YAML by kind, and
// small lookups that fail the test with the path they were looking for.
#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <string>
#include <vector>

namespace epp::testing {

std::string readFile(const std::filesystem::path& path);

// Every document of `yamlText` that has a kind (null documents dropped).
std::vector<YAML::Node> loadDocuments(const std::string& yamlText);

// The only document of `kind`; an empty node when there is none or several.
YAML::Node documentOfKind(const std::vector<YAML::Node>& docs, const std::string& kind);

// The element of sequence `seq` whose `key` equals `value`; empty node when absent.
YAML::Node findBy(const YAML::Node& seq, const std::string& key, const std::string& value);

// Scalars of a sequence, in order.
std::vector<std::string> strings(const YAML::Node& seq);

}  // namespace epp::testing
