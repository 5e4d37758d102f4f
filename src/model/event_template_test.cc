#include "model/event_template.h"

#include <gtest/gtest.h>

namespace edgeflow {
namespace {

TEST(EventTemplateTest, RendersDeviceTimeAndFields) {
  Event e;
  e.device = Symbol::Intern("press-1");
  e.time = 0;
  e.SetDouble(Symbol::Intern("rms"), 1.25);
  e.SetString(Symbol::Intern("line"), "l7");
  e.SetBool(Symbol::Intern("on"), true);
  const EventTemplate t = EventTemplate::Parse("f/${line}/${device}/${rms}/${on}@${time}");
  std::string out;
  EXPECT_TRUE(t.Render(e, out));
  EXPECT_EQ(out, "f/l7/press-1/1.25/true@1970-01-01T00:00:00Z");
  EXPECT_TRUE(t.has_placeholders());
}

TEST(EventTemplateTest, MissingFieldsAreReported) {
  Event e;
  e.device = Symbol::Intern("d");
  std::string out;
  EXPECT_FALSE(EventTemplate::Parse("a/${nope}/b").Render(e, out, "?"));
  EXPECT_EQ(out, "a/?/b");
  out.clear();
  const EventTemplate constant = EventTemplate::Parse("plain/${unclosed");
  EXPECT_TRUE(constant.Render(e, out));
  EXPECT_EQ(out, "plain/${unclosed");
  EXPECT_FALSE(constant.has_placeholders());
}

}  // namespace
}  // namespace edgeflow
