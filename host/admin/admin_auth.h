// File: host/admin/admin_auth.h
//
// The admin endpoint's bearer token (`server.adminTokenFile`). The token lives in a file
// (a Kubernetes Secret volume, a 0600 file) and never in the config: the config sits in
// ConfigMaps and repositories. The file is read at start and again whenever its identity,
// size or modification time changes (a Secret update swaps a symlink), so a rotated token
// takes effect at the next request without a restart.
//
//   auto token = AdminToken::load("/var/run/eppd/admin-token");   // refuse to start if bad
//   switch (token->check(mg_get_header(conn, "Authorization"))) { … }
//
// The comparison is constant-time (digests of equal length, CRYPTO_memcmp), so response
// timing tells nothing about how much of a guess was right.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "host/common/result.h"

namespace epp::admin {

class AdminToken {
 public:
  // Shorter tokens are refused: the admin endpoint can change routing.
  static constexpr size_t kMinTokenBytes = 16;

  // Reads the file; an unreadable file or a token that is empty or too short is an error.
  static common::Result<std::shared_ptr<AdminToken>> load(const std::string& path);

  enum class Verdict {
    kAllowed,
    kMissing,      // no Authorization header, or not a Bearer credential
    kInvalid,      // a bearer token other than the file's
    kUnavailable,  // the file changed and is now unreadable, empty or too short
  };
  // `authorization`: the Authorization header's value, or nullptr. Thread-safe.
  Verdict check(const char* authorization);
  // "missing", "invalid", "unavailable" (the metric's reason label).
  static const char* reason(Verdict verdict);

 private:
  explicit AdminToken(std::string path) : path_(std::move(path)) {}
  // Re-reads the file when its stat changed; false while it holds no usable token.
  bool refreshLocked();

  const std::string path_;
  std::mutex mu_;
  std::string stamp_;
  std::string digest_;  // sha256 hex of the token; empty: unusable
};

// What a token file holds: its content without trailing whitespace (echo's newline), or an
// error when it is unreadable, empty, too short, or has whitespace inside.
common::Result<std::string> readTokenFile(const std::string& path);

}  // namespace epp::admin
