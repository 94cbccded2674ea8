#include "plugins/profile/disagg_profile_handler/disagg_profile_handler.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "plugins/profile/disagg_profile_handler/pd_decider_data.h"

namespace epp::plugins {
namespace {

constexpr char kLegacyType[] = "pd-profile-handler";
constexpr char kPrefillHeader[] = "x-prefiller-host-port";
constexpr char kDataParallelHeader[] = "x-data-parallel-host-port";
constexpr char kDestinationHeader[] = "x-gateway-destination-endpoint";
// The reference's decision counters: the current one, and the one its deprecated
// pd-profile-handler records instead.
constexpr char kDisaggDecisions[] = "llm_d_inference_scheduler_disagg_decision_total";
constexpr char kPdDecisions[] = "llm_d_inference_scheduler_pd_decision_total";

std::optional<size_t> indexOf(std::span<const std::string_view> names, std::string_view name) {
  auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end()) return std::nullopt;
  return static_cast<size_t>(it - names.begin());
}

std::optional<size_t> resultIndex(const cpp::ProfileResults& results, std::string_view name) {
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i].profileName() == name) return i;
  }
  return std::nullopt;
}

std::string hostPort(std::string_view address, int64_t port) {
  const bool v6 = address.find(':') != std::string_view::npos;
  return (v6 ? "[" + std::string(address) + "]" : std::string(address)) + ":" +
         std::to_string(port);
}

