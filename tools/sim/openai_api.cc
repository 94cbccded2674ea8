#include "tools/sim/openai_api.h"

#include <simdjson.h>

#include <array>
#include <nlohmann/json.hpp>

namespace epp::sim {
namespace {

using json = nlohmann::ordered_json;
namespace od = simdjson::ondemand;

json usageJson(const UsageCounts& u) {
  return json{{"prompt_tokens", u.promptTokens},
              {"total_tokens", u.promptTokens + u.completionTokens},
              {"completion_tokens", u.completionTokens},
              {"prompt_tokens_details", {{"cached_tokens", u.cachedTokens}}}};
}

std::string event(const json& j) { return "data: " + j.dump() + "\n\n"; }

// Reads max_tokens / max_completion_tokens from the body's top level.
std::optional<ApiError> readMaxTokens(std::string_view body, std::optional<int32_t>& out) {
  simdjson::padded_string padded(body);
  od::parser parser;
  od::document doc;
  od::object root;
  if (parser.iterate(padded).get(doc) || doc.get_object().get(root)) return std::nullopt;
  std::optional<int64_t> maxTokens, maxCompletion;
  for (auto field : root) {
    std::string_view key;
    if (field.unescaped_key().get(key)) break;
    if (key != "max_tokens" && key != "max_completion_tokens") continue;
    od::value value;
    if (field.value().get(value)) break;
    if (value.is_null()) continue;
    int64_t v = 0;
    if (value.get_int64().get(v)) {
      return ApiError{400, "BadRequestError", std::string(key) + " must be an integer"};
    }
    (key == "max_tokens" ? maxTokens : maxCompletion) = v;
  }
  std::optional<int64_t> chosen = maxCompletion ? maxCompletion : maxTokens;
  if (chosen) {
    if (*chosen < 1) {
      return ApiError{400, "BadRequestError",
                      "max_tokens must be at least 1, got " + std::to_string(*chosen) + "."};
    }
    out = static_cast<int32_t>(std::min<int64_t>(*chosen, INT32_MAX));
  }
  return std::nullopt;
}

constexpr std::array<std::string_view, 16> kWords{
    "The ",   "model ", "says ",  "that ", "each ", "word ", "here ", "is ",
    "about ", "one ",   "token ", "long ", "and ",  "fits ", "well ", "too. "};

}  // namespace

std::optional<ApiError> parseCompletionCall(std::string_view body, request::ApiType api,
                                            CompletionCall& out) {
  auto parsed = request::parseOpenAiRequest(body, api);
  if (!parsed) return ApiError{400, "BadRequestError", parsed.error()};
  if (auto err = readMaxTokens(body, out.maxTokens)) return err;
  out.api = api;
  out.model = std::move(parsed->model);
  out.prompt = std::move(parsed->prompt);
  out.stream = parsed->stream;
  out.includeUsage = parsed->includeUsage;
  return std::nullopt;
}

std::string errorJson(const ApiError& error) {
  return json{{"error",
               {{"message", error.message},
                {"type", error.type},
                {"param", nullptr},
                {"code", error.status}}}}
      .dump();
}

std::string_view tokenText(int32_t index) {
  return kWords[static_cast<size_t>(index) % kWords.size()];
}

ResponseWriter::ResponseWriter(request::ApiType api, uint64_t requestId, std::string model,
                               int64_t created)
    : chat_(api == request::ApiType::kChatCompletions),
      id_((chat_ ? "chatcmpl-" : "cmpl-") + std::to_string(requestId)),
      model_(std::move(model)),
      created_(created) {
  // Every text event has the same envelope; only the token text between these differs.
  const std::string marker = "\x01";
  json choice =
      chat_
          ? json{{"index", 0},
                 {"delta", {{"content", marker}}},
                 {"logprobs", nullptr},
                 {"finish_reason", nullptr}}
          : json{{"index", 0}, {"text", marker}, {"logprobs", nullptr}, {"finish_reason", nullptr}};
  json chunk = json::parse(chunkEnvelope() + "}");
  chunk["choices"] = json::array({choice});
  std::string whole = event(chunk);
  const std::string escaped = "\\u0001";
  const size_t at = whole.find(escaped);
  textPrefix_ = whole.substr(0, at);
  textSuffix_ = whole.substr(at + escaped.size());
}

std::string ResponseWriter::chunkEnvelope() const {
  json j{{"id", id_},
         {"object", chat_ ? "chat.completion.chunk" : "text_completion"},
         {"created", created_},
         {"model", model_}};
  std::string s = j.dump();
  s.pop_back();  // the closing brace: callers add fields
  return s;
}

std::string ResponseWriter::roleEvent() const {
  json chunk = json::parse(chunkEnvelope() + "}");
  chunk["choices"] = json::array({json{{"index", 0},
                                       {"delta", {{"role", "assistant"}, {"content", ""}}},
                                       {"logprobs", nullptr},
                                       {"finish_reason", nullptr}}});
  return event(chunk);
}

std::string ResponseWriter::textEvent(std::string_view text) const {
  std::string out;
  out.reserve(textPrefix_.size() + text.size() + textSuffix_.size());
  out += textPrefix_;
  out += text;  // token words need no JSON escaping
  out += textSuffix_;
  return out;
}

std::string ResponseWriter::finishEvent(std::string_view finishReason) const {
  json chunk = json::parse(chunkEnvelope() + "}");
  json choice =
      chat_ ? json{{"index", 0}, {"delta", json::object()}} : json{{"index", 0}, {"text", ""}};
  choice["logprobs"] = nullptr;
  choice["finish_reason"] = finishReason;
  chunk["choices"] = json::array({choice});
  return event(chunk);
}

std::string ResponseWriter::usageEvent(const UsageCounts& usage) const {
  json chunk = json::parse(chunkEnvelope() + "}");
  chunk["choices"] = json::array();
  chunk["usage"] = usageJson(usage);
  return event(chunk);
}

std::string ResponseWriter::fullResponse(std::string_view text, std::string_view finishReason,
                                         const UsageCounts& usage) const {
  json choice = chat_ ? json{{"index", 0},
                             {"message", {{"role", "assistant"}, {"content", text}}},
                             {"logprobs", nullptr},
                             {"finish_reason", finishReason}}
                      : json{{"index", 0},
                             {"text", text},
                             {"logprobs", nullptr},
                             {"finish_reason", finishReason}};
  json body{{"id", id_},
            {"object", chat_ ? "chat.completion" : "text_completion"},
            {"created", created_},
            {"model", model_},
            {"choices", json::array({choice})},
            {"usage", usageJson(usage)}};
  return body.dump();
}

}  // namespace epp::sim
