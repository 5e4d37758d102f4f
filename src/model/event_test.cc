#include "model/event.h"

#include <gtest/gtest.h>

#include "model/batch.h"

namespace edgeflow {
namespace {

TEST(SymbolTest, InterningIsStableAndDistinct) {
  const Symbol a = Symbol::Intern("temperature");
  EXPECT_EQ(a, Symbol::Intern("temperature"));
  EXPECT_NE(a, Symbol::Intern("pressure"));
  EXPECT_EQ(a.name(), "temperature");
  EXPECT_TRUE(Symbol::Intern("").empty());
  EXPECT_EQ(Symbol::Find("never-interned-name-xyz"), Symbol());
}

TEST(EventTest, SetFindRemoveRename) {
  Event e;
  const Symbol t = Symbol::Intern("t"), p = Symbol::Intern("p"), q = Symbol::Intern("q");
  e.SetDouble(t, 1.5);
  e.SetInt(p, 3);
  e.SetDouble(t, 2.5);  // replaces
  ASSERT_EQ(e.fields().size(), 2u);
  EXPECT_EQ(*e.Number(t), 2.5);
  EXPECT_TRUE(e.Rename(p, q));
  EXPECT_EQ(e.Find(p), nullptr);
  EXPECT_EQ(e.Find(q)->i, 3);
  EXPECT_TRUE(e.Remove(t));
  EXPECT_FALSE(e.Remove(t));
  EXPECT_EQ(e.fields().size(), 1u);
}

TEST(EventTest, StringsLiveInTheEventAndSurviveCopies) {
  Event a;
  const Symbol s = Symbol::Intern("status");
  a.SetString(s, "running");
  a.SetTag(Symbol::Intern("site"), "plant-1");
  Event b;
  b.CopyFrom(a);
  a.Clear();
  EXPECT_EQ(b.Text(*b.Find(s)), "running");
  EXPECT_EQ(*b.Tag(Symbol::Intern("site")), "plant-1");
}

TEST(EventTest, SetFromCopiesStringsBetweenEvents) {
  Event a, b;
  const Symbol s = Symbol::Intern("s");
  a.SetString(s, "hello");
  b.SetFrom(s, *a.Find(s), a);
  b.SetFrom(Symbol::Intern("s2"), *b.Find(s), b);  // self-copy
  EXPECT_EQ(b.Text(*b.Find(s)), "hello");
  EXPECT_EQ(b.Text(*b.Find(Symbol::Intern("s2"))), "hello");
}

TEST(BatchTest, ReusesEventsAndRetainsInOrder) {
  Batch batch;
  const Symbol v = Symbol::Intern("v");
  for (int i = 0; i < 10; ++i) batch.Append().SetInt(v, i);
  batch.Retain([&](const Event& e) { return e.Find(v)->i % 3 == 0; });
  ASSERT_EQ(batch.size(), 4u);
  EXPECT_EQ(batch[0].Find(v)->i, 0);
  EXPECT_EQ(batch[3].Find(v)->i, 9);
  batch.Clear();
  Event& reused = batch.Append();
  EXPECT_TRUE(reused.fields().empty());  // cleared on reuse
}

}  // namespace
}  // namespace edgeflow
