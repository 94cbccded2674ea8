// The Go-template subset behind eppd-chart-render: trimming, conditionals, includes, and
// Helm's toYaml / toJson / nindent as the chart uses them. Expected texts are what Go's
// text/template with Helm's functions prints for the same input.
#include "tools/chart_render/go_template.h"

#include <gtest/gtest.h>

namespace epp::chart {
namespace {

std::string render(const std::string& text, const std::string& valuesYaml,
                   const std::string& helpers = "") {
  TemplateEngine engine;
  if (!helpers.empty()) engine.add(parseTemplate("_helpers.tpl", helpers));
  engine.add(parseTemplate("t.yaml", text));
  YAML::Node root(YAML::NodeType::Map);
  root["Values"] = YAML::Load(valuesYaml);
  YAML::Node release(YAML::NodeType::Map);
  release["Name"] = "rel";
  root["Release"] = release;
  return engine.render("t.yaml", root);
}

TEST(GoTemplateTest, SubstitutesFieldsAndTrimsWhitespace) {
  EXPECT_EQ(render("replicas: {{ .Values.n }}\nname: {{ .Release.Name }}-x\n", "n: 2"),
            "replicas: 2\nname: rel-x\n");
  EXPECT_EQ(render("a:\n  {{- \" b\" }}\n{{- /* gone */}}\nc: {{ .Values.missing }}\n", "n: 1"),
            "a: b\nc: \n");
  EXPECT_EQ(render("x: {{ .Values.s -}}   \n  y\n", "s: v"), "x: vy\n");
}

TEST(GoTemplateTest, IfElseAndWithFollowGoTruthiness) {
  const std::string t =
      "{{- if .Values.on }}on{{ else if .Values.alt }}alt{{ else }}off{{ end }}"
      "{{- with .Values.m }} k={{ .k }}{{ end }}";
  EXPECT_EQ(render(t, "on: true\nm: {k: v}"), "on k=v");
  EXPECT_EQ(render(t, "on: false\nalt: 1\nm: {}"), "alt");
  EXPECT_EQ(render(t, "on: 0\nalt: \"\""), "off");
  // A quoted "false" is a non-empty string: true, as in Go.
  EXPECT_EQ(render(t, "on: \"false\""), "on");
  EXPECT_EQ(render("{{ if not .Values.a }}no{{ end }}{{ if eq .Values.b \"x\" }}eq{{ end }}",
                   "a: false\nb: x"),
            "noeq");
}

TEST(GoTemplateTest, RangeBindsDotToEachItem) {
  const std::string t =
      "ports:\n{{- range .Values.p }}\n- number: {{ . }}\n{{- else }} []{{- end }}\n";
  EXPECT_EQ(render(t, "p: [8000, 8001]"), "ports:\n- number: 8000\n- number: 8001\n");
  EXPECT_EQ(render(t, "p: []"), "ports: []\n");
}

TEST(GoTemplateTest, IncludeAndTplSeeDefinesAndTheirOwnDot) {
  const std::string helpers =
      "{{- define \"name\" -}}{{ .Release.Name }}-eppd{{- end }}\n"
      "{{- define \"labels\" -}}\napp: {{ include \"name\" . }}\ntier: x\n{{- end }}\n";
  EXPECT_EQ(render("metadata:\n  labels:\n    {{- include \"labels\" . | nindent 4 }}\n", "a: 1",
                   helpers),
            "metadata:\n  labels:\n    app: rel-eppd\n    tier: x\n");
  EXPECT_EQ(render("{{ tpl .Values.cfg $ }}", "cfg: 'ns: {{ .Release.Name }}'"), "ns: rel");
  EXPECT_EQ(
      render("{{ .Values.a | default \"d\" }} {{ .Values.b | default \"d\" }}", "a: set\nb: \"\""),
      "set d");
}

TEST(GoTemplateTest, ToYamlSortsKeysAndKeepsListsUnderTheirKey) {
  YAML::Node v = YAML::Load(R"(
resources:
  requests: {memory: 256Mi, cpu: 500m}
args: [--x, "8000", 9]
empty: {}
items:
- name: a
  ports: [{number: 1}]
- plain
str: "true"
)");
  EXPECT_EQ(toYaml(v),
            "args:\n"
            "- --x\n"
            "- \"8000\"\n"
            "- 9\n"
            "empty: {}\n"
            "items:\n"
            "- name: a\n"
            "  ports:\n"
            "  - number: 1\n"
            "- plain\n"
            "resources:\n"
            "  requests:\n"
            "    cpu: 500m\n"
            "    memory: 256Mi\n"
            "str: \"true\"");
  EXPECT_EQ(toJson(v["items"]), R"([{"name":"a","ports":[{"number":1}]},"plain"])");
  EXPECT_EQ(toJson(YAML::Load("{b: true, a: \"1\", c: x}")), R"({"a":"1","b":true,"c":"x"})");
  EXPECT_EQ(render("x:\n{{- toYaml .Values | nindent 2 }}\n", "{k: [1, 2]}"),
            "x:\n  k:\n  - 1\n  - 2\n");
}

TEST(GoTemplateTest, RejectsWhatItDoesNotImplementWithTheLine) {
  try {
    render("a\n{{ range $i, $p := .Values.l }}x{{ end }}", "l: [1]");
    FAIL() << "range with variables accepted";
  } catch (const TemplateError& e) {
    EXPECT_STREQ(e.what(),
                 "t.yaml:2: 'range $i, $p := .Values.l': variables are outside the template "
                 "subset this renderer supports");
  }
  EXPECT_THROW(render("{{ .Values.a | upper }}", "a: b"), TemplateError);
  EXPECT_THROW(render("{{ if .Values.a }}x", "a: b"), TemplateError);
  EXPECT_THROW(render("{{ .Values.m }}", "m: {a: 1}"), TemplateError);  // a map needs toYaml
}

}  // namespace
}  // namespace epp::chart
