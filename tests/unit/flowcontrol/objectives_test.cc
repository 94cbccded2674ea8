#include "host/flowcontrol/objectives.h"

#include <gtest/gtest.h>

namespace epp::flowcontrol {
namespace {

TEST(ObjectivesTest, KnownNamesGiveTheirPriorityOthersZero) {
  Objectives table({{.name = "batch", .priority = -1}, {.name = "critical", .priority = 100}});
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(table.lookup("batch").priority, -1);
  EXPECT_TRUE(table.lookup("batch").known);
  EXPECT_EQ(table.lookup("critical").priority, 100);
  EXPECT_EQ(table.lookup("Batch").priority, 0);  // names are case-sensitive
  EXPECT_FALSE(table.lookup("Batch").known);
  EXPECT_EQ(table.lookup("").priority, 0);
  EXPECT_TRUE(isSheddable(-1));
  EXPECT_FALSE(isSheddable(0));
  EXPECT_EQ(Objectives().lookup("batch").priority, 0);
}

}  // namespace
}  // namespace epp::flowcontrol
