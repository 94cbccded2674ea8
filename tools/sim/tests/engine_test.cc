// The engine's timing, queueing, cache, LoRA and determinism, checked against values
// computed by hand from the options (jitter 0 unless a test says otherwise).
#include "tools/sim/engine/engine.h"

#include <gtest/gtest.h>

#include <string>

#include "tools/sim/tests/engine_test_support.h"

namespace epp::sim {
namespace {

using testing::RecordingSink;
using testing::runToIdle;
using testing::submitAt;
using testing::text;

// Step cost: 10 ms + 1 ms × sequences (+ 2 ms + 10 µs × prefill tokens when prefilling).
EngineOptions testOptions() {
  EngineOptions o;
  o.maxNumSeqs = 8;
  o.maxNumBatchedTokens = 4096;
  o.maxModelLen = 8192;
  o.numBlocks = 1000;
  o.blockSize = 16;
  o.maxLoras = 1;
  o.loraLoadUs = 50'000;
  o.decodeBaseUs = 10'000;
  o.decodePerSeqUs = 1'000;
  o.prefillOverheadUs = 2'000;
  o.prefillPerTokenUs = 10;
  return o;
}

TEST(SimEngine, SingleRequestTimeline) {
  Engine engine(testOptions());
  RecordingSink sink;
  std::string prompt = text(640, 1);  // 160 tokens
  ASSERT_TRUE(submitAt(engine, sink, 0, 1, prompt, 5).accepted());
  EXPECT_EQ(engine.nextEventTime(), 0);  // work waits to be scheduled now
  runToIdle(engine, sink);

  // Prefill step: 10000 + 1000 + 2000 + 160 × 10 = 14600 µs; then 4 decode steps of 11000.
  EXPECT_EQ(sink.firstToken.at(1), 14'600);
  EXPECT_EQ(sink.tokenTimes.at(1), (std::vector<Micros>{14'600, 25'600, 36'600, 47'600, 58'600}));
  const FinishInfo& f = sink.finished.at(1);
  EXPECT_EQ(f.promptTokens, 160);
  EXPECT_EQ(f.cachedPromptTokens, 0);
  EXPECT_EQ(f.outputTokens, 5);
  EXPECT_EQ(f.ttft(), 14'600);
  EXPECT_EQ(f.e2e(), 58'600);
  EXPECT_EQ(f.queueTime(), 0);

  EngineMetrics m = engine.metrics();
  EXPECT_EQ(m.ttft.count(), 1u);
  EXPECT_DOUBLE_EQ(m.ttft.sum(), 0.0146);
  EXPECT_EQ(m.itl.count(), 4u);
  EXPECT_NEAR(m.itl.sum(), 0.044, 1e-12);
  EXPECT_EQ(m.itl.cumulative(0), 0u);  // 11 ms > 10 ms bound
  EXPECT_EQ(m.itl.cumulative(1), 4u);  // ≤ 25 ms
  EXPECT_EQ(m.e2e.count(), 1u);
  EXPECT_EQ(m.promptTokens, 160u);
  EXPECT_EQ(m.prefillTokens, 160u);
  EXPECT_EQ(m.generationTokens, 5u);
  EXPECT_EQ(m.requestsFinished, 1u);
  EXPECT_EQ(m.steps, 5u);
  EXPECT_EQ(m.prefillBusyUs, 3'600);
  EXPECT_EQ(m.decodeBusyUs, 55'000);
  EXPECT_FALSE(engine.nextEventTime().has_value());
}

TEST(SimEngine, PrefixHitCutsTtftByPerTokenCostOfCachedTokens) {
  Engine engine(testOptions());
  RecordingSink sink;
  const std::string prompt = text(1600, 7);  // 400 tokens = 25 blocks
  ASSERT_TRUE(submitAt(engine, sink, 0, 1, prompt, 2).accepted());
  runToIdle(engine, sink);
  const Micros coldTtft = sink.finished.at(1).ttft();
  EXPECT_EQ(coldTtft, 10'000 + 1'000 + 2'000 + 400 * 10);

  // The same prompt again: 24 blocks hit (the last token is always computed), so 384
  // tokens are cached and 16 prefilled.
  const Micros t1 = engine.now() + 1'000;
  ASSERT_TRUE(submitAt(engine, sink, t1, 2, prompt, 2).accepted());
  runToIdle(engine, sink);
  EXPECT_EQ(sink.firstTokenCached.at(2), 384);
  EXPECT_EQ(sink.finished.at(2).ttft(), coldTtft - 384 * 10);

  // A prompt sharing its first 20 blocks (1280 characters) hits 320 tokens.
  const std::string shared = prompt.substr(0, 1280) + text(320, 99);
  const Micros t2 = engine.now() + 1'000;
  ASSERT_TRUE(submitAt(engine, sink, t2, 3, shared, 2).accepted());
  runToIdle(engine, sink);
  EXPECT_EQ(sink.firstTokenCached.at(3), 320);
  EXPECT_EQ(sink.finished.at(3).ttft(), coldTtft - 320 * 10);

  // The same text for a LoRA adapter hashes differently: no hit.
  const Micros t3 = engine.now() + 1'000;
  ASSERT_TRUE(submitAt(engine, sink, t3, 4, prompt, 2, "adapter").accepted());
  runToIdle(engine, sink);
  EXPECT_EQ(sink.firstTokenCached.at(4), 0);

  EngineMetrics m = engine.metrics();
  EXPECT_EQ(m.prefixQueryTokens, 400u * 4);
  EXPECT_EQ(m.prefixHitTokens, 384u + 320u);
}

TEST(SimEngine, QueuesWhenMaxNumSeqsIsReached) {
  EngineOptions o = testOptions();
  o.maxNumSeqs = 2;
  Engine engine(o);
  RecordingSink sink;
  const std::string a = text(64, 1), b = text(64, 2), c = text(64, 3);  // 16 tokens each
  ASSERT_TRUE(submitAt(engine, sink, 0, 1, a, 10).accepted());
  ASSERT_TRUE(submitAt(engine, sink, 0, 2, b, 10).accepted());
  ASSERT_TRUE(submitAt(engine, sink, 0, 3, c, 10).accepted());
  engine.advanceTo(1, sink);  // the first step is in flight
  EngineMetrics m = engine.metrics();
  EXPECT_EQ(m.running, 2);
  EXPECT_EQ(m.waiting, 1);
  runToIdle(engine, sink);
  // Request 3 starts only in the step after 1 and 2 finish together.
  const Micros doneTwo = sink.finished.at(1).finished;
  EXPECT_EQ(sink.finished.at(2).finished, doneTwo);
  EXPECT_EQ(sink.finished.at(3).firstScheduled, doneTwo);
  EXPECT_EQ(sink.finished.at(3).queueTime(), doneTwo);
  // Two sequences: prefill step 10000 + 2000 + 2000 + 32 × 10, then 9 steps of 12000.
  EXPECT_EQ(doneTwo, 14'320 + 9 * 12'000);
}

TEST(SimEngine, QueuesWhenKvCacheIsFullAndReportsUsage) {
  EngineOptions o = testOptions();
  o.numBlocks = 40;  // 640 tokens
  Engine engine(o);
  RecordingSink sink;
  const std::string p1 = text(1600, 1), p2 = text(1600, 2);  // 400 tokens = 25 blocks each
  ASSERT_TRUE(submitAt(engine, sink, 0, 1, p1, 20).accepted());
  ASSERT_TRUE(submitAt(engine, sink, 0, 2, p2, 20).accepted());
  engine.advanceTo(1, sink);
  EngineMetrics m = engine.metrics();
  EXPECT_EQ(m.running, 1);
  EXPECT_EQ(m.waiting, 1);  // 25 more blocks do not fit in the 15 left
  EXPECT_EQ(m.usedBlocks, 25);
  EXPECT_DOUBLE_EQ(m.kvUsage, 25.0 / 40);
  // The prefill step ends at 10000 + 1000 + 2000 + 4000; the decode step planned then
  // computes token 401, which needs a 26th block.
  engine.advanceTo(17'000, sink);
  EXPECT_EQ(sink.firstToken.at(1), 17'000);
  EXPECT_EQ(engine.metrics().usedBlocks, 26);
  runToIdle(engine, sink);
  EXPECT_EQ(sink.finished.at(2).firstScheduled, sink.finished.at(1).finished);
  m = engine.metrics();
  EXPECT_EQ(m.usedBlocks, 0);
  EXPECT_DOUBLE_EQ(m.kvUsage, 0.0);
  EXPECT_EQ(m.running, 0);
  EXPECT_EQ(m.waiting, 0);
  // Request 2's 25 prompt blocks stay cached; of request 1's, those not reused for 2.
  EXPECT_GE(m.cachedBlocks, 25);
  EXPECT_EQ(m.numBlocks, 40);
  EXPECT_EQ(m.blockSize, 16);
}

TEST(SimEngine, InterTokenLatencyGrowsWithBatchSize) {
  Engine engine(testOptions());
  RecordingSink sink;
  std::vector<std::string> prompts;
  for (int i = 0; i < 8; ++i) prompts.push_back(text(64, 100 + i));
  ASSERT_TRUE(submitAt(engine, sink, 0, 1, prompts[0], 3).accepted());
  runToIdle(engine, sink);
  auto& solo = sink.tokenTimes.at(1);
  EXPECT_EQ(solo[2] - solo[1], 11'000);  // 10 ms + 1 ms × 1 sequence

  const Micros t = engine.now() + 1;
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(submitAt(engine, sink, t, 10 + i, prompts[static_cast<size_t>(i)], 3).accepted());
  }
  runToIdle(engine, sink);
  auto& batched = sink.tokenTimes.at(10);
  EXPECT_EQ(batched[2] - batched[1], 18'000);  // 10 ms + 1 ms × 8 sequences
  EXPECT_EQ(sink.tokenTimes.at(17), batched);  // all eight step together
}

TEST(SimEngine, OverloadCollapsesIntoAGrowingQueue) {
  EngineOptions o = testOptions();
  o.maxNumSeqs = 4;
  Engine engine(o);
  RecordingSink sink;
  std::vector<std::string> prompts;
  for (int i = 0; i < 200; ++i) prompts.push_back(text(400, i));
  // One request every 10 ms, each holding a slot for 50 steps of ≥ 14 ms: capacity is
  // about 4 / 0.7 s ≈ 6 req/s against 100 req/s offered.
  std::vector<int32_t> waitingSeen;
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(submitAt(engine, sink, i * 10'000, static_cast<uint64_t>(i),
                         prompts[static_cast<size_t>(i)], 50)
                    .accepted());
    if (i % 50 == 49) waitingSeen.push_back(engine.metrics().waiting);
  }
  ASSERT_EQ(waitingSeen.size(), 4u);
  for (size_t k = 1; k < waitingSeen.size(); ++k) EXPECT_GT(waitingSeen[k], waitingSeen[k - 1]);
  EXPECT_GE(waitingSeen.back(), 180);
  EXPECT_EQ(engine.metrics().running, 4);
  runToIdle(engine, sink);
  ASSERT_EQ(sink.finished.size(), 200u);
  // The last arrival waits behind everything: its TTFT is orders above the first's.
  EXPECT_GT(sink.finished.at(199).ttft(), 100 * sink.finished.at(0).ttft());
}

TEST(SimEngine, LoraSlotsDeferAndChargeLoadTime) {
  Engine engine(testOptions());  // maxLoras 1, 50 ms to load
  RecordingSink sink;
  const std::string p = text(64, 5);  // 16 tokens
  ASSERT_TRUE(submitAt(engine, sink, 0, 1, p, 4, "a").accepted());
  ASSERT_TRUE(submitAt(engine, sink, 0, 2, p, 4, "b").accepted());
  ASSERT_TRUE(submitAt(engine, sink, 0, 3, text(64, 6), 4, "a").accepted());
  engine.advanceTo(1, sink);
  EngineMetrics m = engine.metrics();
  EXPECT_EQ(m.running, 2);  // 1 and 3 share adapter a; 2 waits for a slot
  EXPECT_EQ(m.waiting, 1);
  EXPECT_EQ(m.waitingDeferred, 1);
  EXPECT_EQ(m.runningLoras, std::vector<std::string>{"a"});
  EXPECT_EQ(m.waitingLoras, std::vector<std::string>{"b"});
  EXPECT_EQ(m.maxLoras, 1);
  runToIdle(engine, sink);

  // First step: 10000 + 2 × 1000 + 2000 + 32 × 10 + 50000 (loading a).
  EXPECT_EQ(sink.finished.at(1).ttft(), 64'320);
  EXPECT_EQ(sink.finished.at(3).ttft(), 64'320);
  // b is loaded (evicting idle a) in the step after a's requests finish.
  const Micros aDone = sink.finished.at(1).finished;
  EXPECT_EQ(sink.finished.at(2).firstScheduled, aDone);
  EXPECT_EQ(sink.finished.at(2).firstToken - aDone, 10'000 + 1'000 + 2'000 + 160 + 50'000);
  EXPECT_EQ(engine.metrics().loraLoads, 2u);

  // a again: b is idle, a is loaded in its place and pays the load time again.
  const Micros t = engine.now() + 1;
  ASSERT_TRUE(submitAt(engine, sink, t, 4, p, 2, "a").accepted());
  runToIdle(engine, sink);
  EXPECT_EQ(sink.finished.at(4).ttft(), 10'000 + 1'000 + 2'000 + 160 + 50'000);
  EXPECT_EQ(engine.metrics().loraLoads, 3u);
}

TEST(SimEngine, ChunkedPrefillSpreadsALongPromptOverSteps) {
  EngineOptions o = testOptions();
  o.maxNumBatchedTokens = 256;
  Engine engine(o);
  RecordingSink sink;
  const std::string p = text(4000, 3);  // 1000 tokens: chunks of 256, 256, 256, 232
  ASSERT_TRUE(submitAt(engine, sink, 0, 1, p, 1).accepted());
  runToIdle(engine, sink);
  const Micros expected = 4 * (10'000 + 1'000 + 2'000) + 1000 * 10;
  EXPECT_EQ(sink.finished.at(1).ttft(), expected);
  EXPECT_EQ(engine.metrics().steps, 4u);
  EXPECT_EQ(engine.metrics().maxStepTokens, 256);
}

TEST(SimEngine, PreemptionRecomputesAndEveryRequestFinishes) {
  EngineOptions o = testOptions();
  o.numBlocks = 30;  // 480 tokens
  Engine engine(o);
  RecordingSink sink;
  // Two 160-token prompts (10 blocks each) that grow by 150 tokens: together they need
  // 2 × 20 blocks, so the later one is preempted once the cache runs out.
  const std::string a = text(640, 1), b = text(640, 2);
  ASSERT_TRUE(submitAt(engine, sink, 0, 1, a, 150).accepted());
  ASSERT_TRUE(submitAt(engine, sink, 0, 2, b, 150).accepted());
  runToIdle(engine, sink);
  ASSERT_EQ(sink.finished.size(), 2u);
  EXPECT_EQ(sink.finished.at(1).outputTokens, 150);
  EXPECT_EQ(sink.finished.at(2).outputTokens, 150);
  EXPECT_EQ(sink.finished.at(1).preemptions, 0);
  EXPECT_GE(sink.finished.at(2).preemptions, 1);
  EXPECT_GE(engine.metrics().preemptions, 1u);
  // Token counts arrive in order, one per step, with no repeats after a recompute.
  std::vector<int32_t> totals;
  for (auto& e : sink.tokens) {
    if (e.id == 2) totals.push_back(e.total);
  }
  ASSERT_EQ(totals.size(), 150u);
  for (size_t i = 0; i < totals.size(); ++i) EXPECT_EQ(totals[i], static_cast<int32_t>(i + 1));
  EXPECT_EQ(engine.metrics().usedBlocks, 0);
}

TEST(SimEngine, RejectsWhatCanNeverRun) {
  EngineOptions o = testOptions();
  o.maxModelLen = 1000;
  o.numBlocks = 50;  // 800 tokens
  o.maxWaiting = 1;
  o.maxLoras = 0;
  Engine engine(o);
  RecordingSink sink;
  SubmitResult tooLong = submitAt(engine, sink, 0, 1, text(4000, 1), 10);  // 1000 + 10
  EXPECT_EQ(tooLong.reason, RejectReason::kTooLong);
  EXPECT_NE(tooLong.message.find("maximum context length is 1000 tokens"), std::string::npos);
  EXPECT_NE(tooLong.message.find("1010 tokens (1000 in the messages, 10 in the completion)"),
            std::string::npos);
  EXPECT_EQ(submitAt(engine, sink, 0, 2, text(3600, 1), 10).reason,
            RejectReason::kExceedsKvCapacity);  // 910 tokens > 800
  EXPECT_EQ(submitAt(engine, sink, 0, 3, "hi", 10, "x").reason, RejectReason::kLoraDisabled);
  EXPECT_EQ(submitAt(engine, sink, 0, 4, "hi", 0).reason, RejectReason::kInvalid);
  EXPECT_TRUE(submitAt(engine, sink, 0, 5, "hi", 10).accepted());
  EXPECT_EQ(submitAt(engine, sink, 0, 5, "hi", 10).reason, RejectReason::kInvalid);  // live id
  EXPECT_EQ(submitAt(engine, sink, 0, 6, "hi", 10).reason, RejectReason::kQueueFull);
  EngineMetrics m = engine.metrics();
  EXPECT_EQ(m.requestsRejected, 6u);
  EXPECT_EQ(m.waiting, 1);
  EXPECT_THROW(Engine(EngineOptions{.maxNumSeqs = 0}), std::invalid_argument);
}

TEST(SimEngine, CancelFreesBlocksAndSilencesTheRequest) {
  Engine engine(testOptions());
  RecordingSink sink;
  ASSERT_TRUE(submitAt(engine, sink, 0, 1, text(1600, 1), 100).accepted());
  ASSERT_TRUE(submitAt(engine, sink, 0, 2, text(1600, 2), 3).accepted());
  // The shared prefill step ends at 10000 + 2000 + 2000 + 800 × 10; the next step
  // computes token 401 of each, which needs a 26th block each.
  engine.advanceTo(22'000, sink);
  ASSERT_EQ(sink.firstToken.size(), 2u);
  ASSERT_EQ(engine.metrics().usedBlocks, 52);
  EXPECT_TRUE(engine.cancel(1));
  EXPECT_FALSE(engine.cancel(1));
  EXPECT_EQ(engine.metrics().usedBlocks, 26);
  EXPECT_EQ(engine.metrics().running, 1);
  runToIdle(engine, sink);
  EXPECT_FALSE(sink.finished.contains(1));
  EXPECT_TRUE(sink.finished.contains(2));
  EXPECT_EQ(engine.metrics().requestsCancelled, 1u);
}

TEST(SimEngine, SameSeedSameRunDifferentSeedDifferentRun) {
  auto run = [](uint64_t seed) {
    EngineOptions o = testOptions();
    o.jitter = 0.2;
    o.seed = seed;
    Engine engine(o);
    RecordingSink sink;
    std::vector<std::string> prompts;
    for (int i = 0; i < 40; ++i) prompts.push_back(text(800, i % 5));
    for (int i = 0; i < 40; ++i) {
      EXPECT_TRUE(submitAt(engine, sink, i * 7'000, static_cast<uint64_t>(i),
                           prompts[static_cast<size_t>(i)], 20)
                      .accepted());
    }
    runToIdle(engine, sink);
    std::vector<Micros> out;
    for (auto& e : sink.tokens) out.push_back(e.at * 1000 + static_cast<Micros>(e.id));
    return out;
  };
  const auto a = run(42);
  EXPECT_EQ(a.size(), 40u * 20);
  EXPECT_EQ(a, run(42));
  EXPECT_NE(a, run(43));
}

TEST(SimEngine, ResetCachesForgetsPrefixesAndCounters) {
  Engine engine(testOptions());
  RecordingSink sink;
  const std::string p = text(1600, 1);
  ASSERT_TRUE(submitAt(engine, sink, 0, 1, p, 2).accepted());
  runToIdle(engine, sink);
  EXPECT_EQ(engine.metrics().cachedBlocks, 25);
  engine.resetCaches();
  EngineMetrics m = engine.metrics();
  EXPECT_EQ(m.cachedBlocks, 0);
  EXPECT_EQ(m.requestsFinished, 0u);
  EXPECT_EQ(m.ttft.count(), 0u);
  ASSERT_TRUE(submitAt(engine, sink, engine.now() + 1, 2, p, 2).accepted());
  runToIdle(engine, sink);
  EXPECT_EQ(sink.firstTokenCached.at(2), 0);
}

}  // namespace
}  // namespace epp::sim
