#include "tests/integration/upstream_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>

namespace epp::testing {

UpstreamAnswer postUpstream(int port, const std::string& path, const std::string& body,
                            const HeaderList& headers) {
  UpstreamAnswer out;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return out;
  }
  std::string req = "POST " + path +
                    " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                    "Content-Type: application/json\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n";
  for (const auto& [name, value] : headers) req += name + ": " + value + "\r\n";
  req += "\r\n" + body;
  ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  std::string raw;
  char buf[16384];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
    raw.append(buf, static_cast<size_t>(n));
  ::close(fd);
  size_t split = raw.find("\r\n\r\n");
  if (raw.size() < 12 || split == std::string::npos) return out;
  out.status = std::atoi(raw.substr(9, 3).c_str());
  std::string head = raw.substr(0, split);
  for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (size_t at = head.find("content-type:"); at != std::string::npos) {
    size_t end = head.find("\r\n", at);
    out.contentType = raw.substr(at + 14, end - at - 14);
  }
  std::string rest = raw.substr(split + 4);
  if (head.find("transfer-encoding: chunked") == std::string::npos) {
    out.body = rest;
    return out;
  }
  for (size_t at = 0; at < rest.size();) {
    size_t eol = rest.find("\r\n", at);
    if (eol == std::string::npos) break;
    size_t size = std::stoul(rest.substr(at, eol - at), nullptr, 16);
    if (size == 0) break;
    out.body += rest.substr(eol + 2, size);
    at = eol + 2 + size + 2;
  }
  return out;
}

int destinationPort(const std::string& destination) {
  size_t colon = destination.rfind(':');
  if (colon == std::string::npos) return 0;
  return std::atoi(destination.c_str() + colon + 1);
}

ResponseSpec responseOf(const UpstreamAnswer& answer, size_t pieceBytes) {
  ResponseSpec response;
  response.status = answer.status;
  response.headers = {{"content-type", answer.contentType}};
  for (size_t at = 0; at < answer.body.size(); at += pieceBytes) {
    response.bodyChunks.push_back(answer.body.substr(at, pieceBytes));
  }
  return response;
}

}  // namespace epp::testing
