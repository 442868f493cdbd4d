#include "serve/9p/sockaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstddef>
#include <cstring>

#include "base/fields.h"

namespace ninet::ninep {

Result<SockAddr> parse_addr(std::string_view addr, bool loopback_only) {
  SockAddr a;
  std::string_view rest = addr;
  if (rest.rfind("unix!", 0) == 0) rest.remove_prefix(5);
  if (rest.rfind("tcp!", 0) != 0) {
    sockaddr_un un{};
    if (rest.empty() || rest.size() >= sizeof un.sun_path)
      return Error(Err::BadArg, "bad unix socket path: " + std::string(addr));
    un.sun_family = AF_UNIX;
    std::memcpy(un.sun_path, rest.data(), rest.size());
    std::memcpy(&a.ss, &un, sizeof un);
    a.len = socklen_t(offsetof(sockaddr_un, sun_path) + rest.size() + 1);
    a.path = std::string(rest);
    return a;
  }
  rest.remove_prefix(4);
  size_t bang = rest.rfind('!');
  if (bang == std::string_view::npos) return Error(Err::BadArg, "no port in " + std::string(addr));
  std::string host(rest.substr(0, bang));
  std::string_view port_s = rest.substr(bang + 1);
  auto port = parse_int(port_s, 0, 65535);
  if (!port) return Error(Err::BadPort, std::string(port_s));
  if (host == "localhost") host = "127.0.0.1";
  sockaddr_in in4{};
  sockaddr_in6 in6{};
  if (inet_pton(AF_INET, host.c_str(), &in4.sin_addr) == 1) {
    if (loopback_only && ntohl(in4.sin_addr.s_addr) >> 24 != 127)
      return Error(Err::Perm, "9P is served on loopback only");
    in4.sin_family = AF_INET;
    in4.sin_port = htons(uint16_t(*port));
    std::memcpy(&a.ss, &in4, sizeof in4);
    a.len = sizeof in4;
  } else if (inet_pton(AF_INET6, host.c_str(), &in6.sin6_addr) == 1) {
    if (loopback_only && !IN6_IS_ADDR_LOOPBACK(&in6.sin6_addr))
      return Error(Err::Perm, "9P is served on loopback only");
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(uint16_t(*port));
    std::memcpy(&a.ss, &in6, sizeof in6);
    a.len = sizeof in6;
  } else {
    return Error(Err::BadIp, host);
  }
  return a;
}

}  // namespace ninet::ninep
