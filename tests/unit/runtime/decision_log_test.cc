// The /decisions ring: newest first, bounded, the oldest replaced once full.
#include "host/runtime/decision_log.h"

#include <gtest/gtest.h>

namespace epp::runtime {
namespace {

DecisionRecord record(int i) {
  DecisionRecord r;
  r.requestId = "r" + std::to_string(i);
  return r;
}

std::vector<std::string> ids(const std::vector<DecisionRecord>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(r.requestId);
  return out;
}

TEST(DecisionLogTest, NewestFirstBeforeAndAfterTheRingFills) {
  DecisionLog log(3);
  EXPECT_TRUE(log.last(5).empty());
  log.add(record(1));
  log.add(record(2));
  EXPECT_EQ(ids(log.last(5)), (std::vector<std::string>{"r2", "r1"}));
  log.add(record(3));
  EXPECT_EQ(ids(log.last(5)), (std::vector<std::string>{"r3", "r2", "r1"}));
  for (int i = 4; i <= 8; ++i) {
    log.add(record(i));
    EXPECT_EQ(ids(log.last(5)),
              (std::vector<std::string>{"r" + std::to_string(i), "r" + std::to_string(i - 1),
                                        "r" + std::to_string(i - 2)}));
  }
  EXPECT_EQ(ids(log.last(2)), (std::vector<std::string>{"r8", "r7"}));
}

TEST(DecisionLogTest, CapacityZeroKeepsNothing) {
  DecisionLog log(0);
  EXPECT_FALSE(log.enabled());
  log.add(record(1));
  EXPECT_TRUE(log.last(1).empty());
}

}  // namespace
}  // namespace epp::runtime
