// File: host/common/sha256.h
//
// SHA-256 digests as lower-case hex, for content-addressing plugin libraries.
#pragma once

#include <cstddef>
#include <span>
#include <string>

namespace epp::common {

// Lower-case hex SHA-256 (64 characters) of `data`.
std::string sha256Hex(std::span<const std::byte> data);

}  // namespace epp::common
