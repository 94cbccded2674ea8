#include "tools/bench/targets.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace epp::bench {

using common::Error;
using common::Result;

std::string HostPort::str() const {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                             : fmt::format("{}:{}", host, port);
}

Result<HostPort> parseHostPort(std::string_view text) {
  HostPort out;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Error{fmt::format("'{}' is not [IPV6]:PORT", text)};
    }
    out.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
      return Error{fmt::format("'{}' is not HOST:PORT", text)};
    }
    if (text.substr(0, colon).find(':') != std::string_view::npos) {
      return Error{fmt::format("'{}': write an IPv6 address in brackets, [ADDRESS]:PORT", text)};
    }
    out.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 ||
      value > 65535) {
    return Error{fmt::format("'{}': port '{}' is not 1-65535", text, port)};
  }
  out.port = static_cast<uint16_t>(value);
  return out;
}

Result<std::vector<HostPort>> parseFleet(std::string_view text) {
  std::vector<HostPort> out;
  while (true) {
    size_t comma = text.find(',');
    auto item = parseHostPort(text.substr(0, comma));
    if (!item) return Error{"--fleet: " + item.error()};
    if (std::find(out.begin(), out.end(), *item) != out.end()) {
      return Error{fmt::format("--fleet: {} is listed twice", item->str())};
    }
    out.push_back(*item);
    if (comma == std::string_view::npos) break;
    text = text.substr(comma + 1);
  }
  return out;
}

Result<RunTarget> parseRunTarget(std::string_view text) {
  RunTarget out;
  bool named = false;
  bool targeted = false;
  std::string_view rest = text;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
    if (item == "direct") {
      out.direct = true;
    } else if (item.substr(0, 5) == "name=") {
      out.name = std::string(item.substr(5));
      named = !out.name.empty();
      if (!named) return Error{fmt::format("--run '{}': name= is empty", text)};
    } else if (item.substr(0, 7) == "target=") {
      auto target = parseHostPort(item.substr(7));
      if (!target) return Error{fmt::format("--run '{}': target: {}", text, target.error())};
      out.target = *target;
      targeted = true;
    } else if (item.substr(0, 4) == "pid=") {
      const std::string_view pid = item.substr(4);
      int value = 0;
      auto [end, ec] = std::from_chars(pid.data(), pid.data() + pid.size(), value);
      if (ec != std::errc() || end != pid.data() + pid.size() || value <= 0) {
        return Error{fmt::format("--run '{}': pid= needs a process id", text)};
      }
      out.pid = value;
    } else {
      return Error{fmt::format(
          "--run '{}': '{}' is not name=NAME, target=HOST:PORT, pid=PID or direct", text, item)};
    }
  }
  if (out.direct == targeted) {
    return Error{
        fmt::format("--run '{}': give exactly one of target=HOST:PORT (through eppd) or direct "
                    "(round-robin over --fleet)",
                    text)};
  }
  if (!named) out.name = out.direct ? "round-robin" : "eppd";
  return out;
}

}  // namespace epp::bench
