#include "host/request/usage_parser.h"

#include <simdjson.h>

namespace epp::request {
namespace {

namespace od = simdjson::ondemand;

void readUsageObject(od::object usage, Usage& out) {
  for (auto field : usage) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return;
    int64_t v = 0;
    if (key == "prompt_tokens" || key == "input_tokens") {
      if (field.value().get_int64().get(v) == simdjson::SUCCESS) out.promptTokens = v;
    } else if (key == "completion_tokens" || key == "output_tokens") {
      if (field.value().get_int64().get(v) == simdjson::SUCCESS) out.completionTokens = v;
    } else if (key == "total_tokens") {
      if (field.value().get_int64().get(v) == simdjson::SUCCESS) out.totalTokens = v;
    } else if (key == "prompt_tokens_details" || key == "input_tokens_details") {
      od::object details;
      if (field.value().get_object().get(details) == simdjson::SUCCESS &&
          details["cached_tokens"].get_int64().get(v) == simdjson::SUCCESS) {
        out.cachedPromptTokens = v;
      }
    }
  }
}

}  // namespace

void readUsageJson(std::string_view json, Usage& usage) {
  simdjson::padded_string padded(json);
  thread_local od::parser parser;
  od::document doc;
  if (parser.iterate(padded).get(doc)) return;
  od::object root;
  if (doc.get_object().get(root)) return;
  for (auto field : root) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return;
    od::object obj;
    if (key == "usage") {
      if (field.value().get_object().get(obj) == simdjson::SUCCESS) readUsageObject(obj, usage);
    } else if (key == "response") {  // Responses API: {"type":"response.completed",...}
      if (field.value().get_object().get(obj) == simdjson::SUCCESS) {
        od::object inner;
        if (obj["usage"].get_object().get(inner) == simdjson::SUCCESS) {
          readUsageObject(inner, usage);
        }
      }
    }
  }
}

void UsageParser::parseLine(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.substr(0, 5) != "data:") return;
  line.remove_prefix(5);
  while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
  if (line.empty() || line == "[DONE]") return;
  // Cheap pre-check: most streamed chunks carry no usage.
  if (line.find("usage") == std::string_view::npos) return;
  readUsageJson(line, usage_);
}

void UsageParser::feed(std::string_view chunk, bool endOfStream) {
  if (!sse_) {
    if (!overflow_) {
      if (buffer_.size() + chunk.size() > kMaxBuffered) {
        overflow_ = true;
        buffer_.clear();
      } else {
        buffer_.append(chunk);
      }
    }
    if (endOfStream && !overflow_) readUsageJson(buffer_, usage_);
    return;
  }
  // SSE: complete lines are parsed now; a partial line waits for the next chunk.
  size_t start = 0;
  if (!buffer_.empty()) {
    size_t nl = chunk.find('\n');
    if (nl == std::string_view::npos) {
      if (buffer_.size() + chunk.size() <= kMaxBuffered) buffer_.append(chunk);
      if (endOfStream) parseLine(buffer_);
      return;
    }
    buffer_.append(chunk.substr(0, nl));
    parseLine(buffer_);
    buffer_.clear();
    start = nl + 1;
  }
  while (start < chunk.size()) {
    size_t nl = chunk.find('\n', start);
    if (nl == std::string_view::npos) {
      std::string_view rest = chunk.substr(start);
      if (rest.size() <= kMaxBuffered) buffer_.assign(rest);
      break;
    }
    parseLine(chunk.substr(start, nl - start));
    start = nl + 1;
  }
  if (endOfStream && !buffer_.empty()) {
    parseLine(buffer_);
    buffer_.clear();
  }
}

}  // namespace epp::request
