#include "tools/sim/prom_writer.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace epp::sim {
namespace {

void appendEscaped(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
}

// Python's repr(float): the shortest digits that round-trip, positional for decimal
// exponents in [-4, 16), always with a fractional part; scientific otherwise.
std::string pythonRepr(double value) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(res.ptr - buf));  // "-1.2345e+06"
  std::string sign;
  if (!sci.empty() && sci.front() == '-') {
    sign = "-";
    sci.remove_prefix(1);
  }
  const size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  const int exp = std::atoi(std::string(sci.substr(e + 1)).c_str());
  std::string out = sign;
  if (exp >= -4 && exp < 16) {
    if (exp >= 0) {
      const size_t intLen = static_cast<size_t>(exp) + 1;
      std::string intPart = digits.substr(0, std::min(intLen, digits.size()));
      intPart.append(intLen > digits.size() ? intLen - digits.size() : 0, '0');
      std::string frac = digits.size() > intLen ? digits.substr(intLen) : "0";
      out += intPart + "." + frac;
    } else {
      out += "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
    }
  } else {
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char ebuf[16];
    std::snprintf(ebuf, sizeof ebuf, "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
    out += ebuf;
  }
  return out;
}

}  // namespace

std::string formatPython(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  std::string s = pythonRepr(value);
  const size_t dot = s.find('.');
  // prometheus_client switches to an exponent sooner than Python does.
  if (value > 0 && dot != std::string::npos && dot > 6) {
    std::string mantissa = s.substr(0, 1) + "." + s.substr(1, dot - 1) + s.substr(dot + 1);
    while (!mantissa.empty() && (mantissa.back() == '0' || mantissa.back() == '.')) {
      mantissa.pop_back();
    }
    return mantissa + "e+0" + std::to_string(dot - 1);
  }
  return s;
}

std::string formatNumber(double value, NumberStyle style) {
  switch (style) {
    case NumberStyle::kPython:
      return formatPython(value);
    case NumberStyle::kShortest: {
      if (std::isnan(value)) return "NaN";
      if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
      char buf[64];
      auto res = std::to_chars(buf, buf + sizeof buf, value);
      return std::string(buf, res.ptr);
    }
    case NumberStyle::kPrintfG: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%g", value);
      return buf;
    }
  }
  return {};
}

void PromWriter::family(std::string_view name, std::string_view help, std::string_view type) {
  if (!help.empty()) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += '\n';
  }
  out_ += "# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void PromWriter::sample(std::string_view name, const LabelList& labels, double value) {
  out_ += name;
  if (!labels.empty()) {
    out_ += '{';
    bool first = true;
    for (const auto& [k, v] : labels) {
      if (!first) out_ += ',';
      first = false;
      out_ += k;
      out_ += "=\"";
      appendEscaped(out_, v);
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
  out_ += number(value);
  out_ += '\n';
}

void PromWriter::histogram(std::string_view name, const LabelList& labels, const Histogram& h,
                           bool sumBeforeCount) {
  const std::string base(name);
  LabelList withLe = labels;
  withLe.emplace_back("le", "");
  const auto bounds = h.bounds();
  for (size_t i = 0; i <= bounds.size(); ++i) {
    withLe.back().second = i < bounds.size() ? number(bounds[i]) : "+Inf";
    sample(base + "_bucket", withLe, static_cast<double>(h.cumulative(i)));
  }
  if (sumBeforeCount) sample(base + "_sum", labels, h.sum());
  sample(base + "_count", labels, static_cast<double>(h.count()));
  if (!sumBeforeCount) sample(base + "_sum", labels, h.sum());
}

}  // namespace epp::sim
