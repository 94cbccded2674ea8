#pragma once

#include <string>

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// session-affinity-scorer: 1 for the endpoint named by the request's session token (header
// `headerName`, base64 of the endpoint's name), 0 for the others; writes the token of the
// endpoint that served the request on the response, for the client to send back.
class SessionAffinityScorer : public cpp::Plugin,
                              public cpp::Scorer,
                              public cpp::PreRequestHook,
                              public cpp::ResponseHooks {
 public:
  static constexpr epp_scorer_category kCategory = EPP_SCORER_AFFINITY;
  static constexpr std::string_view kDefaultHeader = "x-session-token";

  explicit SessionAffinityScorer(const cpp::CreateContext& ctx);

  void score(const cpp::Request& request, const cpp::EndpointList& candidates,
             std::span<double> scores) override;
  void preRequest(const cpp::Request& request, const cpp::SchedulingResult& result) override;
  void responseHeaders(const cpp::Request& request, const cpp::Response& response) override;

 private:
  std::string header_;
  std::string profile_;
};

}  // namespace epp::plugins

const epp_plugin_descriptor* eppSessionAffinityScorerEntry(const epp_entry_args* args);
