#include "tools/chart_render/go_template.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <deque>
#include <functional>
#include <regex>
#include <sstream>

namespace epp::chart {

// ---- parse tree -------------------------------------------------------------------------

struct Pipeline;

struct Operand {
  enum class Kind { kDot, kRoot, kField, kString, kNumber, kIdent, kSub } kind;
  bool fromRoot = false;          // kField: `$.a.b` rather than `.a.b`
  std::vector<std::string> path;  // kField
  std::string text;               // kString, kNumber, kIdent
  std::shared_ptr<Pipeline> sub;  // kSub
};

struct Command {
  std::vector<Operand> operands;
};

struct Pipeline {
  std::vector<Command> commands;
};

struct Node {
  enum class Kind { kText, kAction, kIf, kWith, kRange } kind;
  std::string text;   // kText
  Pipeline pipeline;  // kAction
  // kIf / kWith: conditions with their bodies in order (`else if` adds one), then `else`.
  std::vector<std::pair<Pipeline, std::vector<NodePtr>>> branches;
  std::vector<NodePtr> elseBody;
  std::string where;  // "name:line" for errors
};

namespace {

struct Segment {
  bool action = false;
  std::string text;  // raw text, or the action's content without delimiters and trim marks
  int line = 1;
};

[[noreturn]] void fail(const std::string& where, const std::string& message) {
  throw TemplateError(where + ": " + message);
}

// Splits text into text and action segments, applying {{- and -}} trimming.
std::vector<Segment> scan(const std::string& name, const std::string& text) {
  std::vector<Segment> out;
  size_t pos = 0;
  int line = 1;
  bool trimNext = false;
  while (pos <= text.size()) {
    size_t open = text.find("{{", pos);
    std::string chunk =
        text.substr(pos, open == std::string::npos ? std::string::npos : open - pos);
    if (trimNext) {
      size_t keep = chunk.find_first_not_of(" \t\r\n");
      chunk = keep == std::string::npos ? "" : chunk.substr(keep);
    }
    bool trimPrev = open != std::string::npos && text.compare(open, 4, "{{- ") == 0;
    if (trimPrev) {
      size_t keep = chunk.find_last_not_of(" \t\r\n");
      chunk = keep == std::string::npos ? "" : chunk.substr(0, keep + 1);
    }
    if (!chunk.empty()) out.push_back({false, chunk, line});
    line += static_cast<int>(std::count(
        text.begin() + static_cast<long>(pos),
        open == std::string::npos ? text.end() : text.begin() + static_cast<long>(open), '\n'));
    if (open == std::string::npos) break;
    size_t start = open + (trimPrev ? 3 : 2);
    // The action ends at the first }} outside a string literal.
    size_t i = start;
    bool inString = false;
    for (; i + 1 < text.size(); ++i) {
      if (inString) {
        if (text[i] == '\\') {
          ++i;
        } else if (text[i] == '"') {
          inString = false;
        }
      } else if (text[i] == '"') {
        inString = true;
      } else if (text[i] == '}' && text[i + 1] == '}') {
        break;
      }
    }
    if (i + 1 >= text.size()) fail(name + ":" + std::to_string(line), "unclosed action");
    size_t end = i;
    trimNext = end >= 2 && text.compare(end - 2, 2, " -") == 0;
    std::string content = text.substr(start, (trimNext ? end - 1 : end) - start);
    out.push_back({true, content, line});
    line += static_cast<int>(std::count(content.begin(), content.end(), '\n'));
    pos = end + 2;
  }
  return out;
}

// ---- pipelines --------------------------------------------------------------------------

class PipelineParser {
 public:
  PipelineParser(std::string src, std::string where)
      : src_(std::move(src)), where_(std::move(where)) {}

  Pipeline parse() {
    Pipeline p = pipeline();
    skipSpace();
    if (pos_ != src_.size()) fail(where_, "unexpected '" + src_.substr(pos_) + "'");
    return p;
  }

