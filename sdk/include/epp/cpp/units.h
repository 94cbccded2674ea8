// File: epp/cpp/units.h
//
// Parsing of the two unit syntaxes eppd configs use, shared by the host and the fake host
// so both read parameters identically:
//   durations  Go syntax: "300us", "200ms", "1.5s", "2m", "1h30m"; a bare number is seconds
//   bytes      Kubernetes quantities: "512", "10Gi", "500Mi", "1G", "2k"
#pragma once

#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace epp::cpp {

inline std::optional<double> parseNumberPrefix(std::string_view s, size_t& pos) {
  size_t start = pos;
  while (pos < s.size() && (std::isdigit(static_cast<unsigned char>(s[pos])) || s[pos] == '.' ||
                            (pos == start && (s[pos] == '+' || s[pos] == '-')))) {
    ++pos;
  }
  if (pos == start) return std::nullopt;
  std::string text(s.substr(start, pos - start));
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// Nanoseconds, or nullopt when `s` is not a duration. Negative durations are rejected.
inline std::optional<int64_t> parseDurationNs(std::string_view s) {
  if (s.empty()) return std::nullopt;
  size_t pos = 0;
  auto bare = parseNumberPrefix(s, pos);
  if (bare && pos == s.size()) {
    if (*bare < 0 || *bare * 1e9 > 9.2e18) return std::nullopt;
    return static_cast<int64_t>(std::llround(*bare * 1e9));
  }
  pos = 0;
  double total = 0;
  while (pos < s.size()) {
    auto v = parseNumberPrefix(s, pos);
    if (!v || *v < 0) return std::nullopt;
    size_t unitStart = pos;
    while (pos < s.size() && std::isalpha(static_cast<unsigned char>(s[pos]))) ++pos;
    std::string_view unit = s.substr(unitStart, pos - unitStart);
    double scale = 0;
    if (unit == "ns") {
      scale = 1;
    } else if (unit == "us" || unit == "\xc2\xb5s") {
      scale = 1e3;
    } else if (unit == "ms") {
      scale = 1e6;
    } else if (unit == "s") {
      scale = 1e9;
    } else if (unit == "m") {
      scale = 60e9;
    } else if (unit == "h") {
      scale = 3600e9;
    } else {
      return std::nullopt;
    }
    total += *v * scale;
  }
  if (total > 9.2e18) return std::nullopt;
  return static_cast<int64_t>(std::llround(total));
}

// Bytes, or nullopt when `s` is not a quantity. Fractions are allowed ("1.5Gi") and rounded.
inline std::optional<int64_t> parseBytes(std::string_view s) {
  size_t pos = 0;
  auto v = parseNumberPrefix(s, pos);
  if (!v || *v < 0) return std::nullopt;
  std::string_view suffix = s.substr(pos);
  double scale = 0;
  if (suffix.empty()) {
    scale = 1;
  } else if (suffix == "Ki") {
    scale = 1024.0;
  } else if (suffix == "Mi") {
    scale = 1024.0 * 1024;
  } else if (suffix == "Gi") {
    scale = 1024.0 * 1024 * 1024;
  } else if (suffix == "Ti") {
    scale = 1024.0 * 1024 * 1024 * 1024;
  } else if (suffix == "k") {
    scale = 1e3;
  } else if (suffix == "M") {
    scale = 1e6;
  } else if (suffix == "G") {
    scale = 1e9;
  } else if (suffix == "T") {
    scale = 1e12;
  } else {
    return std::nullopt;
  }
  double bytes = *v * scale;
  if (bytes > 9.2e18) return std::nullopt;
  return static_cast<int64_t>(std::llround(bytes));
}

}  // namespace epp::cpp
