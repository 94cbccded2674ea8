// File: host/config/yaml_reader.h
//
// Strict reading of a YAML config: one bounded document, maps whose keys are all known,
// scalars of the right type, and every mistake collected with its file:line:col rather
// than the first one thrown.
//
//   Diagnostics diag("eppd.yaml");
//   auto doc = loadDocument(text, "eppd.yaml");
//   MapReader top(diag, Field::root(*doc, "eppd.yaml"), {"apiVersion", "kind"});
//   if (auto f = top.required("kind")) std::optional<std::string> kind = readString(diag, *f);
//   if (!diag.empty()) return Error{diag.joined()};
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "host/common/result.h"
#include "host/config/picker_config.h"

namespace epp::config {

// Texts larger than this are refused before YAML sees them.
inline constexpr size_t kMaxConfigBytes = size_t{4} << 20;
// A document whose alias expansion reaches this many nodes is refused ("billion laughs").
inline constexpr size_t kMaxDocumentNodes = 100'000;
// Nesting deeper than this is refused (a recursive alias nests forever).
inline constexpr int kMaxDocumentDepth = 64;
// At most this many errors are reported; the rest are counted.
inline constexpr size_t kMaxReportedErrors = 100;

Location locationOf(const std::string& file, const YAML::Mark& mark);

// `text` with line breaks and other control characters (tab aside) written as \n, \r,
// \xNN: what goes into an error line when it quotes the document.
std::string oneLine(std::string_view text);

// Errors of one parse or resolve, each with its location.
class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }
  void error(const Location& where, std::string message);
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  // False once more errors are known than get reported: costly details ("did you mean",
  // which compares a name with every other) are then skipped.
  bool wantsDetail() const { return entries_.size() < kMaxReportedErrors; }
  // Every error, sorted by position (unlocated first), duplicates dropped, one per line,
  // each "file:line:col: message".
  std::string joined() const;

 private:
  struct Entry {
    Location where;
    std::string message;
  };
  std::string file_;
  std::vector<Entry> entries_;
};

// A node of the document with its location and its path for messages ("plugins[2].type").
struct Field {
  YAML::Node node;  // may be null: "key:" with nothing after it
  Location where;
  std::string path;

  static Field root(const YAML::Node& node, const std::string& file);
  // "what" for messages: the path, or "config" for the root.
  std::string name() const { return path.empty() ? "config" : path; }
  bool isNull() const { return !node.IsDefined() || node.IsNull(); }
};

// "a map", "a list", "a scalar", "null".
std::string_view nodeKindName(const YAML::Node& node);

// The entries of a map, checked: every key a scalar and written once. A non-map is reported
// (null too, unless `nullIsEmpty`) and gives no entries. Values' paths are "<path>.<key>".
struct MapEntry {
  std::string key;
  Location keyWhere;
  Field value;
};
std::vector<MapEntry> readMap(Diagnostics& diag, const Field& field, bool nullIsEmpty = false);
// A map of string keys to non-empty-or-empty string values (labels, pins).
std::vector<std::pair<std::string, std::string>> readStringMap(Diagnostics& diag,
                                                               const Field& field);

// The entries of a map, checked: every key a scalar, known, and written once. A key
// absent from `known` is reported with the closest known key when one is within edit
// distance 2, or with the list of known keys.
class MapReader {
 public:
  // When `field` is not a map, that is reported and the reader has no entries; a null
  // field is reported only when `nullIsEmpty` is false.
  MapReader(Diagnostics& diag, const Field& field, std::vector<std::string_view> known,
            bool nullIsEmpty = false);

  bool isMap() const { return isMap_; }
  const Field& field() const { return field_; }
  // The value under `key` (with the key's location when the value is null), or nullopt.
  std::optional<Field> get(std::string_view key) const;
  // Like get, but reports "missing required key" at the map when absent.
  std::optional<Field> required(std::string_view key) const;
  bool has(std::string_view key) const { return get(key).has_value(); }
  // The known entries present, in document order.
  const std::vector<MapEntry>& entries() const { return entries_; }

 private:
  Diagnostics& diag_;
  Field field_;
  bool isMap_ = false;
  std::vector<MapEntry> entries_;
};

// Typed reads; each reports "<path>: <reason>" at the field and returns nullopt on error.
std::optional<std::string> readString(Diagnostics& diag, const Field& field,
                                      bool allowEmpty = false);
std::optional<int64_t> readInt(Diagnostics& diag, const Field& field, int64_t min, int64_t max);
// Finite numbers only.
std::optional<double> readDouble(Diagnostics& diag, const Field& field);
std::optional<bool> readBool(Diagnostics& diag, const Field& field);
std::optional<int64_t> readBytes(Diagnostics& diag, const Field& field);
std::optional<int64_t> readDurationNs(Diagnostics& diag, const Field& field);
// The items of a list (path "<path>[i]"); anything else is reported (null too, unless
// `nullIsEmpty`) and gives no items.
std::vector<Field> readList(Diagnostics& diag, const Field& field, bool nullIsEmpty = false);
// A list of non-empty strings.
std::vector<std::string> readStringList(Diagnostics& diag, const Field& field);

// Parses `text` as exactly one YAML document and bounds its expanded size and depth.
// Errors are complete lines ("file:line:col: reason").
common::Result<YAML::Node> loadDocument(const std::string& text, const std::string& file);

}  // namespace epp::config
