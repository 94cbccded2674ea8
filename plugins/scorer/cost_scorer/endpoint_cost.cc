#include "plugins/scorer/cost_scorer/endpoint_cost.h"

#include <optional>
#include <string>

#include "plugins/common/text_values.h"

namespace epp::plugins {

EndpointCost::EndpointCost(const cpp::Params& params)
    : label_(params.getString("costLabel", kDefaultLabel)),
      default_(params.getDouble("defaultCost", 0.0, 0.0)) {
  if (label_.empty()) {
    throw cpp::Error(params.location("costLabel") + ": parameter \"costLabel\" must not be empty");
  }
}

double EndpointCost::of(const cpp::Plugin& owner, const cpp::Endpoint& endpoint,
                        const cpp::Request* request) const {
  const std::optional<std::string_view> value = endpoint.label(label_);
  if (!value) return default_;
  if (std::optional<double> cost = text::parseNonNegative(*value)) return *cost;
  malformed_.report(owner,
                    "endpoint " + std::string(endpoint.hostPort()) + ": label " + label_ + "=\"" +
                        std::string(*value) + "\" is not a non-negative number; it costs " +
                        "defaultCost " + std::to_string(default_),
                    request);
  return default_;
}

}  // namespace epp::plugins