 private:
  std::string src_;
  std::string where_;
  size_t pos_ = 0;

  void skipSpace() {
    while (pos_ < src_.size() && std::isspace(static_cast<unsigned char>(src_[pos_]))) ++pos_;
  }

  Pipeline pipeline() {
    Pipeline p;
    while (true) {
      p.commands.push_back(command());
      skipSpace();
      if (pos_ < src_.size() && src_[pos_] == '|') {
        ++pos_;
        continue;
      }
      return p;
    }
  }

  Command command() {
    Command c;
    while (true) {
      skipSpace();
      if (pos_ >= src_.size() || src_[pos_] == '|' || src_[pos_] == ')') break;
      c.operands.push_back(operand());
    }
    if (c.operands.empty()) fail(where_, "empty command in '" + src_ + "'");
    return c;
  }

  std::vector<std::string> fieldPath() {
    std::vector<std::string> path;
    while (pos_ < src_.size() && src_[pos_] == '.') {
      ++pos_;
      size_t start = pos_;
      while (pos_ < src_.size() &&
             (std::isalnum(static_cast<unsigned char>(src_[pos_])) || src_[pos_] == '_')) {
        ++pos_;
      }
      if (start == pos_) break;  // a lone "." (dot itself)
      path.push_back(src_.substr(start, pos_ - start));
    }
    return path;
  }

