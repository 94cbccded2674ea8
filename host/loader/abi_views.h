// File: host/loader/abi_views.h
//
// Conversions between the ABI's {ptr, len} views and std::string_view.
#pragma once

#include <string_view>

#include "epp/abi.h"

namespace epp::loader {

// A NULL pointer reads as the empty string whatever its length says.
inline std::string_view toView(epp_str s) {
  return s.ptr == nullptr ? std::string_view() : std::string_view(s.ptr, s.len);
}

// Valid as long as `s` is.
inline epp_str toStr(std::string_view s) { return epp_str{s.data(), s.size()}; }

}  // namespace epp::loader
