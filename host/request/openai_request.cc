#include "host/request/openai_request.h"

#include <simdjson.h>

#include <cctype>

namespace epp::request {
namespace {

using common::Error;
using common::Result;
namespace od = simdjson::ondemand;

std::string_view stripQuery(std::string_view path) {
  size_t q = path.find('?');
  return q == std::string_view::npos ? path : path.substr(0, q);
}

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

void appendLine(std::string& out, std::string_view text) {
  if (!out.empty()) out.push_back('\n');
  out.append(text);
}

// "content" of a chat message: a string, or an array of parts whose "text" we take.
simdjson::error_code appendContent(od::value content, std::string& out) {
  od::json_type type;
  if (auto e = content.type().get(type)) return e;
  if (type == od::json_type::string) {
    std::string_view s;
    if (auto e = content.get_string().get(s)) return e;
    appendLine(out, s);
    return simdjson::SUCCESS;
  }
  if (type != od::json_type::array) return simdjson::SUCCESS;  // null or tool payloads
  for (auto part : content.get_array()) {
    od::object obj;
    if (part.get_object().get(obj)) continue;
    std::string_view text;
    if (obj["text"].get_string().get(text) == simdjson::SUCCESS) appendLine(out, text);
  }
  return simdjson::SUCCESS;
}

// A prompt-like field: a string, or an array of strings (others are skipped). An array of
// token ids (completions' pre-tokenized form: non-negative integers below 2^32) goes to
// `tokenIds` when given; a mixed array leaves it empty.
simdjson::error_code appendPrompt(od::value value, std::string& out,
                                  std::vector<uint32_t>* tokenIds = nullptr) {
  od::json_type type;
  if (auto e = value.type().get(type)) return e;
  if (type == od::json_type::string) {
    std::string_view s;
    if (auto e = value.get_string().get(s)) return e;
    appendLine(out, s);
  } else if (type == od::json_type::array) {
    bool allIds = tokenIds != nullptr;
    for (auto item : value.get_array()) {
      od::json_type itemType;
      if (item.type().get(itemType) == simdjson::SUCCESS && itemType == od::json_type::number) {
        uint64_t id = 0;
        bool ok = item.get_uint64().get(id) == simdjson::SUCCESS && id <= UINT32_MAX;
        if (allIds && ok) tokenIds->push_back(static_cast<uint32_t>(id));
        allIds = allIds && ok;
        continue;
      }
      allIds = false;
      std::string_view s;
      if (item.get_string().get(s) == simdjson::SUCCESS) {
        appendLine(out, s);
      } else {
        od::object obj;  // Responses input items: {"role", "content"}
        if (item.get_object().get(obj) == simdjson::SUCCESS) {
          od::value content;
          if (obj["content"].get(content) == simdjson::SUCCESS) appendContent(content, out);
        }
      }
    }
    if (!allIds && tokenIds != nullptr) tokenIds->clear();
  }
  return simdjson::SUCCESS;
}

// Records [start, the document's current token) — a value just consumed — as the prompt's
// raw JSON, without the whitespace before the next token.
simdjson::error_code markJson(od::document& doc, const simdjson::padded_string& padded,
                              const char* start, OpenAiRequest& out) {
  const char* end = nullptr;
  simdjson::error_code e = doc.current_location().get(end);
  if (e == simdjson::OUT_OF_BOUNDS) {
    end = padded.data() + padded.size();
  } else if (e) {
    return e;
  }
  while (end > start && std::isspace(static_cast<unsigned char>(end[-1])) != 0) --end;
  out.promptJsonOffset = static_cast<size_t>(start - padded.data());
  out.promptJsonLength = static_cast<size_t>(end - start);
  return simdjson::SUCCESS;
}

}  // namespace

ApiType apiTypeForPath(std::string_view path) {
  std::string_view p = stripQuery(path);
  while (!p.empty() && p.back() == '/') p.remove_suffix(1);
  if (endsWith(p, "/chat/completions")) return ApiType::kChatCompletions;
  if (endsWith(p, "/completions")) return ApiType::kCompletions;
  if (endsWith(p, "/responses")) return ApiType::kResponses;
  if (endsWith(p, "/conversations")) return ApiType::kConversations;
  if (endsWith(p, "/embeddings")) return ApiType::kEmbeddings;
  return ApiType::kCompletions;
}

Result<OpenAiRequest> parseOpenAiRequest(std::string_view body, ApiType api) {
  OpenAiRequest out;
  out.api = api;
  // simdjson reads up to SIMDJSON_PADDING bytes past the end; padded_string copies once.
  // (Parsing in place would need the transport to over-allocate its body buffer.)
  simdjson::padded_string padded(body);
  thread_local od::parser parser;
  od::document doc;
  if (auto e = parser.iterate(padded).get(doc)) {
    return Error{std::string("body is not valid JSON: ") + simdjson::error_message(e)};
  }
  od::object root;
  if (auto e = doc.get_object().get(root)) {
    // On-demand parsing sees only the first token ("not json" looks like a null): the DOM
    // parser (off the hot path) tells invalid JSON from a valid non-object.
    simdjson::dom::parser dom;
    simdjson::dom::element ignored;
    if (e == simdjson::INCORRECT_TYPE) {
      auto domError = dom.parse(padded).get(ignored);
      if (domError == simdjson::SUCCESS) return Error{"body is not a JSON object"};
      e = domError;
    }
    return Error{std::string("body is not valid JSON: ") + simdjson::error_message(e)};
  }
  bool sawModel = false;
  // One pass over the fields in document order: on-demand objects are forward-only.
  for (auto field : root) {
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) {
      return Error{std::string("body is not valid JSON: ") + simdjson::error_message(e)};
    }
    od::value value;
    if (auto e = field.value().get(value)) {
      return Error{std::string("body is not valid JSON: ") + simdjson::error_message(e)};
    }
    simdjson::error_code err = simdjson::SUCCESS;
    if (key == "model") {
      // The raw token first: reading the string consumes the value. It runs up to the next
      // token, so whitespace after the closing quote is cut off.
      std::string_view token = value.raw_json_token();
      std::string_view model;
      if (value.get_string().get(model) != simdjson::SUCCESS) {
        return Error{"model must be a string"};
      }
      out.model = std::string(model);
      out.modelOffset = static_cast<size_t>(token.data() - padded.data());
      out.modelLength = token.rfind('"') + 1;
      sawModel = true;
    } else if (key == "stream") {
      bool stream = false;
      if (value.get_bool().get(stream) == simdjson::SUCCESS) out.stream = stream;
    } else if (key == "stream_options") {
      od::object opts;
      if (value.get_object().get(opts) == simdjson::SUCCESS) {
        bool include = false;
        if (opts["include_usage"].get_bool().get(include) == simdjson::SUCCESS) {
          out.includeUsage = include;
        }
      }
    } else if (key == "messages") {
      const char* start = value.raw_json_token().data();
      od::array messages;
      if (value.get_array().get(messages) == simdjson::SUCCESS) {
        for (auto m : messages) {
          od::object msg;
          if (m.get_object().get(msg)) continue;
          od::value content;
          if (msg["content"].get(content) == simdjson::SUCCESS) {
            err = appendContent(content, out.prompt);
          }
          if (err) break;
        }
        if (!err) err = markJson(doc, padded, start, out);
      }
    } else if (key == "prompt") {
      const char* start = value.raw_json_token().data();
      err = appendPrompt(value, out.prompt, &out.promptTokenIds);
      if (!err) err = markJson(doc, padded, start, out);
    } else if (key == "input") {
      err = appendPrompt(value, out.prompt);
    }
    if (err) return Error{std::string("body is not valid JSON: ") + simdjson::error_message(err)};
  }
  // On-demand parsing validates lazily: make sure nothing malformed trails the object.
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    return Error{"body is not valid JSON: content after the top-level object"};
  }
  if (!sawModel || out.model.empty()) return Error{"model is required"};
  return out;
}

}  // namespace epp::request
