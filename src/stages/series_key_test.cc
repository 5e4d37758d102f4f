#include "stages/series_key.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <memory>

namespace edgeflow {
namespace {

// Parses `yaml` as a stage config and returns the key from cfg[option].
struct Parsed {
  SeriesKey key;
  std::string errors;
};
Parsed ParseKey(const std::string& yaml, const std::string& option, Schema input = {}) {
  Diagnostics diagnostics;
  ConfigNode config(YAML::Load(yaml), "test", std::make_shared<const std::string>("<test>"), &diagnostics);
  BuildContext ctx{config, {}, std::move(input), {}, nullptr};
  Parsed p{SeriesKey::Parse(ctx, config, option), ""};
  p.errors = diagnostics.ToString();
  return p;
}

Event MakeEvent() {
  Event e;
  e.device = Symbol::Intern("pump-1");
  e.SetString(Symbol::Intern("zone"), "north");
  e.SetDouble(Symbol::Intern("line"), 2.5);
  e.SetTag(Symbol::Intern("site"), "plant-a");
  return e;
}

TEST(SeriesKeyTest, DefaultsToTheDeviceAlone) {
  const Parsed p = ParseKey("{ field: v }", "key_by");
  EXPECT_TRUE(p.errors.empty()) << p.errors;
  EXPECT_TRUE(p.key.device_only());
  std::string out = "stale";
  p.key.Encode(MakeEvent(), out);
  EXPECT_EQ(out, "pump-1\x1f");
}

TEST(SeriesKeyTest, EncodesDeviceTagsAndFieldsInOrder) {
  const Parsed p = ParseKey("{ key: [tags.site, zone, device, line, missing] }", "key");
  EXPECT_TRUE(p.errors.empty()) << p.errors;
  EXPECT_FALSE(p.key.device_only());
  ASSERT_EQ(p.key.parts().size(), 5u);
  EXPECT_EQ(p.key.parts()[0].kind, SeriesKeyPart::Kind::kTag);
  EXPECT_EQ(p.key.parts()[0].name.name(), "site");
  std::string out;
  p.key.Encode(MakeEvent(), out);
  // A missing field is an empty part, so keys stay aligned.
  EXPECT_EQ(out, std::string("plant-a\x1fnorth\x1fpump-1\x1f") + "2.5\x1f\x1f");
}

TEST(SeriesKeyTest, ReportsAnEmptyListAndUnknownFields) {
  EXPECT_NE(ParseKey("{ key_by: [] }", "key_by").errors.find("list at least one key"), std::string::npos);
  Schema known;
  known.known = true;
  known.fields = {"zone", "temperature"};
  const std::string errors = ParseKey("{ key_by: [zome] }", "key_by", known).errors;
  EXPECT_NE(errors.find("unknown field 'zome'"), std::string::npos) << errors;
  EXPECT_NE(errors.find("did you mean 'zone'"), std::string::npos) << errors;
}

}  // namespace
}  // namespace edgeflow
