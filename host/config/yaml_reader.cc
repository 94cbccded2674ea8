#include "host/config/yaml_reader.h"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "host/config/scalar.h"
#include "host/config/suggest.h"

namespace epp::config {
namespace {

using common::Error;
using common::Result;

std::string childPath(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

std::string joinNames(const std::vector<std::string_view>& names) {
  std::string out;
  for (std::string_view name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

// The scalar text of `field`, or nullopt after reporting "expected <what>, got …".
std::optional<std::string> scalarText(Diagnostics& diag, const Field& field,
                                      std::string_view what) {
  if (field.isNull() || !field.node.IsScalar()) {
    diag.error(field.where, fmt::format("{}: expected {}, got {}", field.name(), what,
                                        nodeKindName(field.node)));
    return std::nullopt;
  }
  return field.node.Scalar();
}

template <typename T>
std::optional<T> convert(Diagnostics& diag, const Field& field, std::string_view what,
                         Result<T> (*parse)(std::string_view)) {
  auto text = scalarText(diag, field, what);
  if (!text) return std::nullopt;
  Result<T> value = parse(*text);
  if (!value) {
    diag.error(field.where, field.name() + ": " + value.error());
    return std::nullopt;
  }
  return *value;
}

// Walks the document as its aliases expand, stopping at the first limit passed.
struct ExpansionCounter {
  size_t nodes = 0;
  bool tooLarge = false;
  bool tooDeep = false;
  YAML::Mark mark = YAML::Mark::null_mark();

  bool stopped() const { return tooLarge || tooDeep; }

  void visit(const YAML::Node& node, int depth) {
    if (stopped()) return;
    if (++nodes > kMaxDocumentNodes) {
      tooLarge = true;
      mark = node.Mark();
      return;
    }
    if (depth > kMaxDocumentDepth) {
      tooDeep = true;
      mark = node.Mark();
      return;
    }
    if (node.IsMap()) {
      for (const auto& entry : node) {
        visit(entry.first, depth + 1);
        visit(entry.second, depth + 1);
        if (stopped()) return;
      }
    } else if (node.IsSequence()) {
      for (const auto& item : node) {
        visit(item, depth + 1);
        if (stopped()) return;
      }
    }
  }
};

// Where each document of a stream starts and where its first node is, from parser events
// alone (no nodes are built).
class DocumentMarks final : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;
  std::vector<YAML::Mark> firstNodes;  // null_mark() for a document without nodes

  void OnDocumentStart(const YAML::Mark& mark) override {
    starts.push_back(mark);
    firstNodes.push_back(YAML::Mark::null_mark());
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    node(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    node(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    node(mark);
  }
  void OnMapEnd() override {}

 private:
  void node(const YAML::Mark& mark) {
    if (!firstNodes.empty() && firstNodes.back().is_null()) firstNodes.back() = mark;
  }
};

}  // namespace

std::string Location::str() const {
  if (line <= 0) return file;
  return fmt::format("{}:{}:{}", file, line, column);
}

Location locationOf(const std::string& file, const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0) return Location{file, 0, 0};
  return Location{file, mark.line + 1, mark.column + 1};
}

std::string oneLine(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if ((u < 0x20 && c != '\t') || u == 0x7f) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;
    }
  }
  return out;
}

void Diagnostics::error(const Location& where, std::string message) {
  Location at = where;
  if (at.file.empty()) at.file = file_;
  // Messages quote the document (keys, values, YAML's own reasons): one entry, one line.
  entries_.push_back(Entry{std::move(at), oneLine(message)});
}

std::string Diagnostics::joined() const {
  std::vector<const Entry*> sorted;
  sorted.reserve(entries_.size());
  for (const Entry& entry : entries_) sorted.push_back(&entry);
  std::stable_sort(sorted.begin(), sorted.end(), [](const Entry* a, const Entry* b) {
    return std::pair(a->where.line, a->where.column) < std::pair(b->where.line, b->where.column);
  });
  std::vector<std::string> lines;
  std::unordered_set<std::string> seen;
  for (const Entry* entry : sorted) {
    std::string line = entry->where.str() + ": " + entry->message;
    // An alias repeats the nodes it names, and with them their errors.
    if (seen.insert(line).second) lines.push_back(std::move(line));
  }
  std::string out;
  for (size_t i = 0; i < lines.size() && i < kMaxReportedErrors; ++i) {
    if (i > 0) out += '\n';
    out += lines[i];
  }
  if (lines.size() > kMaxReportedErrors) {
    out += fmt::format("\n{}: … and {} more errors", file_, lines.size() - kMaxReportedErrors);
  }
  return out;
}

Field Field::root(const YAML::Node& node, const std::string& file) {
  Location where = locationOf(file, node.Mark());
  if (!where.known()) where = Location{file, 1, 1};
  return Field{node, std::move(where), std::string()};
}

std::string_view nodeKindName(const YAML::Node& node) {
  if (!node.IsDefined()) return "null";
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    default:
      return "null";
  }
}

std::vector<MapEntry> readMap(Diagnostics& diag, const Field& field, bool nullIsEmpty) {
  std::vector<MapEntry> entries;
  if (field.isNull()) {
    if (!nullIsEmpty) diag.error(field.where, field.name() + ": expected a map, got null");
    return entries;
  }
  if (!field.node.IsMap()) {
    diag.error(field.where,
               fmt::format("{}: expected a map, got {}", field.name(), nodeKindName(field.node)));
    return entries;
  }
  std::unordered_map<std::string, Location> seen;
  for (const auto& entry : field.node) {
    const YAML::Node& key = entry.first;
    Location keyWhere = locationOf(diag.file(), key.Mark());
    if (!keyWhere.known()) keyWhere = field.where;
    if (!key.IsScalar()) {
      diag.error(keyWhere, field.name() + ": map keys must be scalars");
      continue;
    }
    const std::string& name = key.Scalar();
    auto [first, inserted] = seen.emplace(name, keyWhere);
    if (!inserted) {
      diag.error(keyWhere, fmt::format("{}: duplicate key '{}' (first at line {})", field.name(),
                                       name, first->second.line));
      continue;
    }
    const YAML::Node& value = entry.second;
    bool valueIsNull = !value.IsDefined() || value.IsNull();
    // YAML gives an empty value the position of whatever follows it; the key is clearer.
    Location where = valueIsNull ? keyWhere : locationOf(diag.file(), value.Mark());
    if (!where.known()) where = keyWhere;
    entries.push_back(
        MapEntry{name, keyWhere, Field{value, std::move(where), childPath(field.path, name)}});
  }
  return entries;
}

std::vector<std::pair<std::string, std::string>> readStringMap(Diagnostics& diag,
                                                               const Field& field) {
  std::vector<std::pair<std::string, std::string>> out;
  for (MapEntry& entry : readMap(diag, field, /*nullIsEmpty=*/true)) {
    if (auto text = readString(diag, entry.value, /*allowEmpty=*/true)) {
      out.emplace_back(std::move(entry.key), std::move(*text));
    }
  }
  return out;
}

MapReader::MapReader(Diagnostics& diag, const Field& field, std::vector<std::string_view> known,
                     bool nullIsEmpty)
    : diag_(diag), field_(field) {
  isMap_ = !field.isNull() && field.node.IsMap();
  for (MapEntry& entry : readMap(diag, field, nullIsEmpty)) {
    if (std::find(known.begin(), known.end(), entry.key) == known.end()) {
      std::string hint = didYouMean(entry.key, known);
      if (hint.empty()) hint = "; expected one of: " + joinNames(known);
      diag.error(entry.keyWhere,
                 fmt::format("{}: unknown key '{}'{}", field.name(), entry.key, hint));
      continue;
    }
    entries_.push_back(std::move(entry));
  }
}

std::optional<Field> MapReader::get(std::string_view key) const {
  for (const MapEntry& entry : entries_) {
    if (entry.key == key) return entry.value;
  }
  return std::nullopt;
}

std::optional<Field> MapReader::required(std::string_view key) const {
  auto value = get(key);
  if (!value && isMap_) {
    diag_.error(field_.where, fmt::format("{}: missing required key '{}'", field_.name(), key));
  }
  return value;
}

std::optional<std::string> readString(Diagnostics& diag, const Field& field, bool allowEmpty) {
  auto text = scalarText(diag, field, "a string");
  if (text && text->empty() && !allowEmpty) {
    diag.error(field.where, field.name() + ": must not be empty");
    return std::nullopt;
  }
  return text;
}

std::optional<int64_t> readInt(Diagnostics& diag, const Field& field, int64_t min, int64_t max) {
  auto value = convert<int64_t>(diag, field, "an integer", &parseInt);
  if (value && (*value < min || *value > max)) {
    if (max == std::numeric_limits<int64_t>::max()) {
      diag.error(field.where,
                 fmt::format("{}: must be at least {}, got {}", field.name(), min, *value));
    } else {
      diag.error(field.where, fmt::format("{}: must be between {} and {}, got {}", field.name(),
                                          min, max, *value));
    }
    return std::nullopt;
  }
  return value;
}

std::optional<double> readDouble(Diagnostics& diag, const Field& field) {
  auto value = convert<double>(diag, field, "a number", &parseDouble);
  if (value && !std::isfinite(*value)) {
    diag.error(field.where, fmt::format("{}: must be a finite number, got '{}'", field.name(),
                                        field.node.Scalar()));
    return std::nullopt;
  }
  return value;
}

std::optional<bool> readBool(Diagnostics& diag, const Field& field) {
  return convert<bool>(diag, field, "true or false", &parseBool);
}

std::optional<int64_t> readBytes(Diagnostics& diag, const Field& field) {
  return convert<int64_t>(diag, field, "a byte quantity", &parseBytes);
}

std::optional<int64_t> readDurationNs(Diagnostics& diag, const Field& field) {
  return convert<int64_t>(diag, field, "a duration", &parseDurationNs);
}

std::vector<Field> readList(Diagnostics& diag, const Field& field, bool nullIsEmpty) {
  std::vector<Field> items;
  if (field.isNull()) {
    if (!nullIsEmpty) diag.error(field.where, field.name() + ": expected a list, got null");
    return items;
  }
  if (!field.node.IsSequence()) {
    diag.error(field.where,
               fmt::format("{}: expected a list, got {}", field.name(), nodeKindName(field.node)));
    return items;
  }
  size_t index = 0;
  for (const auto& item : field.node) {
    Location where = locationOf(diag.file(), item.Mark());
    if (!where.known()) where = field.where;
    items.push_back(Field{item, std::move(where), fmt::format("{}[{}]", field.path, index++)});
  }
  return items;
}

std::vector<std::string> readStringList(Diagnostics& diag, const Field& field) {
  std::vector<std::string> out;
  for (const Field& item : readList(diag, field)) {
    if (auto text = readString(diag, item)) out.push_back(std::move(*text));
  }
  return out;
}

Result<YAML::Node> loadDocument(const std::string& text, const std::string& file) {
  if (text.size() > kMaxConfigBytes) {
    return Error{fmt::format("{}: the config is larger than {} MiB", file, kMaxConfigBytes >> 20)};
  }
  // The documents are counted with a parser of our own, up to two, rather than with
  // YAML::LoadAll: yaml-cpp 0.7 (Debian 12) never returns from LoadAll when a document starts
  // with a token that cannot start a node (a lone ','), each call yielding another empty
  // document at the same place while memory grows. Two documents starting at one place are
  // that loop.
  DocumentMarks documents;
  YAML::Node document;
  try {
    std::istringstream stream(text);
    YAML::Parser parser(stream);
    while (documents.starts.size() < 2 && parser.HandleNextDocument(documents)) {
    }
    if (documents.starts.size() == 2 && documents.starts[1].pos == documents.starts[0].pos) {
      const YAML::Mark& at = documents.starts[1];
      const char c = at.pos >= 0 && static_cast<size_t>(at.pos) < text.size() ? text[at.pos] : '?';
      return Error{locationOf(file, at).str() + ": " +
                   oneLine(fmt::format("'{}' cannot start a YAML value", c))};
    }
    if (documents.starts.size() == 1) document = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    // yaml-cpp quotes the offending character as is, a line break included.
    return Error{locationOf(file, e.mark).str() + ": " + oneLine(e.msg)};
  }
  if (documents.starts.empty()) return Error{file + ": the config is empty"};
  if (documents.starts.size() > 1) {
    const YAML::Mark& node = documents.firstNodes[1];
    Location where = locationOf(file, node.is_null() ? documents.starts[1] : node);
    if (!where.known()) where = Location{file, 0, 0};
    return Error{where.str() + ": more than one YAML document; a config is exactly one"};
  }
  ExpansionCounter counter;
  counter.visit(document, 0);
  if (counter.tooLarge) {
    return Error{fmt::format("{}: the document expands to more than {} nodes (through aliases?)",
                             locationOf(file, counter.mark).str(), kMaxDocumentNodes)};
  }
  if (counter.tooDeep) {
    return Error{fmt::format("{}: the document nests more than {} levels deep",
                             locationOf(file, counter.mark).str(), kMaxDocumentDepth)};
  }
  return document;
}

}  // namespace epp::config
