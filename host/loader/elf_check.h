// File: host/loader/elf_check.h
//
// A look at a file's ELF header before handing it to dlopen, so a text file or a
// truncated download gets "not a shared object" instead of whatever dlerror says.
#pragma once

#include <cstddef>
#include <span>

#include "host/common/result.h"

namespace epp::loader {

// OK when `bytes` start like a shared object for this machine (ELF, 64-bit, ET_DYN, this
// CPU); the error reason otherwise ("not a shared object (empty file)").
common::Status checkElfSharedObject(std::span<const std::byte> bytes);

}  // namespace epp::loader
