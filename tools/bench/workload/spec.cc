#include "tools/bench/workload/spec.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>

#include "host/config/suggest.h"

namespace epp::bench {
namespace {

using common::Error;
using common::Result;
using common::Status;
using std::chrono::nanoseconds;

constexpr std::string_view kCommonKeys[] = {"seed",     "model",    "lora",   "lora-share",
                                            "api",      "stream",   "rate",   "concurrency",
                                            "requests", "duration", "classes"};

std::vector<std::string_view> kindKeys(WorkloadKind kind) {
  switch (kind) {
    case WorkloadKind::kSharedPrefix:
      return {"groups", "users", "system", "question", "output"};
    case WorkloadKind::kMultiTurn:
      return {"conversations", "turns", "system", "question", "output"};
    case WorkloadKind::kRandom:
      return {"input", "output"};
  }
  return {};
}

std::optional<WorkloadKind> kindFromName(std::string_view name) {
  if (name == "shared-prefix") return WorkloadKind::kSharedPrefix;
  if (name == "multi-turn") return WorkloadKind::kMultiTurn;
  if (name == "random") return WorkloadKind::kRandom;
  return std::nullopt;
}

std::string joined(const std::vector<std::string_view>& items) {
  std::string out;
  for (std::string_view item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

template <typename T>
Result<T> parseUnsigned(std::string_view key, std::string_view text, T min) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return Error{fmt::format("{}: '{}' is not a whole number", key, text)};
  }
  if (value < min) return Error{fmt::format("{}: must be at least {}, got {}", key, min, value)};
  return value;
}

Result<double> parseDouble(std::string_view key, std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(value)) {
    return Error{fmt::format("{}: '{}' is not a number", key, text)};
  }
  return value;
}

// "N" or "A..B" with 1 <= A <= B (or 0 <= A when zero is allowed).
Result<TokenRange> parseTokens(std::string_view key, std::string_view text, uint32_t min) {
  size_t dots = text.find("..");
  if (dots == std::string_view::npos) {
    auto n = parseUnsigned<uint32_t>(key, text, min);
    if (!n) return Error{n.error()};
    return TokenRange{*n, *n};
  }
  auto lo = parseUnsigned<uint32_t>(key, text.substr(0, dots), min);
  if (!lo) return Error{lo.error()};
  auto hi = parseUnsigned<uint32_t>(key, text.substr(dots + 2), min);
  if (!hi) return Error{hi.error()};
  if (*lo > *hi) return Error{fmt::format("{}: range '{}' runs backwards", key, text)};
  return TokenRange{*lo, *hi};
}

Result<bool> parseBool(std::string_view key, std::string_view text) {
  if (text == "true") return true;
  if (text == "false") return false;
  return Error{fmt::format("{}: '{}' is not true or false", key, text)};
}

// poisson:10 | constant:2.5 | poisson:15@50s+3@20s+6@20s
Result<ArrivalSpec> parseRate(std::string_view text) {
  ArrivalSpec out;
  size_t colon = text.find(':');
  std::string_view process = text.substr(0, colon);
  if (process == "poisson") {
    out.kind = ArrivalKind::kPoisson;
  } else if (process == "constant") {
    out.kind = ArrivalKind::kConstant;
  } else {
    return Error{fmt::format(
        "rate: '{}' is not PROCESS:RATE with PROCESS poisson or constant (e.g. poisson:10, "
        "constant:2.5, poisson:3@20s+6@20s)",
        text)};
  }
  if (colon == std::string_view::npos || colon + 1 == text.size()) {
    return Error{
        fmt::format("rate: '{}' has no requests-per-second value after '{}:'", text, process)};
  }
  std::string_view rest = text.substr(colon + 1);
  while (true) {
    size_t plus = rest.find('+');
    std::string_view stage = rest.substr(0, plus);
    size_t at = stage.find('@');
    RateStage parsed;
    auto rate = parseDouble("rate", stage.substr(0, at));
    if (!rate) return Error{rate.error()};
    if (*rate <= 0)
      return Error{fmt::format("rate: {} requests per second must be positive", *rate)};
    parsed.rate = *rate;
    if (at != std::string_view::npos) {
      auto duration = parseDuration(stage.substr(at + 1));
      if (!duration) return Error{"rate: stage '" + std::string(stage) + "': " + duration.error()};
      parsed.duration = *duration;
    }
    out.stages.push_back(parsed);
    if (plus == std::string_view::npos) break;
    rest = rest.substr(plus + 1);
  }
  bool timed = out.stages.front().duration.count() > 0;
  for (const RateStage& stage : out.stages) {
    if ((stage.duration.count() > 0) != timed || (out.stages.size() > 1 && !timed)) {
      return Error{fmt::format(
          "rate: '{}': every stage of a ladder needs its duration (RATE@DURATION+RATE@DURATION)",
          text)};
    }
  }
  return out;
}

// critical:0.2+standard:0.3+sheddable:0.5 (shares in (0, 1], adding up to 1).
Result<std::vector<TrafficClass>> parseClasses(std::string_view text) {
  std::vector<TrafficClass> out;
  double total = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t plus = text.find('+', start);
    std::string_view item = text.substr(start, plus - start);
    size_t colon = item.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
      return Error{fmt::format("classes: '{}' is not OBJECTIVE:SHARE", item)};
    }
    auto share = parseDouble("classes", item.substr(colon + 1));
    if (!share) return Error{share.error()};
    if (*share <= 0 || *share > 1) {
      return Error{
          fmt::format("classes: share {} of '{}' is not in (0, 1]", *share, item.substr(0, colon))};
    }
    for (const TrafficClass& c : out) {
      if (c.objective == item.substr(0, colon)) {
        return Error{fmt::format("classes: '{}' given twice", c.objective)};
      }
    }
    out.push_back({std::string(item.substr(0, colon)), *share});
    total += *share;
    if (plus == std::string_view::npos) break;
    start = plus + 1;
  }
  if (std::abs(total - 1) > 1e-9) {
    return Error{fmt::format("classes: the shares add up to {}, not 1", total)};
  }
  return out;
}

