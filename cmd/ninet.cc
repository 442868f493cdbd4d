// ninet — the tool people type instead of raw file I/O on a stack's tree.
//
//   ninet [-m mountpoint] ifc                 interfaces and addresses
//   ninet ifc N ctl-message...                e.g. ninet ifc 1 add 10.0.0.2 255.255.255.0
//   ninet addr add|del N ADDR [MASK]          add or remove an address on interface N
//   ninet route [add TARGET MASK GW | del TARGET MASK]
//   ninet arp [add IP MAC | del IP | flush]
//   ninet ping [-c count] [-i ms] [-s size] [-W ms] HOST
//   ninet stats [PROTO]                       ipifc/stats or PROTO/stats
//   ninet netstat [-a] [-n] [PROTO...]        every conversation: state, addresses, queues, owner
//   ninet nc [-u] [-4|-6] [-q s] HOST PORT    stdin to a TCP (UDP) call, the call to stdout
//   ninet nc -l [-u] [-4|-6] [-q s] [HOST] PORT   the same with the first caller
//   ninet pipex                               PPP sessions: state, peer, framed address, packets
//   ninet pipex enable|disable|closed         net.pipex.enable; take the closed sessions' PPP ids
//   ninet pipex mode|add|delete|config|descr ...   a message of pipex/ctl
//   ninet cat FILE...                         print tree files
//   ninet write FILE MESSAGE...               one write of MESSAGE to FILE
//
// The mountpoint is -m, else $NINET, else /net. nc reaches it through the
// dial library with a pathed address ("/net/udp!10.0.0.2!7").
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "ninet_cmds.h"

int main(int argc, char** argv) {
  std::string root = getenv("NINET") ? getenv("NINET") : "/net";
  int i = 1;
  if (i + 1 < argc && std::strcmp(argv[i], "-m") == 0) {
    root = argv[i + 1];
    i += 2;
  }
  if (i >= argc) {
    ninet::tool::usage();
    return 2;
  }
  std::vector<std::string> args(argv + i, argv + argc);
  return ninet::tool::run(root, args);
}
