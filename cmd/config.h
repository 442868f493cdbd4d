// config.h — ninetd's start-up configuration: a file of writes into the tree.
//
// Syntax (one item per line, '#' starts a comment):
//
//   stack N [mountpoint]        following lines apply to stack N (0-15); mount
//                               its tree at mountpoint (omit: not mounted)
//   owner NAME                  the stack's files belong to user NAME (default
//                               root): only NAME (and root over FUSE) may
//                               change the stack (docs/ctl.md, Permissions)
//   busypoll off|always|USEC    after input the engine polls its media without
//                               sleeping for USEC microseconds (1-1000000),
//                               or always (a CPU busy, lowest latency);
//                               default off (docs/ninetd.md)
//   9p ADDR [allow-remote]      also serve this stack over 9P2000(.u) at ADDR
//                               (unix!/path or tcp!127.0.0.1!port; a TCP
//                               address off loopback needs allow-remote)
//   FILE MESSAGE...             open FILE (a path in the stack's tree), write
//                               MESSAGE as one write, and keep FILE open
//   . MESSAGE...                write MESSAGE to the file opened by the last
//                               FILE line (after `ipifc/clone`: that new
//                               interface's ctl)
//
// Example:
//
//   stack 0 /net
//   ipifc/clone bind loopback
//   . add 127.0.0.1 255.0.0.0
//   . add ::1 /128
//   ipifc/clone bind ether veth0
//   . add 10.0.0.2 255.255.255.0
//   iproute add 0.0.0.0 0.0.0.0 10.0.0.1
#pragma once

#include <string>
#include <vector>

#include "base/clock.h"
#include "base/error.h"

namespace ninet {

struct ConfigWrite {
  int line = 0;
  std::string file;  // "" for "." (the last opened file)
  std::string message;
};

struct ConfigListen {
  std::string addr;
  bool remote = false;  // allow-remote: a TCP address that is not loopback
};

struct ConfigStack {
  int number = 0;
  std::string mountpoint;           // empty: not mounted
  std::string owner = "root";       // who the stack's files belong to
  Time busy_poll = 0;               // Stack::set_busy_poll: 0 off, kNever always
  std::vector<ConfigListen> ninep;  // 9P listen addresses
  std::vector<ConfigWrite> writes;
};

struct Config {
  std::vector<ConfigStack> stacks;
};

// Parses a configuration text; errors name the line ("line 3: ...").
Result<Config> parse_config(const std::string& text);

// The configuration ninetd uses when started without one: stack 0 mounted at
// `mountpoint`, with a loopback interface holding 127.0.0.1/8 and ::1.
std::string default_config(const std::string& mountpoint);

}  // namespace ninet