std::string formatDouble(double value) { return fmt::format("{}", value); }

std::string formatTokens(const TokenRange& range) {
  if (range.min == range.max) return std::to_string(range.min);
  return fmt::format("{}..{}", range.min, range.max);
}

std::string formatRate(const ArrivalSpec& arrival) {
  std::string out = arrival.kind == ArrivalKind::kPoisson ? "poisson:" : "constant:";
  for (size_t i = 0; i < arrival.stages.size(); ++i) {
    if (i > 0) out += '+';
    out += formatDouble(arrival.stages[i].rate);
    if (arrival.stages[i].duration.count() > 0) {
      out += '@' + formatDuration(arrival.stages[i].duration);
    }
  }
  return out;
}

// Checks what no single key can: exclusive and required combinations.
Status checkCombinations(const WorkloadSpec& spec, const std::set<std::string_view>& given) {
  const bool rate = given.count("rate") > 0;
  const bool concurrency = given.count("concurrency") > 0;
  if (rate && concurrency) {
    return Error{
        "rate and concurrency exclude each other: rate= is an open loop (arrivals at "
        "a rate), concurrency= a closed loop (N requests in flight)"};
  }
  if (!rate && !concurrency) {
    return Error{"needs rate=PROCESS:RATE (e.g. rate=poisson:10) or concurrency=N"};
  }
  if (spec.arrival.ladder() && given.count("duration") > 0) {
    return Error{
        "duration: a ladder's duration is the sum of its stages; drop duration= or the "
        "stage durations"};
  }
  if (!spec.arrival.ladder() && !spec.requests && !spec.duration) {
    return Error{"needs duration= or requests= (or a rate ladder) to end"};
  }
  if (given.count("lora-share") > 0 && spec.loras.empty()) {
    return Error{"lora-share: needs lora=NAME[+NAME...]"};
  }
  return {};
}

}  // namespace

std::string_view kindName(WorkloadKind kind) {
  switch (kind) {
    case WorkloadKind::kSharedPrefix:
      return "shared-prefix";
    case WorkloadKind::kMultiTurn:
      return "multi-turn";
    case WorkloadKind::kRandom:
      return "random";
  }
  return "?";
}

