#pragma once

// Test support shared by the ordering policies' tests: sorts a shuffled set of queued
// requests with the policy's `less` through the fake host and checks that `less` is a
// strict weak order on that set.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "epp/testing/fake_host.h"

namespace epp::plugins::ordering_test {

// Sequences of `items` in the order the policy dispatches them (front first). The input
// is shuffled with a fixed seed first so the result cannot depend on the input order.
inline std::vector<uint64_t> dispatchOrder(testing::FakeInstance& policy,
                                           std::vector<epp_queued_request> items,
                                           uint32_t seed = 7) {
  std::mt19937 rng(seed);
  std::shuffle(items.begin(), items.end(), rng);
  std::vector<const epp_queued_request*> ptrs;
  for (const auto& q : items) ptrs.push_back(&q);
  std::sort(ptrs.begin(), ptrs.end(),
            [&](const epp_queued_request* a, const epp_queued_request* b) {
              return policy.less(*a, *b);
            });
  std::vector<uint64_t> order;
  for (const auto* q : ptrs) order.push_back(q->sequence);
  return order;
}

// Irreflexive, asymmetric, transitive, and incomparability is transitive, on every
// pair/triple of `items`.
inline void expectStrictWeakOrder(testing::FakeInstance& policy,
                                  const std::vector<epp_queued_request>& items) {
  const size_t n = items.size();
  auto less = [&](size_t i, size_t j) { return policy.less(items[i], items[j]); };
  auto equiv = [&](size_t i, size_t j) { return !less(i, j) && !less(j, i); };
  for (size_t i = 0; i < n; ++i) {
    EXPECT_FALSE(less(i, i)) << "less(x, x) for sequence " << items[i].sequence;
    for (size_t j = 0; j < n; ++j) {
      if (less(i, j)) {
        EXPECT_FALSE(less(j, i)) << "not asymmetric: " << items[i].sequence << ", "
                                 << items[j].sequence;
      }
      for (size_t k = 0; k < n; ++k) {
        if (less(i, j) && less(j, k)) {
          EXPECT_TRUE(less(i, k)) << "not transitive";
        }
        if (equiv(i, j) && equiv(j, k)) {
          EXPECT_TRUE(equiv(i, k)) << "equivalence not transitive";
        }
      }
    }
  }
}

}  // namespace epp::plugins::ordering_test
