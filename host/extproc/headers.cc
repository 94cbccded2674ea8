#include "host/extproc/headers.h"

#include <utility>

namespace epp::extproc {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

void splitList(std::string_view text, std::vector<std::string>& out) {
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = trim(text.substr(0, comma));
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
}

}  // namespace

const std::string& headerValue(const pb::HeaderValue& header) {
  return header.raw_value().empty() ? header.value() : header.raw_value();
}

void takeHeaders(pb::HeaderMap& map, HeaderList& out) {
  out.reserve(out.size() + static_cast<size_t>(map.headers_size()));
  for (pb::HeaderValue& header : *map.mutable_headers()) {
    std::string value = header.raw_value().empty() ? std::move(*header.mutable_value())
                                                   : std::move(*header.mutable_raw_value());
    out.emplace_back(std::move(*header.mutable_key()), std::move(value));
  }
}

void addSetHeader(pb::HeaderMutation& mutation, std::string_view key, std::string_view value) {
  pb::HeaderValueOption* option = mutation.add_set_headers();
  option->set_append_action(pb::HeaderValueOption::OVERWRITE_IF_EXISTS_OR_ADD);
  pb::HeaderValue* header = option->mutable_header();
  header->set_key(std::string(key));
  header->set_raw_value(std::string(value));
}

const std::string* findHeader(const HeaderList& headers, std::string_view key) {
  for (const auto& [name, value] : headers) {
    if (name == key) return &value;
  }
  return nullptr;
}

bool readSubsetHint(const pb::Metadata& metadata, std::vector<std::string>& out) {
  auto ns = metadata.filter_metadata().find(std::string(kSubsetHintNamespace));
  if (ns == metadata.filter_metadata().end()) return false;
  auto field = ns->second.fields().find(std::string(kSubsetHintKey));
  if (field == ns->second.fields().end()) return false;
  out.clear();
  const google::protobuf::Value& value = field->second;
  switch (value.kind_case()) {
    case google::protobuf::Value::kListValue:
      for (const google::protobuf::Value& item : value.list_value().values()) {
        if (item.kind_case() == google::protobuf::Value::kStringValue) {
          splitList(item.string_value(), out);
        }
      }
      break;
    case google::protobuf::Value::kStringValue:
      splitList(value.string_value(), out);
      break;
    default:
      // Present but neither a list nor a string: an empty hint, which the pipeline answers
      // with 503 rather than silently picking from every endpoint.
      break;
  }
  return true;
}

}  // namespace epp::extproc