Result<nanoseconds> parseDuration(std::string_view text) {
  size_t unitAt = text.find_first_not_of("0123456789.");
  std::string_view number = text.substr(0, unitAt);
  std::string_view unit = unitAt == std::string_view::npos ? "" : text.substr(unitAt);
  double scale = 0;
  if (unit == "ms") {
    scale = 1e6;
  } else if (unit == "s") {
    scale = 1e9;
  } else if (unit == "m") {
    scale = 60e9;
  } else if (unit == "h") {
    scale = 3600e9;
  } else {
    return Error{
        fmt::format("'{}' is not a duration: a number and a unit of ms, s, m or h "
                    "(e.g. 60s, 1.5s, 250ms, 2m)",
                    text)};
  }
  double value = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (number.empty() || ec != std::errc() || end != number.data() + number.size()) {
    return Error{fmt::format("'{}' is not a duration: '{}' is not a number", text, number)};
  }
  double ns = std::round(value * scale);
  if (ns <= 0) return Error{fmt::format("'{}': a duration must be positive", text)};
  if (ns > static_cast<double>(std::numeric_limits<int64_t>::max() / 2)) {
    return Error{fmt::format("'{}': duration too long", text)};
  }
  return nanoseconds(static_cast<int64_t>(ns));
}

std::string formatDuration(nanoseconds duration) {
  const int64_t ns = duration.count();
  constexpr std::pair<int64_t, const char*> units[] = {{3600'000'000'000LL, "h"},
                                                       {60'000'000'000LL, "m"},
                                                       {1'000'000'000LL, "s"},
                                                       {1'000'000LL, "ms"}};
  for (auto [size, name] : units) {
    if (ns % size == 0) return fmt::format("{}{}", ns / size, name);
  }
  // Sub-millisecond parts: seconds with a fraction, which parseDuration rounds back.
  return fmt::format("{}s", static_cast<double>(ns) / 1e9);
}

Result<WorkloadSpec> parseWorkloadSpec(std::string_view text) {
  auto fail = [&](const std::string& why) {
    return Error{fmt::format("workload '{}': {}", text, why)};
  };
  size_t colon = text.find(':');
  std::string_view name = text.substr(0, colon);
  auto kind = kindFromName(name);
  if (!kind) {
    return fail(fmt::format("unknown workload '{}' (known: shared-prefix, multi-turn, random){}",
                            name,
                            config::didYouMean(name, {"shared-prefix", "multi-turn", "random"})));
  }
  WorkloadSpec spec;
  spec.kind = *kind;
  std::vector<std::string_view> known(std::begin(kCommonKeys), std::end(kCommonKeys));
  const std::vector<std::string_view> own = kindKeys(*kind);
  known.insert(known.end(), own.begin(), own.end());

  std::set<std::string_view> given;
  std::string_view rest = colon == std::string_view::npos ? "" : text.substr(colon + 1);
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
    if (item.empty()) return fail("empty item (two commas in a row, or a trailing comma)");
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) return fail(fmt::format("'{}' is not KEY=VALUE", item));
    std::string_view key = item.substr(0, eq);
    std::string_view value = item.substr(eq + 1);
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return fail(fmt::format("unknown key '{}' for {}{} (keys: {})", key, name,
                              config::didYouMean(key, known), joined(known)));
    }
    if (!given.insert(key).second) return fail(fmt::format("{}: given twice", key));

    Status ok;
    auto set = [&](auto parsed, auto& field) {
      if (parsed) {
        field = *parsed;
      } else {
        ok = Error{parsed.error()};
      }
    };
    if (key == "seed") {
      set(parseUnsigned<uint64_t>(key, value, 0), spec.seed);
    } else if (key == "model") {
      if (value.empty()) ok = Error{"model: must not be empty"};
      spec.model = std::string(value);
    } else if (key == "lora") {
      spec.loras.clear();
      size_t start = 0;
      while (start <= value.size()) {
        size_t plus = value.find('+', start);
        std::string_view adapter = value.substr(start, plus - start);
        if (adapter.empty()) {
          ok = Error{fmt::format("lora: '{}' has an empty adapter name", value)};
          break;
        }
        spec.loras.emplace_back(adapter);
        if (plus == std::string_view::npos) break;
        start = plus + 1;
      }
    } else if (key == "lora-share") {
      auto share = parseDouble(key, value);
      if (share && (*share < 0 || *share > 1)) {
        ok = Error{fmt::format("lora-share: {} is not between 0 and 1", *share)};
      } else {
        set(share, spec.loraShare);
      }
    } else if (key == "api") {
      if (value == "chat") {
        spec.api = Api::kChat;
      } else if (value == "completions") {
        spec.api = Api::kCompletions;
      } else {
        ok = Error{fmt::format("api: '{}' is not chat or completions", value)};
      }
    } else if (key == "stream") {
      set(parseBool(key, value), spec.stream);
    } else if (key == "classes") {
      set(parseClasses(value), spec.classes);
    } else if (key == "rate") {
      set(parseRate(value), spec.arrival);
    } else if (key == "concurrency") {
      auto n = parseUnsigned<uint32_t>(key, value, 1);
      if (n) {
        spec.arrival = ArrivalSpec{ArrivalKind::kConcurrency, {}, *n};
      } else {
        ok = Error{n.error()};
      }
    } else if (key == "requests") {
      set(parseUnsigned<uint64_t>(key, value, 1), spec.requests);
    } else if (key == "duration") {
      auto d = parseDuration(value);
      if (d) {
        spec.duration = *d;
      } else {
        ok = Error{"duration: " + d.error()};
      }
    } else if (key == "groups") {
      set(parseUnsigned<uint32_t>(key, value, 1), spec.groups);
    } else if (key == "users") {
      set(parseUnsigned<uint32_t>(key, value, 1), spec.users);
    } else if (key == "conversations") {
      set(parseUnsigned<uint32_t>(key, value, 1), spec.conversations);
    } else if (key == "turns") {
      set(parseUnsigned<uint32_t>(key, value, 1), spec.turns);
    } else if (key == "system") {
      set(parseUnsigned<uint32_t>(key, value, 0), spec.systemTokens);
    } else if (key == "question") {
      set(parseTokens(key, value, 1), spec.question);
    } else if (key == "input") {
      set(parseTokens(key, value, 1), spec.input);
    } else if (key == "output") {
      set(parseTokens(key, value, 1), spec.output);
    }
    if (!ok) return fail(ok.error());
  }
  if (spec.arrival.ladder()) {
    nanoseconds total{0};
    for (const RateStage& stage : spec.arrival.stages) total += stage.duration;
    if (given.count("duration") == 0) spec.duration = total;
  }
  if (Status ok = checkCombinations(spec, given); !ok) return fail(ok.error());
  return spec;
}

