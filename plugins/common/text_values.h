// File: plugins/common/text_values.h
//
// Reading the small values clients and operators put in request headers and endpoint labels
// ("12.5", "H100, A100"): one grammar for every plugin, so a value that one plugin accepts is
// not malformed for another. Nothing here allocates except lower().
#pragma once

#include <charconv>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace epp::plugins::text {

// `value` without leading and trailing blanks (spaces and tabs).
inline std::string_view trim(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return value;
}

// A finite, non-negative decimal number in plain notation ("0", "12", "0.75"), blanks around
// it allowed; nullopt for anything else (empty, negative, "inf", "1e3", "10GB").
inline std::optional<double> parseNonNegative(std::string_view value) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  double v = 0;
  auto [end, ec] =
      std::from_chars(value.data(), value.data() + value.size(), v, std::chars_format::fixed);
  if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
  if (!std::isfinite(v) || v < 0) return std::nullopt;
  return v;
}

// The non-empty, trimmed items of a comma-separated list ("H100, A100" -> {"H100", "A100"}).
inline std::vector<std::string_view> splitList(std::string_view value) {
  std::vector<std::string_view> out;
  while (true) {
    const size_t comma = value.find(',');
    std::string_view item = trim(value.substr(0, comma));
    if (!item.empty()) out.push_back(item);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return out;
}

// ASCII lower case (header names, GPU model names).
inline std::string lower(std::string_view value) {
  std::string out(value);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Case-insensitive ASCII equality.
inline bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace epp::plugins::text
