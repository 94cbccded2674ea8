// File: tests/fuzz/openai_request_fuzz.cc
//
// An OpenAI request body, as the client sent it, through parseOpenAiRequest for every API
// type. A success must point at what it claims: the model's token is a JSON string in the
// body that decodes to the model, the prompt's raw JSON lies inside the body. When the body
// is valid JSON (simdjson's DOM parser, which validates everything, is the reference) the
// outcome must match what the body says: the last "model" key wins and must be a non-empty
// string.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "host/request/openai_request.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using epp::request::ApiType;

// What the body's "model" keys say, from a fully validated parse: nullopt-like states.
enum class ModelState { kInvalidJson, kNotObject, kAbsent, kNotString, kEmpty, kPresent };

ModelState referenceModel(simdjson::dom::parser& dom, const simdjson::padded_string& body,
                          std::string& model) {
  simdjson::dom::element root;
  if (dom.parse(body).get(root) != simdjson::SUCCESS) return ModelState::kInvalidJson;
  simdjson::dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) return ModelState::kNotObject;
  ModelState state = ModelState::kAbsent;
  for (auto [key, value] : object) {
    if (key != "model") continue;
    std::string_view s;
    if (value.get_string().get(s) != simdjson::SUCCESS) return ModelState::kNotString;
    model = std::string(s);
    state = s.empty() ? ModelState::kEmpty : ModelState::kPresent;
  }
  return state;
}

void checkParsed(const epp::request::OpenAiRequest& r, std::string_view body,
                 simdjson::dom::parser& dom) {
  FUZZ_CHECK(!r.model.empty());
  FUZZ_CHECK(r.modelLength >= 2 && r.modelOffset + r.modelLength <= body.size(),
             "model at %zu+%zu in %zu bytes", r.modelOffset, r.modelLength, body.size());
  std::string_view token = body.substr(r.modelOffset, r.modelLength);
  FUZZ_CHECK(token.front() == '"' && token.back() == '"');
  // The token alone is a JSON document (a string) that decodes to the model.
  simdjson::padded_string tokenDoc(token);
  std::string_view decoded;
  FUZZ_CHECK(dom.parse(tokenDoc).get_string().get(decoded) == simdjson::SUCCESS, "model token %.*s",
             static_cast<int>(token.size()), token.data());
  FUZZ_CHECK(decoded == r.model);
  FUZZ_CHECK(r.promptJsonOffset + r.promptJsonLength <= body.size());
  if (!r.promptTokenIds.empty()) {
    FUZZ_CHECK(r.promptJsonLength > 0 && body[r.promptJsonOffset] == '[');
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  static simdjson::dom::parser dom;
  simdjson::padded_string padded(body);
  std::string expectedModel;
  const ModelState state = referenceModel(dom, padded, expectedModel);
  for (ApiType api : {ApiType::kCompletions, ApiType::kChatCompletions, ApiType::kResponses,
                      ApiType::kConversations, ApiType::kEmbeddings}) {
    auto parsed = epp::request::parseOpenAiRequest(body, api);
    if (parsed) {
      checkParsed(*parsed, body, dom);
      FUZZ_CHECK(state == ModelState::kPresent || state == ModelState::kInvalidJson,
                 "accepted a body whose model state is %d", static_cast<int>(state));
      if (state == ModelState::kPresent) FUZZ_CHECK(parsed->model == expectedModel);
      if (parsed->promptJsonLength > 0 && state == ModelState::kPresent) {
        // Inside a valid body, the prompt's raw JSON is itself one valid JSON value.
        simdjson::padded_string prompt(
            body.substr(parsed->promptJsonOffset, parsed->promptJsonLength));
        FUZZ_CHECK(dom.parse(prompt).error() == simdjson::SUCCESS);
      }
    } else {
      FUZZ_CHECK(!parsed.error().empty() && parsed.error().find('\n') == std::string::npos);
      FUZZ_CHECK(state != ModelState::kPresent, "refused a valid body: %s", parsed.error().c_str());
    }
  }
  return 0;
}
