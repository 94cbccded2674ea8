// File: epp/cpp/prometheus_text.h
//
// A parser of the Prometheus text exposition format (version 0.0.4, and the OpenMetrics
// text that model servers also emit), for backend adapter plugins: every engine serves
// its state on /metrics in this format. Header-only, no dependency beyond the standard
// library, so third-party adapters get it with the SDK.
//
// Hand-written because no library eppd may use parses exposition text: prometheus-cpp
// only produces it (its serializer), and the parsers that exist live in Go and Python.
//
//   auto page = epp::cpp::prom::parse(body);           // throws prom::ParseError
//   for (const auto* s : page.samples("vllm:num_requests_waiting")) sum += s->value;
//   std::string_view bs = page.first("vllm:cache_config_info")->label("block_size");
//
// Strict where a mistake would corrupt a value: a bad metric or label name, an unknown
// escape, an unterminated label value, a value that is not a number, trailing text after
// the timestamp, the same series twice, two TYPE lines for one family, a body that does
// not end in a newline (a truncated response) all fail with "line L, column C: what".
// Tolerant of what real servers write: HELP/TYPE lines in any order or missing, families
// with HELP/TYPE and no samples, other comments, blank lines, CRLF line ends, a trailing
// comma in a label set, blanks around label tokens, "+Inf"/"-Inf"/"NaN" values,
// exponent notation, optional integer timestamps, OpenMetrics "# EOF", and histogram or
// summary series (_bucket, _sum, _count, quantile) in any order.
#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace epp::cpp::prom {

struct Label {
  std::string name;
  std::string value;  // unescaped
};

struct Sample {
  std::string name;           // as written: "vllm:e2e_request_latency_seconds_bucket"
  std::vector<Label> labels;  // in written order
  double value = 0;
  std::optional<int64_t> timestampMs;
  int line = 0;  // 1-based line of the body

  // The value of label `name`, or nullopt when the series has no such label.
  std::optional<std::string_view> findLabel(std::string_view labelName) const {
    for (const auto& l : labels) {
      if (l.name == labelName) return std::string_view(l.value);
    }
    return std::nullopt;
  }
  // The value of label `name`, "" when absent.
  std::string_view label(std::string_view labelName) const {
    return findLabel(labelName).value_or(std::string_view());
  }
};

// Metric family metadata from # HELP and # TYPE lines.
struct Family {
  std::string type;  // "counter", "gauge", "histogram", "summary", "untyped", … ("" unset)
  std::string help;  // unescaped
};

class ParseError : public std::runtime_error {
 public:
  ParseError(int line, int column, const std::string& what)
      : std::runtime_error("line " + std::to_string(line) + ", column " + std::to_string(column) +
                           ": " + what),
        line_(line),
        column_(column) {}
  int line() const { return line_; }
  int column() const { return column_; }

 private:
  int line_;
  int column_;
};

class Exposition {
 public:
  const std::vector<Sample>& all() const { return samples_; }
  // Every sample named exactly `name`, in body order.
  std::vector<const Sample*> samples(std::string_view name) const {
    std::vector<const Sample*> out;
    auto it = byName_.find(std::string(name));
    if (it == byName_.end()) return out;
    for (size_t i : it->second) out.push_back(&samples_[i]);
    return out;
  }
  // The first sample named `name`, or nullptr.
  const Sample* first(std::string_view name) const {
    auto it = byName_.find(std::string(name));
    return it == byName_.end() ? nullptr : &samples_[it->second.front()];
  }
  bool has(std::string_view name) const { return byName_.count(std::string(name)) != 0; }
  // HELP/TYPE of a family (by family name, without _bucket/_sum/_count), or nullptr.
  const Family* family(std::string_view name) const {
    auto it = families_.find(std::string(name));
    return it == families_.end() ? nullptr : &it->second;
  }
  size_t familyCount() const { return families_.size(); }

 private:
  friend class Parser;
  std::vector<Sample> samples_;
  std::unordered_map<std::string, std::vector<size_t>> byName_;
  std::unordered_map<std::string, Family> families_;
};

