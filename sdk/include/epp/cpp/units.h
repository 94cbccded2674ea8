// File: epp/cpp/units.h
//
// The two unit syntaxes eppd configs use. One implementation, shared by eppd
// (host/config/scalar.cc adds the error messages) and the SDK's fake host, so a plugin
// reads the same values in its unit tests as in eppd. Exact integer arithmetic.
//   durations  Go syntax: "300us", "200ms", "1.5s", "2m", "1h30m" (units ns, us, µs, ms, s,
//              m, h); a bare number is seconds ("5", "0.25")
//   bytes      Kubernetes quantities: an integer or decimal with an optional suffix Ki, Mi,
//              Gi, Ti, Pi, Ei (powers of 1024) or k, M, G, T, P, E (powers of 1000);
//              fractions round to the nearest byte
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

namespace epp::cpp {

enum class UnitError { kNone, kInvalid, kNegative, kOutOfRange };

struct UnitValue {
  int64_t value = 0;
  UnitError error = UnitError::kNone;
  explicit operator bool() const { return error == UnitError::kNone; }
  int64_t operator*() const { return value; }
};

namespace units_detail {

// Every product below fits in 128 bits, so overflow is checked once, against int64.
__extension__ typedef unsigned __int128 Uint128;
inline constexpr int kMaxDigits = 20;
inline constexpr Uint128 kInt64Max = static_cast<Uint128>(std::numeric_limits<int64_t>::max());

// A non-negative decimal as written: value = mantissa / 10^fraction_digits.
struct Decimal {
  Uint128 mantissa = 0;
  int fractionDigits = 0;
};

inline bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Reads "123", "1.5", ".5" or "5." at `pos`; nullopt when there is no digit or too many.
inline std::optional<Decimal> readDecimal(std::string_view text, size_t& pos) {
  Decimal out;
  int digits = 0;
  bool inFraction = false;
  size_t start = pos;
  for (; pos < text.size(); ++pos) {
    char c = text[pos];
    if (c == '.' && !inFraction) {
      inFraction = true;
      continue;
    }
    if (!isDigit(c)) break;
    if (++digits > kMaxDigits) return std::nullopt;
    out.mantissa = out.mantissa * 10 + static_cast<unsigned>(c - '0');
    if (inFraction) ++out.fractionDigits;
  }
  if (digits == 0) {
    pos = start;
    return std::nullopt;
  }
  return out;
}

// round(decimal * multiplier), half away from zero.
inline Uint128 scaleRounded(const Decimal& d, Uint128 multiplier) {
  Uint128 divisor = 1;
  for (int i = 0; i < d.fractionDigits; ++i) divisor *= 10;
  return (d.mantissa * multiplier + divisor / 2) / divisor;
}

// Strips one leading sign; reports whether it was '-'.
inline std::string_view stripSign(std::string_view text, bool& negative) {
  negative = false;
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  return text;
}

inline std::optional<int64_t> durationUnitNs(std::string_view unit) {
  if (unit == "ns") return 1;
  if (unit == "us" || unit == "\xc2\xb5s" || unit == "\xce\xbcs") return 1'000;
  if (unit == "ms") return 1'000'000;
  if (unit == "s") return 1'000'000'000;
  if (unit == "m") return 60'000'000'000;
  if (unit == "h") return 3'600'000'000'000;
  return std::nullopt;
}

inline std::optional<Uint128> bytesMultiplier(std::string_view suffix) {
  if (suffix.empty()) return 1;
  constexpr std::string_view kDecimal[] = {"k", "M", "G", "T", "P", "E"};
  constexpr std::string_view kBinary[] = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  Uint128 decimal = 1;
  Uint128 binary = 1;
  for (int i = 0; i < 6; ++i) {
    decimal *= 1000;
    binary *= 1024;
    if (suffix == kDecimal[i]) return decimal;
    if (suffix == kBinary[i]) return binary;
  }
  return std::nullopt;
}

inline UnitValue checked(Uint128 v) {
  if (v > kInt64Max) return {0, UnitError::kOutOfRange};
  return {static_cast<int64_t>(v), UnitError::kNone};
}

}  // namespace units_detail

// Nanoseconds.
inline UnitValue parseDurationNs(std::string_view text) {
  using namespace units_detail;
  bool negative = false;
  std::string_view body = stripSign(text, negative);
  if (negative) return {0, UnitError::kNegative};
  if (body.empty()) return {0, UnitError::kInvalid};
  size_t pos = 0;
  std::optional<Decimal> bare = readDecimal(body, pos);
  if (bare && pos == body.size()) return checked(scaleRounded(*bare, 1'000'000'000));
  pos = 0;
  Uint128 total = 0;
  while (pos < body.size()) {
    std::optional<Decimal> number = readDecimal(body, pos);
    if (!number) return {0, UnitError::kInvalid};
    size_t unitStart = pos;
    while (pos < body.size() && !isDigit(body[pos]) && body[pos] != '.') ++pos;
    std::optional<int64_t> unitNs = durationUnitNs(body.substr(unitStart, pos - unitStart));
    if (!unitNs) return {0, UnitError::kInvalid};
    total += scaleRounded(*number, static_cast<Uint128>(*unitNs));
    if (total > kInt64Max) return {0, UnitError::kOutOfRange};
  }
  return checked(total);
}

// Bytes.
inline UnitValue parseBytes(std::string_view text) {
  using namespace units_detail;
  bool negative = false;
  std::string_view body = stripSign(text, negative);
  size_t pos = 0;
  std::optional<Decimal> number = readDecimal(body, pos);
  if (!number) return {0, UnitError::kInvalid};
  std::optional<Uint128> multiplier = bytesMultiplier(body.substr(pos));
  if (!multiplier) return {0, UnitError::kInvalid};
  Uint128 bytes = scaleRounded(*number, *multiplier);
  if (negative && bytes != 0) return {0, UnitError::kNegative};
  return checked(bytes);
}

}  // namespace epp::cpp
