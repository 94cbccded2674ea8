#include "host/admin/admin_auth.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <span>

#include "host/common/logging.h"
#include "host/common/sha256.h"

namespace epp::admin {
namespace {

using common::Error;

std::string digestOf(std::string_view text) {
  return common::sha256Hex(std::as_bytes(std::span(text.data(), text.size())));
}

std::string stampOf(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return "missing";
  return fmt::format("{}:{}:{}.{}:{}", info.st_dev, info.st_ino, info.st_mtim.tv_sec,
                     info.st_mtim.tv_nsec, info.st_size);
}

bool isSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

}  // namespace

common::Result<std::string> readTokenFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error{fmt::format("admin token file {}: cannot read: {}", path, std::strerror(errno))};
  }
  std::string token;
  // A token is short; anything large is not a token file.
  char buffer[4096];
  in.read(buffer, sizeof buffer);
  token.assign(buffer, static_cast<size_t>(in.gcount()));
  if (in.gcount() == sizeof buffer) {
    return Error{fmt::format("admin token file {}: larger than {} bytes", path, sizeof buffer)};
  }
  while (!token.empty() && isSpace(token.back())) token.pop_back();
  while (!token.empty() && isSpace(token.front())) token.erase(token.begin());
  if (token.empty()) return Error{fmt::format("admin token file {}: empty", path)};
  if (std::any_of(token.begin(), token.end(), isSpace)) {
    return Error{fmt::format("admin token file {}: the token contains whitespace", path)};
  }
  if (token.size() < AdminToken::kMinTokenBytes) {
    return Error{fmt::format("admin token file {}: the token is shorter than {} characters", path,
                             AdminToken::kMinTokenBytes)};
  }
  return token;
}

common::Result<std::shared_ptr<AdminToken>> AdminToken::load(const std::string& path) {
  std::shared_ptr<AdminToken> token(new AdminToken(path));
  token->stamp_ = stampOf(path);
  auto text = readTokenFile(path);
  if (!text) return Error{text.error()};
  token->digest_ = digestOf(*text);
  return token;
}

bool AdminToken::refreshLocked() {
  std::string stamp = stampOf(path_);
  if (stamp == stamp_) return !digest_.empty();
  stamp_ = stamp;
  auto text = readTokenFile(path_);
  if (!text) {
    // Fail closed: a token that cannot be read any more admits nobody.
    digest_.clear();
    common::logger()->error("admin: {}; every admin request is refused until it is fixed",
                            text.error());
    return false;
  }
  digest_ = digestOf(*text);
  common::logger()->info("admin: token file {} re-read", path_);
  return true;
}

AdminToken::Verdict AdminToken::check(const char* authorization) {
  std::string_view header = authorization != nullptr ? authorization : "";
  while (!header.empty() && isSpace(header.front())) header.remove_prefix(1);
  constexpr std::string_view kScheme = "bearer";
  bool bearer = header.size() > kScheme.size() && isSpace(header[kScheme.size()]) &&
                std::equal(kScheme.begin(), kScheme.end(), header.begin(),
                           [](char a, char b) { return a == std::tolower(b); });
  std::string presented;
  if (bearer) {
    std::string_view credential = header.substr(kScheme.size());
    while (!credential.empty() && isSpace(credential.front())) credential.remove_prefix(1);
    while (!credential.empty() && isSpace(credential.back())) credential.remove_suffix(1);
    if (credential.empty()) bearer = false;
    presented = digestOf(credential);
  }
  std::lock_guard lock(mu_);
  if (!refreshLocked()) return Verdict::kUnavailable;
  if (!bearer) return Verdict::kMissing;
  return CRYPTO_memcmp(presented.data(), digest_.data(), digest_.size()) == 0 ? Verdict::kAllowed
                                                                              : Verdict::kInvalid;
}

const char* AdminToken::reason(Verdict verdict) {
  switch (verdict) {
    case Verdict::kAllowed:
      return "allowed";
    case Verdict::kMissing:
      return "missing";
    case Verdict::kInvalid:
      return "invalid";
    case Verdict::kUnavailable:
      return "unavailable";
  }
  return "unknown";
}

}  // namespace epp::admin
