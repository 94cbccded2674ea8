// File: tests/integration/upstream_http.h
//
// The upstream side of a request EnvoyClient played: what eppd sent upstream POSTed to a
// real model server (eppd-sim) over HTTP/1.1, and its answer turned into the response
// messages Envoy would send back through eppd.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "tests/integration/envoy_client.h"

namespace epp::testing {

struct UpstreamAnswer {
  int status = 0;  // 0: no answer (connect failed or a malformed response)
  std::string contentType;
  std::string body;  // de-chunked
};

// One POST to 127.0.0.1:port on its own connection, read to the end.
UpstreamAnswer postUpstream(int port, const std::string& path, const std::string& body,
                            const HeaderList& headers = {});

// The port of an "ip:port" destination, or 0.
int destinationPort(const std::string& destination);

// `answer` as the response Envoy plays back: its status and content type, the body cut
// into `pieceBytes` messages.
ResponseSpec responseOf(const UpstreamAnswer& answer, size_t pieceBytes = 64 * 1024);

}  // namespace epp::testing
