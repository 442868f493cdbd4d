// embed.h — a program that carries its own stacks: the stacks of a ninetd
// configuration run inside the program's process, and dial calls that name
// no Fs reach the first one's tree in-process (dialfs::TreeFs: a read or
// write of data is a function call, with no FUSE or 9P between).
//
//   // NINET_NET=embed!/etc/ninet-ttcp.conf ttcp -r 'tcp!*!5001'
//   auto net = ninet::use_env_embedded();      // also takes a path or 9p!ADDR
//   if (!net) die(net.error().text());
//   ... dial::dial(...) ...                    // *net keeps the stacks running
//
// The configuration is ninetd's (cmd/config.h), but nothing is served:
// mountpoints are not mounted (the first stack's, else /net, names its tree
// in the paths dial hands out) and `9p` lines are ignored.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "config.h"
#include "ns/tree.h"

namespace ninet {

// Opens each FILE of cs's writes in tree and writes its messages, as the
// stack's owner writing the files would; the first failure's text names
// the line ("config line 4: add 10.0.0.2: ...").
Status apply_config(const ConfigStack& cs, ns::Tree& tree);

// Running stacks, with their trees; stopped (every blocked call ended) when
// destroyed.
class Embedded {
 public:
  virtual ~Embedded() = default;
};

// Starts cfg's stacks in this process and makes the first one the default
// of dial calls that name no Fs (and of the C API).
Result<std::unique_ptr<Embedded>> embed(const Config& cfg);

// $NINET_NET: "embed!FILE" embeds FILE's configuration (above); anything
// else is dialfs::use_env's (a mounted path, or 9p!ADDR), and the result is
// then null.
Result<std::unique_ptr<Embedded>> use_env_embedded();

}  // namespace ninet
