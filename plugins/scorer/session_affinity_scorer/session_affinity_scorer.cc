#include "plugins/scorer/session_affinity_scorer/session_affinity_scorer.h"

#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>

#include "plugins/scorer/session_affinity_scorer/session_token.h"

namespace epp::plugins {
namespace {

constexpr std::string_view kEncodedEndpointHeader = "encoded_endpoint_header";
constexpr std::string_view kSessionIdHeader = "session_id_header";

// The endpoint a request's token should name, chosen at pre-request time.
struct SessionTarget {
  std::string identity;
};

std::string lowerCase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

SessionAffinityScorer::SessionAffinityScorer(const cpp::CreateContext& ctx)
    : Plugin(ctx),
      header_(lowerCase(ctx.params().getString("headerName", kDefaultHeader))),
      profile_(ctx.params().getString("profileName", "")) {
  const cpp::Params& params = ctx.params();
  if (header_.empty() || header_.front() == ':') {
    throw cpp::Error(params.location("headerName") +
                     ": parameter \"headerName\" must name a header");
  }
  const std::string algorithm = params.getString("algorithm", std::string(kEncodedEndpointHeader));
  if (algorithm == kSessionIdHeader) {
    throw cpp::Error(params.location("algorithm") +
                         ": algorithm \"session_id_header\" (server-side session bindings) is not "
                         "implemented by eppd; use \"encoded_endpoint_header\"",
                     EPP_ERR_UNIMPLEMENTED);
  }
  if (algorithm != kEncodedEndpointHeader) {
    throw cpp::Error(params.location("algorithm") + ": parameter \"algorithm\" must be \"" +
                     std::string(kEncodedEndpointHeader) + "\", not \"" + algorithm + "\"");
  }
}

void SessionAffinityScorer::score(const cpp::Request& request, const cpp::EndpointList& candidates,
                                  std::span<double> scores) {
  std::fill(scores.begin(), scores.end(), 0.0);
  const std::optional<std::string_view> token = request.header(header_);
  if (!token || token->empty()) return;
  const std::optional<std::string> decoded = decodeBase64(*token);
  if (!decoded) {
    // Client input: a debug line, not an error per request.
    if (cpp::logEnabled(cpp::LogLevel::kDebug)) {
      log(cpp::LogLevel::kDebug, "header " + header_ + " is not base64; no session affinity",
          &request);
    }
    return;
  }
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (tokenNames(*decoded, candidates[i])) scores[i] = 1.0;
  }
}

void SessionAffinityScorer::preRequest(const cpp::Request& request,
                                       const cpp::SchedulingResult& result) {
  std::optional<cpp::ProfileResult> chosen =
      profile_.empty() ? result.primary() : result.profiles().find(profile_);
  if (!chosen || !chosen->ok() || chosen->targetCount() == 0) return;
  auto target = std::make_unique<SessionTarget>();
  target->identity = std::string(endpointIdentity(chosen->target(0)));
  setState(request, std::move(target));
}

void SessionAffinityScorer::responseHeaders(const cpp::Request& request,
                                            const cpp::Response& response) {
  // Without a profile the token names the endpoint that served the response, which is the
  // primary pick unless the gateway fell back to another of the picked endpoints.
  std::string identity;
  if (profile_.empty() && response.endpoint()) {
    identity = std::string(endpointIdentity(*response.endpoint()));
  } else if (const SessionTarget* target = state<SessionTarget>(request)) {
    identity = target->identity;
  }
  if (identity.empty()) return;
  request.setResponseHeader(header_, encodeBase64(identity));
}

}  // namespace epp::plugins

EPP_PLUGIN_ENTRY_FN(eppSessionAffinityScorerEntry, "session-affinity-scorer", "1.0.0",
                    "Keeps a session on the endpoint named by its session token",
                    EPP_TYPE(epp::plugins::SessionAffinityScorer, "session-affinity-scorer",
                             "1 for the endpoint in x-session-token (base64), 0 otherwise; "
                             "sets the token on the response"))