struct ParseOptions {
  // A non-empty body must end in '\n'; otherwise the last line may have been cut off
  // mid-value ("12" of "1234") and would parse as a wrong number.
  bool requireFinalNewline = true;
  // When set, only the samples whose metric name it accepts are parsed and kept; any other
  // sample line is skipped once its name is read. A server's page is mostly series an
  // adapter never reads (a vLLM page: ~180 samples, most of them histogram buckets, of
  // which an adapter reads five), so this is most of the parsing saved. HELP and TYPE lines
  // are read whatever it says.
  std::function<bool(std::string_view)> keep;
};

class Parser {
 public:
  static Exposition parse(std::string_view text, const ParseOptions& options = {}) {
    Parser p;
    p.keep_ = options.keep ? &options.keep : nullptr;
    if (!text.empty() && text.back() != '\n' && options.requireFinalNewline) {
      int line = 1 + static_cast<int>(std::count(text.begin(), text.end(), '\n'));
      size_t start = text.rfind('\n');
      int column = static_cast<int>(text.size() - (start == text.npos ? 0 : start + 1)) + 1;
      throw ParseError(line, column, "body ends without a newline (truncated?)");
    }
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = text.find('\n', pos);
      if (end == text.npos) end = text.size();
      std::string_view line = text.substr(pos, end - pos);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      ++p.lineNo_;
      p.line_ = line;
      p.col_ = 0;
      if (p.parseLine()) break;  // # EOF
      pos = end + 1;
    }
    return std::move(p.out_);
  }

 private:
  Parser() = default;

  static bool isNameStart(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
  }
  static bool isNameChar(char c) { return isNameStart(c) || (c >= '0' && c <= '9'); }
  static bool isBlank(char c) { return c == ' ' || c == '\t'; }

  [[noreturn]] void fail(const std::string& what) const {
    throw ParseError(lineNo_, static_cast<int>(col_) + 1, what);
  }
  bool atEnd() const { return col_ >= line_.size(); }
  char peek() const { return atEnd() ? '\0' : line_[col_]; }
  void skipBlanks() {
    while (!atEnd() && isBlank(line_[col_])) ++col_;
  }
  std::string_view rest() const { return line_.substr(col_); }
  static std::string show(std::string_view s) {
    constexpr size_t kMax = 40;
    std::string out = "'";
    out.append(s.substr(0, kMax));
    if (s.size() > kMax) out += "...";
    return out + "'";
  }

  // Returns true at "# EOF" (OpenMetrics), which ends the exposition.
  bool parseLine() {
    skipBlanks();
    if (atEnd()) return false;
    if (peek() == '#') {
      parseComment();
      return eof_;
    }
    parseSample();
    return false;
  }

  void parseComment() {
    ++col_;  // '#'
    skipBlanks();
    size_t wordStart = col_;
    while (!atEnd() && !isBlank(peek())) ++col_;
    std::string_view word = line_.substr(wordStart, col_ - wordStart);
    if (word == "EOF" && (skipBlanks(), atEnd())) {
      eof_ = true;
      return;
    }
    if (word != "HELP" && word != "TYPE") return;  // any other comment
    skipBlanks();
    std::string name(readMetricName("metric name after # " + std::string(word)));
    Family& family = out_.families_[name];
    if (word == "TYPE") {
      skipBlanks();
      size_t typeStart = col_;
      while (!atEnd() && !isBlank(peek())) ++col_;
      std::string_view type = line_.substr(typeStart, col_ - typeStart);
      static constexpr std::string_view kTypes[] = {"counter", "gauge",          "histogram",
                                                    "summary", "untyped",        "unknown",
                                                    "info",    "gaugehistogram", "stateset"};
      if (std::find(std::begin(kTypes), std::end(kTypes), type) == std::end(kTypes)) {
        col_ = typeStart;
        fail("unknown metric type " + show(type) + " for " + name);
      }
      skipBlanks();
      if (!atEnd()) fail("unexpected text after the type: " + show(rest()));
      if (!family.type.empty()) {
        col_ = typeStart;
        fail("second # TYPE line for " + name);
      }
      family.type = std::string(type);
      return;
    }
    // HELP: the rest of the line, with \\ and \n escapes.
    if (!atEnd() && !isBlank(peek())) fail("expected a blank after the metric name");
    skipBlanks();
    std::string help;
    for (; !atEnd(); ++col_) {
      char c = peek();
      if (c != '\\') {
        help += c;
        continue;
      }
      ++col_;
      char e = peek();
      if (e == '\\' || e == '\0') {
        help += '\\';
      } else if (e == 'n') {
        help += '\n';
      } else {
        help += '\\';
        help += e;  // HELP text is free-form: keep other backslashes as written
      }
    }
    family.help = std::move(help);
  }

  std::string_view readMetricName(const std::string& what) {
    size_t start = col_;
    if (atEnd() || !isNameStart(peek())) fail("expected " + what + ", got " + show(rest()));
    while (!atEnd() && isNameChar(peek())) ++col_;
    return line_.substr(start, col_ - start);
  }

  void parseSample() {
    const std::string_view name = readMetricName("a metric name");
    if (keep_ != nullptr && !(*keep_)(name)) return;
    Sample s;
    s.line = lineNo_;
    s.name = std::string(name);
    size_t beforeValue = col_;
    skipBlanks();
    if (peek() == '{') {
      parseLabels(s);
      beforeValue = col_;
      skipBlanks();
    }
    if (col_ == beforeValue) {
      if (atEnd()) fail("missing value");
      fail("expected a blank before the value, got " + show(rest()));
    }
    s.value = readValue();
    if (!atEnd()) {
      if (!isBlank(peek())) fail("unexpected text after the value: " + show(rest()));
      skipBlanks();
      if (!atEnd()) {
        s.timestampMs = readTimestamp();
        skipBlanks();
        if (!atEnd()) fail("unexpected text after the timestamp: " + show(rest()));
      }
    }
    std::string key = seriesKey(s);
    if (!seen_.insert(key).second) {
      col_ = 0;
      fail("duplicate series " + key);
    }
    out_.byName_[s.name].push_back(out_.samples_.size());
    out_.samples_.push_back(std::move(s));
  }

  void parseLabels(Sample& s) {
    ++col_;  // '{'
    for (;;) {
      skipBlanks();
      if (peek() == '}') {
        ++col_;
        return;
      }
      if (atEnd()) fail("label set not closed with '}'");
      size_t nameStart = col_;
      char c = peek();
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')) {
        fail("expected a label name, got " + show(rest()));
      }
      while (!atEnd() && isNameChar(peek()) && peek() != ':') ++col_;
      std::string name(line_.substr(nameStart, col_ - nameStart));
      skipBlanks();
      if (peek() != '=') fail("expected '=' after label " + name);
      ++col_;
      skipBlanks();
      if (peek() != '"') fail("expected '\"' to open the value of label " + name);
      ++col_;
      std::string value;
      for (;;) {
        if (atEnd()) fail("value of label " + name + " is not closed with '\"'");
        char v = line_[col_];
        if (v == '"') break;
        if (v == '\\') {
          ++col_;
          char e = peek();
          if (e == '\\') {
            value += '\\';
          } else if (e == '"') {
            value += '"';
          } else if (e == 'n') {
            value += '\n';
          } else {
            --col_;
            fail("unknown escape in the value of label " + name + ": only \\\\, \\\" and \\n");
          }
        } else {
          value += v;
        }
        ++col_;
      }
      ++col_;  // closing quote
      for (const auto& l : s.labels) {
        if (l.name == name) {
          col_ = nameStart;
          fail("label " + name + " appears twice");
        }
      }
      s.labels.push_back({std::move(name), std::move(value)});
      skipBlanks();
      if (peek() == ',') {
        ++col_;
        continue;
      }
      if (peek() == '}') {
        ++col_;
        return;
      }
      fail("expected ',' or '}' after the value of label " + s.labels.back().name);
    }
  }

  std::string_view token() {
    size_t start = col_;
    while (!atEnd() && !isBlank(peek())) ++col_;
    std::string_view t = line_.substr(start, col_ - start);
    col_ = start;
    return t;
  }

  double readValue() {
    std::string_view t = token();
    if (t.empty()) fail("missing value");
    double v = 0;
    std::string_view digits = t;
    bool negative = false;
    if (digits.front() == '+' || digits.front() == '-') {
      negative = digits.front() == '-';
      digits.remove_prefix(1);
    }
    std::string lower;
    for (char c : digits) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    if (lower == "inf" || lower == "infinity") {
      v = std::numeric_limits<double>::infinity();
    } else if (lower == "nan") {
      v = std::numeric_limits<double>::quiet_NaN();
    } else {
      // from_chars: locale-independent, and it rejects hex, "0x", and leading blanks.
      const char* first = digits.data();
      const char* last = digits.data() + digits.size();
      auto [ptr, ec] = std::from_chars(first, last, v, std::chars_format::general);
      if (digits.empty() || ec == std::errc::invalid_argument || ptr != last ||
          lower.find_first_of("in") != std::string::npos) {
        fail("value " + show(t) + " is not a number");
      }
      if (ec == std::errc::result_out_of_range) {
        // Go's ParseFloat gives ±Inf or 0 here; keep the same meaning.
        v = std::abs(std::strtod(std::string(digits).c_str(), nullptr));
      }
    }
    col_ += t.size();
    return negative ? -v : v;
  }

  int64_t readTimestamp() {
    std::string_view t = token();
    int64_t ts = 0;
    auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), ts);
    if (ec != std::errc() || ptr != t.data() + t.size()) {
      fail("timestamp " + show(t) + " is not an integer (milliseconds)");
    }
    col_ += t.size();
    return ts;
  }

  // name{a="1",b="2"} with the labels sorted: the identity of a series.
  static std::string seriesKey(const Sample& s) {
    std::vector<const Label*> sorted;
    for (const auto& l : s.labels) sorted.push_back(&l);
    std::sort(sorted.begin(), sorted.end(),
              [](const Label* a, const Label* b) { return a->name < b->name; });
    std::string key = s.name + "{";
    for (size_t i = 0; i < sorted.size(); ++i) {
      if (i) key += ',';
      key += sorted[i]->name + "=\"" + sorted[i]->value + "\"";
    }
    return key + "}";
  }

  Exposition out_;
  std::unordered_set<std::string> seen_;
  std::string_view line_;
  size_t col_ = 0;
  int lineNo_ = 0;
  bool eof_ = false;
  const std::function<bool(std::string_view)>* keep_ = nullptr;
};

// Parses `text`; throws ParseError ("line L, column C: what").
inline Exposition parse(std::string_view text, const ParseOptions& options = {}) {
  return Parser::parse(text, options);
}

// Empty when `contentType` is one a metrics endpoint may send (Prometheus text,
// OpenMetrics text, or none); otherwise why not.
inline std::string checkContentType(std::string_view contentType) {
  std::string_view media = contentType.substr(0, contentType.find(';'));
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
  while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) media.remove_prefix(1);
  std::string lower;
  for (char c : media) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (lower.empty() || lower == "text/plain" || lower == "application/openmetrics-text") return {};
  return "content type '" + std::string(contentType) +
         "' is not Prometheus text (text/plain or application/openmetrics-text)";
}

// Splits a comma-separated label value ("lora1,lora2") into its non-empty, trimmed items.
inline std::vector<std::string> splitList(std::string_view csv) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= csv.size()) {
    size_t end = csv.find(',', pos);
    if (end == csv.npos) end = csv.size();
    std::string_view item = csv.substr(pos, end - pos);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    pos = end + 1;
  }
  return out;
}

}  // namespace epp::cpp::prom