  Operand operand() {
    Operand o;
    char c = src_[pos_];
    if (c == '"') {
      o.kind = Operand::Kind::kString;
      ++pos_;
      while (pos_ < src_.size() && src_[pos_] != '"') {
        if (src_[pos_] == '\\' && pos_ + 1 < src_.size()) {
          char e = src_[++pos_];
          o.text += e == 'n' ? '\n' : e == 't' ? '\t' : e;
        } else {
          o.text += src_[pos_];
        }
        ++pos_;
      }
      if (pos_ >= src_.size()) fail(where_, "unterminated string");
      ++pos_;
    } else if (c == '(') {
      ++pos_;
      o.kind = Operand::Kind::kSub;
      o.sub = std::make_shared<Pipeline>(pipeline());
      skipSpace();
      if (pos_ >= src_.size() || src_[pos_] != ')') fail(where_, "missing ')'");
      ++pos_;
    } else if (c == '.') {
      o.path = fieldPath();
      o.kind = o.path.empty() ? Operand::Kind::kDot : Operand::Kind::kField;
    } else if (c == '$') {
      ++pos_;
      o.path = fieldPath();
      o.fromRoot = true;
      o.kind = o.path.empty() ? Operand::Kind::kRoot : Operand::Kind::kField;
    } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '-') {
      o.kind = Operand::Kind::kNumber;
      size_t start = pos_++;
      while (pos_ < src_.size() && std::isdigit(static_cast<unsigned char>(src_[pos_]))) ++pos_;
      o.text = src_.substr(start, pos_ - start);
    } else if (std::isalpha(static_cast<unsigned char>(c))) {
      o.kind = Operand::Kind::kIdent;
      size_t start = pos_;
      while (pos_ < src_.size() &&
             (std::isalnum(static_cast<unsigned char>(src_[pos_])) || src_[pos_] == '_')) {
        ++pos_;
      }
      o.text = src_.substr(start, pos_ - start);
    } else {
      fail(where_, std::string("unsupported syntax at '") + src_.substr(pos_) + "'");
    }
    return o;
  }
};

bool startsWithWord(const std::string& s, const std::string& word) {
  return s.compare(0, word.size(), word) == 0 &&
         (s.size() == word.size() || std::isspace(static_cast<unsigned char>(s[word.size()])));
}

std::string trimmed(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// ---- values -----------------------------------------------------------------------------

YAML::Node stringNode(const std::string& s) {
  YAML::Node n(s);
  n.SetTag("!");
  return n;
}

bool isQuotedString(const YAML::Node& n) { return n.IsScalar() && n.Tag() == "!"; }

// What a plain scalar of values.yaml means to Go after Helm reads it.
enum class PlainType { kNull, kBool, kNumber, kString };

PlainType plainType(const std::string& s) {
  static const std::regex number(R"([-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?|0x[0-9a-fA-F]+)");
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return PlainType::kNull;
  if (s == "true" || s == "false" || s == "True" || s == "False" || s == "TRUE" || s == "FALSE") {
    return PlainType::kBool;
  }
  if (std::regex_match(s, number)) return PlainType::kNumber;
  return PlainType::kString;
}

PlainType typeOf(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return PlainType::kNull;
  if (isQuotedString(n)) return PlainType::kString;
  return plainType(n.Scalar());
}

bool truthy(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return false;
  if (n.IsMap() || n.IsSequence()) return n.size() > 0;
  const std::string& s = n.Scalar();
  switch (typeOf(n)) {
    case PlainType::kNull:
      return false;
    case PlainType::kBool:
      return s == "true" || s == "True" || s == "TRUE";
    case PlainType::kNumber:
      return std::stod(s) != 0;
    case PlainType::kString:
      return !s.empty();
  }
  return false;
}

std::string printed(const YAML::Node& n, const std::string& where) {
  if (!n.IsDefined() || n.IsNull()) return "";
  if (!n.IsScalar()) fail(where, "cannot print a map or list (use toYaml or toJson)");
  return n.Scalar();
}

std::string quoteJson(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::vector<std::string> sortedKeys(const YAML::Node& map) {
  std::vector<std::string> keys;
  for (const auto& kv : map) keys.push_back(kv.first.Scalar());
  std::sort(keys.begin(), keys.end());
  return keys;
}

// A string scalar needs quotes when YAML would read it as something else.
bool needsQuotes(const std::string& s) {
  if (plainType(s) != PlainType::kString) return true;
  if (s.front() == ' ' || s.back() == ' ') return true;
  if (std::string("-?:,[]{}#&*!|>'\"%@`").find(s.front()) != std::string::npos) return true;
  if (s.find(": ") != std::string::npos || s.find(" #") != std::string::npos) return true;
  if (s.back() == ':') return true;
  return s.find('\n') != std::string::npos || s.find('\t') != std::string::npos;
}

std::string yamlScalar(const YAML::Node& n) {
  // A plain scalar was valid YAML as written; a string is quoted when YAML would misread it.
  const std::string& s = n.Scalar();
  return isQuotedString(n) && needsQuotes(s) ? quoteJson(s) : s;
}

void emitYaml(const YAML::Node& n, int indent, std::string& out);

// A value after "key:" or "- ": inline for scalars and empty collections.
bool inlineValue(const YAML::Node& n, std::string& text) {
  if (!n.IsDefined() || n.IsNull()) {
    text = "null";
    return true;
  }
  if (n.IsScalar()) {
    text = yamlScalar(n);
    return true;
  }
  if (n.size() == 0) {
    text = n.IsMap() ? "{}" : "[]";
    return true;
  }
  return false;
}

void emitYaml(const YAML::Node& n, int indent, std::string& out) {
  std::string pad(static_cast<size_t>(indent), ' ');
  if (n.IsMap()) {
    for (const auto& key : sortedKeys(n)) {
      const YAML::Node value = n[key];
      std::string text;
      std::string k = needsQuotes(key) ? quoteJson(key) : key;
      if (inlineValue(value, text)) {
        out += pad + k + ": " + text + "\n";
      } else if (value.IsMap()) {
        out += pad + k + ":\n";
        emitYaml(value, indent + 2, out);
      } else {
        out += pad + k + ":\n";
        emitYaml(value, indent, out);  // Helm does not indent a list under its key
      }
    }
  } else if (n.IsSequence()) {
    for (const auto& item : n) {
      std::string text;
      if (inlineValue(item, text)) {
        out += pad + "- " + text + "\n";
        continue;
      }
      std::string inner;
      emitYaml(item, indent + 2, inner);
      // The first line of the item goes after "- ".
      out += pad + "- " + inner.substr(static_cast<size_t>(indent) + 2);
    }
  } else {
    std::string text;
    inlineValue(n, text);
    out += pad + text + "\n";
  }
}

std::string indentLines(int spaces, const std::string& s) {
  std::string pad(static_cast<size_t>(spaces), ' ');
  std::string out = pad;
  for (char c : s) {
    out += c;
    if (c == '\n') out += pad;
  }
  return out;
}

}  // namespace

std::string toYaml(const YAML::Node& value) {
  std::string out;
  emitYaml(value, 0, out);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string toJson(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return "null";
  if (n.IsMap()) {
    std::string out = "{";
    for (const auto& key : sortedKeys(n)) {
      if (out.size() > 1) out += ",";
      out += quoteJson(key) + ":" + toJson(n[key]);
    }
    return out + "}";
  }
  if (n.IsSequence()) {
    std::string out = "[";
    for (const auto& item : n) {
      if (out.size() > 1) out += ",";
      out += toJson(item);
    }
    return out + "]";
  }
  switch (typeOf(n)) {
    case PlainType::kBool:
      return n.Scalar() == "true" || n.Scalar() == "True" || n.Scalar() == "TRUE" ? "true"
                                                                                  : "false";
    case PlainType::kNumber:
      return n.Scalar();
    default:
      return quoteJson(n.Scalar());
  }
}

// ---- parsing into a tree ----------------------------------------------------------------

ParsedTemplate parseTemplate(const std::string& name, const std::string& text) {
  ParsedTemplate parsed;
  parsed.name = name;
  std::vector<Segment> segments = scan(name, text);

  // Open blocks: the node being filled and which of its bodies receives nodes.
  struct Open {
    std::shared_ptr<Node> node;  // null for `define`
    std::string defineName;
    std::vector<NodePtr>* body;
    std::vector<NodePtr> defineBody;
  };
  std::deque<Open> stack;  // a deque: `body` may point into an element
  auto currentBody = [&]() -> std::vector<NodePtr>& {
    return stack.empty() ? parsed.body : *stack.back().body;
  };

  for (const auto& seg : segments) {
    std::string where = name + ":" + std::to_string(seg.line);
    if (!seg.action) {
      auto n = std::make_shared<Node>();
      n->kind = Node::Kind::kText;
      n->text = seg.text;
      currentBody().push_back(n);
      continue;
    }
    std::string a = trimmed(seg.text);
    if (a.rfind("/*", 0) == 0) continue;  // comment
    if (startsWithWord(a, "if") || startsWithWord(a, "with") || startsWithWord(a, "range")) {
      auto n = std::make_shared<Node>();
      size_t keyword = a.find_first_of(" \t\n");
      n->kind = startsWithWord(a, "if")     ? Node::Kind::kIf
                : startsWithWord(a, "with") ? Node::Kind::kWith
                                            : Node::Kind::kRange;
      n->where = where;
      std::string condition = a.substr(keyword);
      if (condition.find(":=") != std::string::npos) {
        fail(where,
             "'" + a + "': variables are outside the template subset this renderer supports");
      }
      n->branches.push_back({PipelineParser(condition, where).parse(), {}});
      currentBody().push_back(n);
      stack.push_back({n, "", &n->branches.back().second, {}});
    } else if (startsWithWord(a, "else")) {
      if (stack.empty() || !stack.back().node) fail(where, "else without if, with or range");
      Node& node = *stack.back().node;
      std::string rest = trimmed(a.substr(4));
      if (startsWithWord(rest, "if")) {
        if (node.kind != Node::Kind::kIf) fail(where, "else if inside with or range");
        node.branches.push_back({PipelineParser(rest.substr(2), where).parse(), {}});
        stack.back().body = &node.branches.back().second;
      } else if (rest.empty()) {
        stack.back().body = &node.elseBody;
      } else {
        fail(where, "unsupported else form '" + a + "'");
      }
    } else if (startsWithWord(a, "define")) {
      std::string rest = trimmed(a.substr(6));
      if (rest.size() < 2 || rest.front() != '"' || rest.back() != '"') {
        fail(where, "define needs a quoted name");
      }
      stack.push_back({nullptr, rest.substr(1, rest.size() - 2), nullptr, {}});
      stack.back().body = &stack.back().defineBody;
    } else if (a == "end") {
      if (stack.empty()) fail(where, "end without a block");
      Open top = std::move(stack.back());
      stack.pop_back();
      if (!top.node) parsed.defines[top.defineName] = std::move(top.defineBody);
    } else if (startsWithWord(a, "template") || startsWithWord(a, "block") ||
               a.find(":=") != std::string::npos) {
      fail(where, "'" + a + "' is outside the template subset this renderer supports");
    } else {
      auto n = std::make_shared<Node>();
      n->kind = Node::Kind::kAction;
      n->where = where;
      n->pipeline = PipelineParser(a, where).parse();
      currentBody().push_back(n);
    }
  }
  if (!stack.empty()) fail(name, "a block is not closed with {{ end }}");
  return parsed;
}

// ---- execution --------------------------------------------------------------------------

class Executor {
 public:
  Executor(const TemplateEngine& engine, YAML::Node root)
      : engine_(engine), root_(std::move(root)) {}

  std::string run(const std::vector<NodePtr>& body, const YAML::Node& dot) {
    std::string out;
    for (const auto& n : body) {
      switch (n->kind) {
        case Node::Kind::kText:
          out += n->text;
          break;
        case Node::Kind::kAction:
          out += printed(eval(n->pipeline, dot, n->where), n->where);
          break;
        case Node::Kind::kRange: {
          YAML::Node list = eval(n->branches.front().first, dot, n->where);
          if (truthy(list) && !list.IsSequence())
            fail(n->where, "range over a value that is not a list");
          if (!truthy(list)) out += run(n->elseBody, dot);
          if (truthy(list)) {
            for (const auto& item : list) out += run(n->branches.front().second, item);
          }
          break;
        }
        case Node::Kind::kIf:
        case Node::Kind::kWith: {
          bool taken = false;
          for (const auto& [cond, branch] : n->branches) {
            YAML::Node value = eval(cond, dot, n->where);
            if (truthy(value)) {
              out += run(branch, n->kind == Node::Kind::kWith ? value : dot);
              taken = true;
              break;
            }
          }
          if (!taken) out += run(n->elseBody, dot);
          break;
        }
      }
    }
    return out;
  }

 private:
  const TemplateEngine& engine_;
  YAML::Node root_;

  YAML::Node field(const YAML::Node& base, const std::vector<std::string>& path,
                   const std::string& where) {
    YAML::Node cur = base;
    for (const auto& key : path) {
      if (!cur.IsDefined() || cur.IsNull()) return YAML::Node();
      if (!cur.IsMap()) fail(where, "field ." + key + " of a value that is not a map");
      YAML::Node next = const_cast<const YAML::Node&>(cur)[key];
      if (!next.IsDefined()) return YAML::Node();
      cur.reset(next);  // rebinds; `=` would overwrite the values tree
    }
    return cur;
  }

  YAML::Node operandValue(const Operand& o, const YAML::Node& dot, const std::string& where) {
    switch (o.kind) {
      case Operand::Kind::kDot:
        return dot;
      case Operand::Kind::kRoot:
        return root_;
      case Operand::Kind::kField:
        return field(o.fromRoot ? root_ : dot, o.path, where);
      case Operand::Kind::kString:
        return stringNode(o.text);
      case Operand::Kind::kNumber:
        return YAML::Node(o.text);
      case Operand::Kind::kSub:
        return eval(*o.sub, dot, where);
      case Operand::Kind::kIdent:
        return call(o.text, {}, dot, where);
    }
    return YAML::Node();
  }

  static int intArg(const YAML::Node& n, const std::string& fn, const std::string& where) {
    if (!n.IsScalar() || typeOf(n) != PlainType::kNumber) fail(where, fn + " needs a number");
    return std::stoi(n.Scalar());
  }

  std::string renderDefine(const std::string& name, const YAML::Node& data,
                           const std::string& where) {
    auto it = engine_.defines_.find(name);
    if (it == engine_.defines_.end()) fail(where, "no template \"" + name + "\" defined");
    Executor inner(engine_, data);
    return inner.run(it->second, data);
  }

  YAML::Node call(const std::string& fn, const std::vector<YAML::Node>& args, const YAML::Node& dot,
                  const std::string& where) {
    auto need = [&](size_t n) {
      if (args.size() != n) {
        fail(where, fn + " takes " + std::to_string(n) + " argument(s), got " +
                        std::to_string(args.size()));
      }
    };
    auto str = [&](const YAML::Node& n) { return printed(n, where); };
    if (fn == "include") {
      need(2);
      return stringNode(renderDefine(str(args[0]), args[1], where));
    }
    if (fn == "tpl") {
      need(2);
      ParsedTemplate parsed = parseTemplate(where + " (tpl)", str(args[0]));
      TemplateEngine scoped = engine_;
      for (auto& [k, v] : parsed.defines) scoped.defines_[k] = v;
      Executor inner(scoped, args[1]);
      return stringNode(inner.run(parsed.body, args[1]));
    }
    if (fn == "toYaml") {
      need(1);
      return stringNode(toYaml(args[0]));
    }
    if (fn == "toJson") {
      need(1);
      return stringNode(toJson(args[0]));
    }
    if (fn == "nindent" || fn == "indent") {
      need(2);
      std::string body = indentLines(intArg(args[0], fn, where), str(args[1]));
      return stringNode(fn == "nindent" ? "\n" + body : body);
    }
    if (fn == "trim") {
      need(1);
      return stringNode(trimmed(str(args[0])));
    }
    if (fn == "quote") {
      need(1);
      return stringNode(quoteJson(str(args[0])));
    }
    if (fn == "default") {
      need(2);
      return truthy(args[1]) ? args[1] : args[0];
    }
    if (fn == "not") {
      need(1);
      return YAML::Node(truthy(args[0]) ? "false" : "true");
    }
    if (fn == "eq") {
      need(2);
      return YAML::Node(str(args[0]) == str(args[1]) ? "true" : "false");
    }
    (void)dot;
    fail(where, "function '" + fn + "' is outside the template subset this renderer supports");
  }

  YAML::Node eval(const Pipeline& p, const YAML::Node& dot, const std::string& where) {
    YAML::Node piped;
    bool havePiped = false;
    for (const auto& c : p.commands) {
      const Operand& head = c.operands.front();
      if (head.kind == Operand::Kind::kIdent) {
        std::vector<YAML::Node> args;
        for (size_t i = 1; i < c.operands.size(); ++i) {
          args.push_back(operandValue(c.operands[i], dot, where));
        }
        if (havePiped) args.push_back(piped);
        piped.reset(call(head.text, args, dot, where));
      } else {
        if (c.operands.size() != 1 || havePiped) {
          fail(where, "only a function can take arguments or a piped value");
        }
        piped.reset(operandValue(head, dot, where));
      }
      havePiped = true;
    }
    return piped;
  }
};

void TemplateEngine::add(ParsedTemplate parsed) {
  for (const auto& [k, v] : parsed.defines) defines_[k] = v;
  templates_[parsed.name] = std::move(parsed);
}

std::string TemplateEngine::render(const std::string& name, const YAML::Node& root) const {
  auto it = templates_.find(name);
  if (it == templates_.end()) throw TemplateError("no template " + name);
  Executor exec(*this, root);
  return exec.run(it->second.body, root);
}

}  // namespace epp::chart