std::string formatWorkloadSpec(const WorkloadSpec& spec) {
  std::string out = fmt::format("{}:seed={},model={}", kindName(spec.kind), spec.seed, spec.model);
  if (!spec.loras.empty()) {
    out += ",lora=";
    for (size_t i = 0; i < spec.loras.size(); ++i) {
      out += (i > 0 ? "+" : "") + spec.loras[i];
    }
    out += ",lora-share=" + formatDouble(spec.loraShare);
  }
  out += spec.api == Api::kChat ? ",api=chat" : ",api=completions";
  out += spec.stream ? ",stream=true" : ",stream=false";
  if (!spec.classes.empty()) {
    out += ",classes=";
    for (size_t i = 0; i < spec.classes.size(); ++i) {
      out += (i > 0 ? "+" : "") + spec.classes[i].objective + ":" +
             formatDouble(spec.classes[i].share);
    }
  }
  switch (spec.kind) {
    case WorkloadKind::kSharedPrefix:
      out += fmt::format(",groups={},users={},system={},question={}", spec.groups, spec.users,
                         spec.systemTokens, formatTokens(spec.question));
      break;
    case WorkloadKind::kMultiTurn:
      out += fmt::format(",conversations={},turns={},system={},question={}", spec.conversations,
                         spec.turns, spec.systemTokens, formatTokens(spec.question));
      break;
    case WorkloadKind::kRandom:
      out += ",input=" + formatTokens(spec.input);
      break;
  }
  out += ",output=" + formatTokens(spec.output);
  if (spec.arrival.closedLoop()) {
    out += fmt::format(",concurrency={}", spec.arrival.concurrency);
  } else {
    out += ",rate=" + formatRate(spec.arrival);
  }
  if (spec.requests) out += fmt::format(",requests={}", *spec.requests);
  if (spec.duration && !spec.arrival.ladder()) out += ",duration=" + formatDuration(*spec.duration);
  return out;
}

}  // namespace epp::bench
