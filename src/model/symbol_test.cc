#include "model/symbol.h"

#include <gtest/gtest.h>

#include <string>

namespace edgeflow {
namespace {

// Restores the process-wide bound whatever a test does.
class SymbolLimitTest : public ::testing::Test {
 protected:
  void SetUp() override { saved_ = Symbol::MaxNames(); }
  void TearDown() override { Symbol::SetMaxNames(saved_); }
  size_t saved_ = 0;
};

TEST_F(SymbolLimitTest, InternDataRefusesNewNamesOnceTheTableIsFull) {
  const Symbol known = Symbol::Intern("limit-test-known");
  Symbol::SetMaxNames(Symbol::Count() + 2);
  const uint64_t refused = Symbol::Refused();
  EXPECT_FALSE(Symbol::InternData("limit-test-new-1").empty());
  EXPECT_FALSE(Symbol::InternData("limit-test-new-2").empty());
  EXPECT_TRUE(Symbol::InternData("limit-test-new-3").empty());
  EXPECT_EQ(Symbol::Refused(), refused + 1);
  // Known names keep working, and so do names from configuration.
  EXPECT_EQ(Symbol::InternData("limit-test-known"), known);
  EXPECT_EQ(Symbol::InternData("limit-test-new-1").name(), "limit-test-new-1");
  EXPECT_FALSE(Symbol::Intern("limit-test-from-config").empty());
}

}  // namespace
}  // namespace edgeflow
