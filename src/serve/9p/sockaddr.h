// sockaddr.h — 9P service addresses in Plan 9 dial-string form.
//
//   "unix!/run/ninet0"  or just "/run/ninet0"   a unix stream socket
//   "tcp!127.0.0.1!564"                         TCP (HOST a literal or "localhost")
//
//   auto a = ninep::parse_addr("tcp!127.0.0.1!564", /*loopback_only=*/true);
//   int fd = socket(a->family(), SOCK_STREAM, 0);  connect(fd, a->addr(), a->len);
#pragma once

#include <sys/socket.h>

#include <string>
#include <string_view>

#include "base/error.h"

namespace ninet::ninep {

struct SockAddr {
  sockaddr_storage ss{};
  socklen_t len = 0;
  std::string path;  // unix sockets
  int family() const { return ss.ss_family; }
  const sockaddr* addr() const { return reinterpret_cast<const sockaddr*>(&ss); }
};

// loopback_only: a TCP host must be 127.0.0.1, localhost or ::1 (servers).
Result<SockAddr> parse_addr(std::string_view addr, bool loopback_only);

}  // namespace ninet::ninep
