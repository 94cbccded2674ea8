// File: host/loader/descriptor_validator.h
//
// Checks that what a plugin library returned from its entry point can be used: ABI
// version, required strings and functions, kind bits against kind tables, type names.
// Pure functions over the plugin's memory, read only within each struct's `struct_size`.
// Errors are one line, without the file name (the loader adds it).
#pragma once

#include <cstdint>
#include <string_view>

#include "epp/abi.h"
#include "host/common/result.h"

namespace epp::loader {

// The ABI version the host speaks. Injectable so tests can play a newer host.
struct HostAbi {
  uint16_t major = EPP_ABI_MAJOR;
  uint16_t minor = EPP_ABI_MINOR;
};

// The value of a plugin's `epp_plugin_abi` symbol against the host: same major, minor not
// newer. Runs before any plugin code.
common::Status checkAbi(uint32_t packed_abi, HostAbi host = {});

// Everything about `descriptor` (the entry point's result), including that its ABI fields
// agree with `packed_abi`.
common::Status validateDescriptor(const epp_plugin_descriptor* descriptor, uint32_t packed_abi,
                                  HostAbi host = {});

// MAJOR.MINOR.PATCH with optional -prerelease and +build (semver.org 2.0.0).
bool isSemver(std::string_view version);
// Lower-case kebab-case: [a-z][a-z0-9]*(-[a-z0-9]+)*, at most 63 characters.
bool isKebabCase(std::string_view name);

// Bytes of the v1.0 fields a struct must declare at least (its mandatory prefix).
size_t minPluginDescriptorSize();
size_t minTypeDescriptorSize();

}  // namespace epp::loader
