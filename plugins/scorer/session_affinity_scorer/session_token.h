#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "epp/cpp/plugin.h"

namespace epp::plugins {

// The session token of session-affinity-scorer: the standard base64 (RFC 4648, padded) of
// the endpoint's identity, as the reference writes it.
std::string encodeBase64(std::string_view bytes);
// Decodes standard base64; padding may be left out. nullopt for anything else.
std::optional<std::string> decodeBase64(std::string_view text);

// What a token names an endpoint by: its pod or server name, or "ip:port" when the source
// gave none.
std::string_view endpointIdentity(const cpp::Endpoint& endpoint);
// True when a decoded token names `endpoint`: its identity, its "ip:port", or
// "<namespace>/<name>" (a token written by the reference EPP, which names pods that way).
bool tokenNames(std::string_view decoded, const cpp::Endpoint& endpoint);

}  // namespace epp::plugins
