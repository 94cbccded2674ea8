#include "tools/bench/response_scanner.h"

#include <charconv>
#include <nlohmann/json.hpp>

namespace epp::bench {
namespace {

// A choice's text: chat delta.content, chat message.content, or completions text.
bool hasContent(const nlohmann::json& doc) {
  auto choices = doc.find("choices");
  if (choices == doc.end() || !choices->is_array()) return false;
  for (const auto& choice : *choices) {
    for (const char* path : {"/delta/content", "/message/content", "/text"}) {
      const nlohmann::json::json_pointer pointer(path);
      if (choice.contains(pointer)) {
        const auto& value = choice.at(pointer);
        if (value.is_string() && !value.get_ref<const std::string&>().empty()) return true;
      }
    }
  }
  return false;
}

std::optional<Usage> usageOf(const nlohmann::json& doc) {
  auto usage = doc.find("usage");
  if (usage == doc.end() || !usage->is_object()) return std::nullopt;
  Usage out;
  out.promptTokens = usage->value("prompt_tokens", 0u);
  out.completionTokens = usage->value("completion_tokens", 0u);
  auto details = usage->find("prompt_tokens_details");
  if (details != usage->end() && details->is_object()) {
    auto cached = details->find("cached_tokens");
    if (cached != details->end() && cached->is_number_unsigned()) {
      out.cachedTokens = cached->get<uint32_t>();
    }
  }
  return out;
}

}  // namespace

bool ResponseScanner::feed(std::string_view chunk) {
  if (!sse_) {
    pending_.append(chunk);
    return false;
  }
  bool first = false;
  size_t start = 0;
  while (true) {
    size_t newline = chunk.find('\n', start);
    if (newline == std::string_view::npos) break;
    std::string_view piece = chunk.substr(start, newline - start);
    if (pending_.empty()) {
      first = line(piece) || first;
    } else {
      pending_.append(piece);
      first = line(pending_) || first;
      pending_.clear();
    }
    start = newline + 1;
  }
  pending_.append(chunk.substr(start));
  return first;
}

bool ResponseScanner::finish() {
  std::string rest;
  rest.swap(pending_);
  if (sse_) return line(rest);
  return event(rest);
}

bool ResponseScanner::line(std::string_view text) {
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  if (text.substr(0, 5) != "data:") return false;
  text.remove_prefix(5);
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  if (text == "[DONE]") return false;
  if (!sawContent_ || text.find("\"usage\"") != std::string_view::npos) return event(text);
  // After the first token: count without parsing. A usage-only or finish event has no
  // "content"/"text" key with a value.
  for (std::string_view key :
       {"\"content\":\"", "\"content\": \"", "\"text\":\"", "\"text\": \""}) {
    if (text.find(key) == std::string_view::npos) continue;
    // An empty string is no token.
    if (text.substr(text.find(key) + key.size(), 1) == "\"") continue;
    ++contentEvents_;
    break;
  }
  return false;
}

bool ResponseScanner::event(std::string_view json) {
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return false;
  if (auto usage = usageOf(doc)) usage_ = usage;
  if (!hasContent(doc)) return false;
  ++contentEvents_;
  if (sawContent_) return false;
  sawContent_ = true;
  return true;
}

std::optional<double> sumSamples(std::string_view text, std::string_view name) {
  std::optional<double> sum;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (line.substr(0, name.size()) != name || line.size() == name.size()) continue;
    std::string_view rest = line.substr(name.size());
    if (rest.front() == '{') {
      size_t close = rest.find('}');
      if (close == std::string_view::npos) continue;
      rest = rest.substr(close + 1);
    } else if (rest.front() != ' ') {
      continue;  // a longer name with this one as prefix
    }
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    rest = rest.substr(0, rest.find(' '));  // drop a timestamp
    double value = 0;
    auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
    if (ec != std::errc()) continue;
    sum = sum.value_or(0) + value;
  }
  return sum;
}

}  // namespace epp::bench
