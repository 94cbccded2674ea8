#include "host/config/scalar.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <string>

#include "epp/cpp/units.h"

namespace epp::config {
namespace {

using common::Error;
using common::Result;

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

// Strips one leading '+'; reports whether a '-' was there (and strips it too).
std::string_view stripSign(std::string_view text, bool& negative) {
  negative = false;
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  return text;
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Result<bool> parseBool(std::string_view text) {
  if (text == "true") return true;
  if (text == "false") return false;
  return Error{"expected true or false, got " + quoted(text)};
}

Result<int64_t> parseInt(std::string_view text) {
  std::string_view digits = text;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  // from_chars takes a '-' of its own, so "+-5" must be caught here.
  bool doubly_signed = digits.size() != text.size() && !digits.empty() && digits.front() == '-';
  int64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec == std::errc::result_out_of_range) {
    return Error{"integer " + quoted(text) + " is out of range for int64"};
  }
  if (ec != std::errc() || end != digits.data() + digits.size() || doubly_signed) {
    return Error{"expected an integer, got " + quoted(text)};
  }
  return value;
}

Result<double> parseDouble(std::string_view text) {
  bool negative = false;
  std::string_view body = stripSign(text, negative);
  if (body == ".inf" || body == ".Inf" || body == ".INF") {
    return negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  }
  if ((body == ".nan" || body == ".NaN" || body == ".NAN") && text == body) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  // from_chars would also take "inf" and "nan", which YAML reads as strings.
  if (body.empty() || !(isDigit(body.front()) || body.front() == '.')) {
    return Error{"expected a number, got " + quoted(text)};
  }
  double value = 0;
  auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), value);
  if (ec == std::errc::result_out_of_range) {
    return Error{"number " + quoted(text) + " is out of range for a double"};
  }
  if (ec != std::errc() || end != body.data() + body.size()) {
    return Error{"expected a number, got " + quoted(text)};
  }
  return negative ? -value : value;
}

Result<int64_t> parseDurationNs(std::string_view text) {
  cpp::UnitValue v = cpp::parseDurationNs(text);
  switch (v.error) {
    case cpp::UnitError::kNone:
      return v.value;
    case cpp::UnitError::kNegative:
      return Error{"negative duration " + quoted(text)};
    case cpp::UnitError::kOutOfRange:
      return Error{"duration " + quoted(text) + " is out of range"};
    default:
      return Error{"expected a duration such as 200ms, 1.5s, 2m or 1h30m, got " + quoted(text)};
  }
}

Result<int64_t> parseBytes(std::string_view text) {
  cpp::UnitValue v = cpp::parseBytes(text);
  switch (v.error) {
    case cpp::UnitError::kNone:
      return v.value;
    case cpp::UnitError::kNegative:
      return Error{"negative byte quantity " + quoted(text)};
    case cpp::UnitError::kOutOfRange:
      return Error{"byte quantity " + quoted(text) + " is out of range"};
    default:
      return Error{"expected a byte quantity such as 512, 500Mi, 10Gi or 1G, got " + quoted(text)};
  }
}

}  // namespace epp::config