std::string joined(std::span<const std::string_view> names) {
  std::string out;
  for (std::string_view n : names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

}  // namespace

DisaggProfileHandler::DisaggProfileHandler(const cpp::CreateContext& ctx)
    : Plugin(ctx),
      legacyType_(ctx.typeName() == kLegacyType),
      config_(DisaggConfig::parse(ctx.params(), legacyType_,
                                  [this](const std::string& m) { log(cpp::LogLevel::kInfo, m); })),
      deciderKey_(pd::deciderKey(config_.decider)),
      decisions_(registerMetric(EPP_METRIC_COUNTER, legacyType_ ? kPdDecisions : kDisaggDecisions,
                                "Total number of P/D disaggregation decisions made",
                                {"model_name", "decision_type"})) {
  if (legacyType_) {
    log(cpp::LogLevel::kWarn,
        "pd-profile-handler is deprecated, use disagg-profile-handler (same behaviour)");
  }
  if (config_.decision == DisaggConfig::Decision::kNever && !config_.prefillFirst) {
    log(cpp::LogLevel::kInfo, "no deciders.prefill configured: every request is decode-only");
  }
}

void DisaggProfileHandler::checkProfiles(const cpp::Request& request,
                                         std::span<const std::string_view> names) const {
  auto missing = [&](const std::string& role, const std::string& name) {
    return cpp::Error(std::string(legacyType_ ? kLegacyType : "disagg-profile-handler") +
                      ": the config has no " + role + " profile '" + name +
                      "' (profiles: " + joined(names) + ")");
  };
  if (!indexOf(names, config_.decodeProfile)) throw missing("decode", config_.decodeProfile);
  const bool prefillUsed =
      config_.prefillFirst || config_.decision != DisaggConfig::Decision::kNever;
  if (prefillUsed && !indexOf(names, config_.prefillProfile)) {
    throw missing("prefill", config_.prefillProfile);
  }
  // A decider named in the parameters must have published for this request; a config that
  // lacks it fails on the first request (and a reload's dry run), as the reference fails
  // at load.
  if (config_.decision == DisaggConfig::Decision::kDecider && !config_.deciderOptional) {
    const epp_endpoint_list none{nullptr, 0};
    if (!request.dataGet(deciderKey_, cpp::EndpointList(&none))) {
      throw cpp::Error(config_.deciderParam + " names '" + config_.decider +
                       "', but the config has no prefix-based-pd-decider or "
                       "always-disagg-pd-decider of that name");
    }
  }
}

void DisaggProfileHandler::pickProfiles(const cpp::Request& request,
                                        std::span<const std::string_view> names,
                                        const cpp::ProfileResults& results,
                                        std::span<uint8_t> run) {
  if (results.size() == 0) checkProfiles(request, names);
  const size_t decode = *indexOf(names, config_.decodeProfile);
  const std::optional<size_t> prefill = indexOf(names, config_.prefillProfile);
  const bool decodeRan = resultIndex(results, config_.decodeProfile).has_value();
  const bool prefillRan = resultIndex(results, config_.prefillProfile).has_value();

  if (config_.prefillFirst) {
    // Prefill, then decode: prefill always runs when the config has the profile.
    if (prefill && !prefillRan && !decodeRan) {
      run[*prefill] = 1;
    } else if (!decodeRan) {
      run[decode] = 1;
    }
    return;
  }
  if (!decodeRan) {
    run[decode] = 1;
    return;
  }
  if (!prefill || prefillRan) return;
  const cpp::ProfileResult decoded = results[*resultIndex(results, config_.decodeProfile)];
  if (!decoded.ok() || decoded.targetCount() == 0) return;  // fails in processResults
  if (wantsPrefill(request, decoded.target(0))) run[*prefill] = 1;
}

std::optional<double> DisaggProfileHandler::cachedTokens(const cpp::Request& request,
                                                         const cpp::Endpoint& endpoint) const {
  const epp_endpoint_view* view = endpoint.raw();
  const epp_endpoint_list one{&view, 1};
  const std::optional<std::vector<double>> tokens =
      request.dataGet(pd::kMatchedTokensKey, cpp::EndpointList(&one));
  if (!tokens || std::isnan((*tokens)[0])) return std::nullopt;
  return (*tokens)[0];
}

bool DisaggProfileHandler::thresholdVerdict(const cpp::Request& request,
                                            std::optional<double> cached) const {
  if (config_.threshold == 0) return true;
  // v0.3 counts characters: the prompt minus what the decode endpoint holds.
  const double uncached =
      static_cast<double>(request.prompt().size()) - cached.value_or(0) * pd::kCharactersPerToken;
  return uncached >= static_cast<double>(config_.threshold);
}

bool DisaggProfileHandler::wantsPrefill(const cpp::Request& request, const cpp::Endpoint& decode) {
  switch (config_.decision) {
    case DisaggConfig::Decision::kNever:
      return false;
    case DisaggConfig::Decision::kThreshold:
      return thresholdVerdict(request, cachedTokens(request, decode));
    case DisaggConfig::Decision::kDecider:
      break;
  }
  const epp_endpoint_view* view = decode.raw();
  const epp_endpoint_list one{&view, 1};
  const std::optional<std::vector<double>> published =
      request.dataGet(deciderKey_, cpp::EndpointList(&one));
  if (!published) return thresholdVerdict(request, std::nullopt);  // optional decider absent
  const double maxCached = (*published)[0];
  if (std::isnan(maxCached) || maxCached < 0) return false;
  if (maxCached == pd::kAlways) return true;
  const std::optional<double> cached = cachedTokens(request, decode);
  if (!cached) {
    // As the reference: no prefix-cache state, no disaggregation.
    if (!warnedNoPrefixData_.exchange(true)) {
      log(cpp::LogLevel::kWarn,
          "decider '" + config_.decider +
              "' needs the prefix match of the decode endpoint, which nothing publishes: add "
              "approx-prefix-cache-producer (or prefix-cache-scorer) to the config; until then "
              "requests are decode-only",
          &request);
    }
    return false;
  }
  return *cached <= maxCached;
}

size_t DisaggProfileHandler::processResults(const cpp::Request& request,
                                            const cpp::ProfileResults& results) {
  const std::optional<size_t> decode = resultIndex(results, config_.decodeProfile);
  if (!decode) {
    throw cpp::Error("the decode profile '" + config_.decodeProfile + "' did not run",
                     EPP_ERR_UNAVAILABLE);
  }
  const cpp::ProfileResult decoded = results[*decode];
  // A failed decode profile is the primary result all the same: eppd answers "no endpoint"
  // rather than route to a prefill endpoint.
  if (!decoded.ok() || decoded.targetCount() == 0) return *decode;

  bool disaggregated = false;
  if (std::optional<size_t> prefill = resultIndex(results, config_.prefillProfile)) {
    const cpp::ProfileResult prefilled = results[*prefill];
    if (prefilled.ok() && prefilled.targetCount() > 0) {
      request.setHeader(kPrefillHeader, prefilled.target(0).hostPort());
      disaggregated = true;
    } else {
      log(cpp::LogLevel::kWarn,
          "prefill profile '" + config_.prefillProfile +
              "' found no endpoint: the decode endpoint computes the prompt itself",
          &request);
    }
  }
  // A client must not choose the prefill endpoint: eppd can only overwrite a header it
  // received, so an incoming one is emptied (read as absent by the sidecar).
  if (!disaggregated && request.header(kPrefillHeader)) request.setHeader(kPrefillHeader, "");

  if (config_.primaryPort != 0) {
    // Data-parallel decode ranks behind a sidecar on the pod's primary port.
    request.setHeader(kDataParallelHeader, decoded.target(0).hostPort());
    std::vector<std::string> pods;
    for (size_t i = 0; i < decoded.targetCount(); ++i) {
      std::string pod = hostPort(decoded.target(i).address(), config_.primaryPort);
      if (std::find(pods.begin(), pods.end(), pod) == pods.end()) pods.push_back(std::move(pod));
    }
    std::string destinations;
    for (const std::string& pod : pods) destinations += (destinations.empty() ? "" : ",") + pod;
    request.setHeader(kDestinationHeader, destinations);
  }
  countDecision(request, disaggregated);
  return *decode;
}

void DisaggProfileHandler::countDecision(const cpp::Request& request, bool disaggregated) {
  const std::string model(request.targetModel());
  std::lock_guard lock(seriesMutex_);
  auto it = series_.find(model);
  if (it == series_.end()) {
    it = series_
             .emplace(model, std::make_pair(decisions_.series({model, "decode-only"}),
                                            decisions_.series({model, "prefill-decode"})))
             .first;
  }
  (disaggregated ? it->second.second : it->second.first).add(1);
}

}  // namespace epp::plugins
