#include "tools/sim/tests/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <chrono>
#include <cstdlib>

namespace epp::sim::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

HttpResult httpCall(int port, std::string_view method, std::string_view target,
                    std::string_view body,
                    std::vector<std::pair<std::string, std::string>> headers) {
  HttpResult out;
  const auto start = std::chrono::steady_clock::now();
  asio::io_context ioc;
  asio::ip::tcp::socket socket(ioc);
  beast::error_code ec;
  socket.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)}, ec);
  if (ec) return out;
  http::request<http::string_body> req{
      http::string_to_verb(beast::string_view(method.data(), method.size())),
      beast::string_view(target.data(), target.size()), 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::content_type, "application/json");
  for (auto& [k, v] : headers) req.set(k, v);
  req.body() = std::string(body);
  req.prepare_payload();
  http::write(socket, req, ec);
  if (ec) return out;
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(256u << 20);
  http::read(socket, buffer, parser, ec);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (ec) return out;
  auto res = parser.release();
  out.status = static_cast<int>(res.result_int());
  out.body = std::move(res.body());
  for (const auto& f : res) {
    std::string name(f.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(f.value());
  }
  return out;
}

std::vector<Sample> parseSamples(std::string_view text) {
  std::vector<Sample> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.empty() || line[0] == '#') continue;
    Sample s;
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    s.name = std::string(line.substr(0, i));
    bool malformed = false;
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        size_t eq = line.find('=', i);
        if (eq == std::string_view::npos || eq + 1 >= line.size() || line[eq + 1] != '"') {
          malformed = true;  // garbage (eppd-sim --metrics-fault garbage): not a sample
          break;
        }
        std::string key(line.substr(i, eq - i));
        size_t q = eq + 2;  // after ="
        std::string value;
        while (q < line.size() && line[q] != '"') {
          if (line[q] == '\\' && q + 1 < line.size()) ++q;
          value.push_back(line[q++]);
        }
        s.labels[key] = value;
        i = q + 1;
        if (i < line.size() && line[i] == ',') ++i;
      }
      ++i;
    }
    if (malformed || i + 1 > line.size()) continue;
    s.value = std::strtod(std::string(line.substr(i + 1)).c_str(), nullptr);
    out.push_back(std::move(s));
  }
  return out;
}

std::optional<double> sampleValue(const std::vector<Sample>& samples, std::string_view name,
                                  const std::map<std::string, std::string>& labels) {
  for (const Sample& s : samples) {
    if (s.name != name) continue;
    bool match = true;
    for (const auto& [k, v] : labels) {
      auto it = s.labels.find(k);
      match = match && it != s.labels.end() && it->second == v;
    }
    if (match) return s.value;
  }
  return std::nullopt;
}

std::map<std::string, std::string> familyTypes(std::string_view text) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  while ((pos = text.find("# TYPE ", pos)) != std::string_view::npos) {
    size_t eol = text.find('\n', pos);
    std::string_view line = text.substr(pos + 7, eol - pos - 7);
    size_t space = line.find(' ');
    out[std::string(line.substr(0, space))] = std::string(line.substr(space + 1));
    pos = eol;
  }
  return out;
}

std::vector<std::string> sseData(std::string_view body) {
  std::vector<std::string> out;
  size_t pos = 0;
  while ((pos = body.find("data: ", pos)) != std::string_view::npos) {
    size_t end = body.find("\n\n", pos);
    out.emplace_back(body.substr(pos + 6, end - pos - 6));
    pos = end;
  }
  return out;
}

}  // namespace epp::sim::testing
