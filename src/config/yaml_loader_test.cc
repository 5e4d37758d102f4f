#include "config/yaml_loader.h"

#include <gtest/gtest.h>

#include <map>

namespace edgeflow {
namespace {

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(YamlLoaderTest, SubstitutesUpperCaseEnvironmentVariables) {
  Diagnostics d;
  const std::string out = SubstituteEnv("url: ${BROKER}:${PORT:-1883}/x", "f", FakeEnv({{"BROKER", "h"}}), &d);
  EXPECT_EQ(out, "url: h:1883/x");
  EXPECT_FALSE(d.has_errors());
}

TEST(YamlLoaderTest, LeavesFieldTemplatesAndEscapesAlone) {
  Diagnostics d;
  EXPECT_EQ(SubstituteEnv("topic: f/${device}/cmd $${HOME}", "f", FakeEnv({}), &d), "topic: f/${device}/cmd ${HOME}");
  EXPECT_FALSE(d.has_errors());
}

TEST(YamlLoaderTest, ReportsUnsetVariableAtItsPosition) {
  Diagnostics d;
  SubstituteEnv("a: 1\nb: x${MISSING_VAR}\n", "p.yaml", FakeEnv({}), &d);
  ASSERT_EQ(d.items().size(), 1u);
  EXPECT_EQ(d.items()[0].line, 2);
  EXPECT_EQ(d.items()[0].column, 5);
  EXPECT_NE(d.items()[0].message.find("MISSING_VAR"), std::string::npos);
}

TEST(YamlLoaderTest, ReportsSyntaxErrorsWithLineAndColumn) {
  Diagnostics d;
  auto loaded = LoadYamlText("sources:\n  - {type: sim\n", "p.yaml", FakeEnv({}), &d);
  EXPECT_FALSE(loaded.has_value());
  ASSERT_TRUE(d.has_errors());
  EXPECT_NE(d.ToString().find("p.yaml:"), std::string::npos);
  EXPECT_NE(d.ToString().find("YAML syntax error"), std::string::npos);
}

TEST(YamlLoaderTest, ConfigNodeErrorsCarryFileLineColumnAndPath) {
  Diagnostics d;
  auto loaded = LoadYamlText("stages:\n  - window:\n      size: 10 parsecs\n", "p.yaml", FakeEnv({}), &d);
  ASSERT_TRUE(loaded.has_value());
  ConfigNode size = loaded->Root(&d)["stages"].At(0)["window"]["size"];
  EXPECT_EQ(size.Duration(5), 5);
  ASSERT_EQ(d.items().size(), 1u);
  EXPECT_EQ(d.items()[0].ToString().substr(0, 42), "p.yaml:3:13: stages[0].window.size: bad du");
}

TEST(YamlLoaderTest, CheckKeysSuggestsTheClosestKey) {
  Diagnostics d;
  auto loaded = LoadYamlText("size: 1s\nsise: 2s\n", "p.yaml", FakeEnv({}), &d);
  loaded->Root(&d).CheckKeys({"size", "hop"});
  ASSERT_EQ(d.items().size(), 1u);
  EXPECT_EQ(d.items()[0].message, "unknown key 'sise'");
  EXPECT_EQ(d.items()[0].hint, "did you mean 'size'?");
  EXPECT_EQ(d.items()[0].line, 2);
}

TEST(YamlLoaderTest, TypedGettersRejectWrongTypes) {
  Diagnostics d;
  auto loaded = LoadYamlText("n: abc\nb: maybe\nl: [1, [2]]\ne: purple\n", "p.yaml", FakeEnv({}), &d);
  ConfigNode root = loaded->Root(&d);
  EXPECT_EQ(root["n"].Int(7), 7);
  EXPECT_EQ(root["b"].Bool(true), true);
  root["l"].StringList();
  EXPECT_EQ(root["e"].Enum("red", {"red", "green"}), "red");
  EXPECT_EQ(root["absent"].Double(1.5), 1.5);
  EXPECT_EQ(d.items().size(), 4u) << d.ToString();
}

}  // namespace
}  // namespace edgeflow
