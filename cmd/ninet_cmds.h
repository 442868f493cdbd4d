// ninet_cmds.h — the commands of the ninet tool, over a mounted tree.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace ninet::tool {

void usage();
int run(const std::string& root, const std::vector<std::string>& args);

// For the commands' files. slurp: a whole file of the tree, 0 or the errno
// of the open or read that failed; read_file: the same, saying why on
// stderr; write_file: one write of msg to path, on failure saying the errno
// and what the `err` file beside path holds.
int slurp(const std::string& path, std::string* out);
bool read_file(const std::string& path, std::string* out);
bool write_file(const std::string& path, const std::string& msg);

// ---- pipex (ninet_pipex.cc) ----

// `ninet pipex ARGS...` (those after "pipex") under the tree at root.
int pipex(const std::string& root, const std::vector<std::string>& args);
// One session as its directory reads.
struct PipexSession {
  std::string name;           // "l2tp.7"
  std::string status, stats;  // the files' text
};
// The table `ninet pipex` prints: SESSION STATE PEER FRAMED IN OUT DESCR,
// IN and OUT in packets; `-` for what a file lacks.
std::string format_pipex(const std::vector<PipexSession>& sessions);

// Formatting of tree files as tables (pure functions, unit-tested).
std::string format_ifcs(const std::vector<std::pair<int, std::string>>& status_by_ifc);
std::string format_routes(const std::string& iproute);
std::string format_arp(const std::string& arp);

// ---- netstat ----

// One conversation as its directory reads: what netstat shows of it.
struct ConvFiles {
  std::string proto;                  // "udp"
  int n = 0;                          // conversation number
  std::string owner;                  // owner of its ctl file
  std::string status, local, remote;  // the files' text
};

struct NetstatArgs {
  bool all = false;                 // -a: Closed and Idle conversations too
  bool numeric = false;             // -n: ports as numbers, not service names
  std::vector<std::string> protos;  // empty: every protocol directory
};
// netstat's arguments (those after "netstat"); false on an unknown flag.
bool parse_netstat_args(const std::vector<std::string>& args, NetstatArgs* o);

// Names a port of a protocol ("udp", "7" -> "echo"); "" keeps the number.
using ServiceName = std::function<std::string(const std::string& proto, const std::string& port)>;

// The table, one line per conversation in the manner of Plan 9's netstat(1)
// (proto conv user state local remote), plus the queues: PROTO CONV OWNER
// STATE LOCAL REMOTE QIN QOUT. STATE is the status file's first word; a
// conversation whose status names it Closed or Idle is left out unless
// `all`. QIN/QOUT come from the status's "qin N qout N", "-" where absent.
std::string format_netstat(const std::vector<ConvFiles>& convs, bool all,
                           const ServiceName& service = nullptr);

// ---- nc ----

struct NcArgs {
  bool udp = false;        // -u: UDP, else TCP
  bool listen = false;     // -l: wait for one caller
  bool verbose = false;    // -v: name the conversation and the caller on stderr
  int family = 0;          // -4, -6: only that IP version; 0 either
  double quit_after = 0;   // -q s: read s seconds more after stdin's EOF (<0: until hangup)
  std::string host, port;  // host is "" for `-l port`
};
// nc's arguments (those after "nc"); false when they do not make a command.
bool parse_nc_args(const std::vector<std::string>& args, NcArgs* o);
// The dial(2) address nc uses under the tree at root ("/net/udp!10.0.0.2!7";
// listening without a host, "/net/udp!*!7"); `host` as resolved.
std::string nc_address(const std::string& root, const NcArgs& o, const std::string& host);

}  // namespace ninet::tool
