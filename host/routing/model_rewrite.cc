#include "host/routing/model_rewrite.h"

namespace epp::routing {
namespace {

constexpr std::string_view kKey = "\"model\"";
constexpr size_t kMaxSpace = 8;

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

std::string jsonString(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20) {
      out += "\\u00";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xf]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

std::string replaceModelValue(std::string_view body, size_t offset, size_t length,
                              std::string_view model) {
  std::string value = jsonString(model);
  std::string out;
  out.reserve(body.size() - length + value.size());
  out.append(body.substr(0, offset));
  out.append(value);
  out.append(body.substr(offset + length));
  return out;
}

ModelNameRewriter::ModelNameRewriter(std::string_view from, std::string_view to)
    : from_(jsonString(from)), to_(jsonString(to)) {}

ModelNameRewriter::Match ModelNameRewriter::matchAt(std::string_view data, size_t at,
                                                    size_t& valueBegin, size_t& valueEnd) const {
  // Compares `literal` at `pos`; kPartial when the data ends first.
  auto literal = [&](std::string_view text, size_t& pos) {
    for (char c : text) {
      if (pos == data.size()) return Match::kPartial;
      if (data[pos++] != c) return Match::kNone;
    }
    return Match::kFull;
  };
  auto spaces = [&](size_t& pos) {
    size_t n = 0;
    while (pos < data.size() && isSpace(data[pos])) {
      if (++n > kMaxSpace) return Match::kNone;
      ++pos;
    }
    return pos == data.size() ? Match::kPartial : Match::kFull;
  };
  size_t pos = at;
  if (Match m = literal(kKey, pos); m != Match::kFull) return m;
  if (Match m = spaces(pos); m != Match::kFull) return m;
  if (Match m = literal(":", pos); m != Match::kFull) return m;
  if (Match m = spaces(pos); m != Match::kFull) return m;
  valueBegin = pos;
  if (Match m = literal(from_, pos); m != Match::kFull) return m;
  valueEnd = pos;
  return Match::kFull;
}

void ModelNameRewriter::rewrite(std::string& chunk, bool last) {
  std::string joined;
  if (!pending_.empty()) {
    joined = std::move(pending_);
    joined += chunk;
    pending_.clear();
  }
  std::string_view data = joined.empty() ? std::string_view(chunk) : std::string_view(joined);
  std::string out;
  bool changed = !joined.empty();
  size_t copied = 0;
  size_t hold = data.size();
  for (size_t p = data.find('"'); p != std::string_view::npos; p = data.find('"', p)) {
    size_t begin = 0;
    size_t end = 0;
    Match m = matchAt(data, p, begin, end);
    if (m == Match::kFull) {
      out.append(data.substr(copied, begin - copied));
      out.append(to_);
      copied = p = end;
      changed = true;
      ++rewritten_;
      continue;
    }
    if (m == Match::kPartial && !last) {
      hold = p;
      changed = true;
      break;
    }
    ++p;
  }
  if (!changed) return;  // the common case: the chunk goes on untouched
  out.append(data.substr(copied, hold - copied));
  pending_.assign(data.substr(hold));
  chunk = std::move(out);
}

}  // namespace epp::routing
