// File: host/config/scalar.h
//
// Conversions of YAML scalar text to typed values, shared by the parameter tree and the
// config parser. Each returns a short reason on failure ("expected an integer, got '1.5'")
// that callers prefix with the location.
//
// Durations and byte quantities are parsed by epp/cpp/units.h, the same code the SDK's
// fake host uses, so a plugin reads the same values in its unit tests as in eppd.
#pragma once

#include <cstdint>
#include <string_view>

#include "host/common/result.h"

namespace epp::config {

// "true" or "false" exactly.
common::Result<bool> parseBool(std::string_view text);
// Decimal int64 with optional sign; fractions and overflow are errors.
common::Result<int64_t> parseInt(std::string_view text);
// Decimal or exponent notation; YAML's .inf, -.inf and .nan are accepted.
common::Result<double> parseDouble(std::string_view text);
// Go duration syntax ("300us", "200ms", "1.5s", "2m", "1h30m"; units ns, us, µs, ms, s, m,
// h) or a bare number of seconds ("5", "0.25"). Negative durations are errors.
common::Result<int64_t> parseDurationNs(std::string_view text);
// Kubernetes quantity: an integer or decimal with an optional suffix Ki, Mi, Gi, Ti, Pi, Ei
// (powers of 1024) or k, M, G, T, P, E (powers of 1000). Fractions are rounded to the
// nearest byte; negative values are errors.
common::Result<int64_t> parseBytes(std::string_view text);

}  // namespace epp::config
