// ninetd — the ninet daemon: runs up to 16 independent stacks in one process,
// applies the start-up configuration (writes into each stack's tree) and
// serves each tree through FUSE (and 9P2000 where configured) until SIGTERM
// or SIGINT, then unmounts cleanly.
//
//   ninetd                       stack 0 at /net with loopback 127.0.0.1/8, ::1
//   ninetd -c /etc/ninet.conf    see cmd/config.h and docs/ninetd.md
//   ninetd -m /tmp/net           default configuration at another mountpoint
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "config.h"
#include "embed.h"
#include "ns/stack_tree.h"
#include "serve/9p/server.h"
#include "serve/fuse/fuse_server.h"
#include "stack/stack.h"

using namespace ninet;

namespace {

void usage() {
  std::fprintf(stderr,
               "usage: ninetd [-c config] [-m mountpoint] [-t]\n"
               "  -c FILE  configuration (default: stack 0 with loopback at /net)\n"
               "  -m DIR   mountpoint of the default configuration (default /net)\n"
               "  -t       check the configuration and exit\n");
  std::exit(2);
}

struct Running {
  std::unique_ptr<Stack> stack;
  std::unique_ptr<ns::StackTree> tree;
  std::unique_ptr<FuseServer> fuse;
  std::unique_ptr<NinepServer> ninep;
};

}  // namespace

int main(int argc, char** argv) {
  std::string config_path, mountpoint = "/net";
  bool check_only = false;
  int c;
  while ((c = getopt(argc, argv, "c:m:th")) != -1) {
    switch (c) {
      case 'c':
        config_path = optarg;
        break;
      case 'm':
        mountpoint = optarg;
        break;
      case 't':
        check_only = true;
        break;
      default:
        usage();
    }
  }
  std::string text;
  if (config_path.empty()) {
    text = default_config(mountpoint);
  } else {
    std::ifstream in(config_path);
    if (!in) {
      std::fprintf(stderr, "ninetd: %s: %s\n", config_path.c_str(), std::strerror(errno));
      return 1;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  auto cfg = parse_config(text);
  if (!cfg) {
    std::fprintf(stderr, "ninetd: %s: %s\n", config_path.empty() ? "default" : config_path.c_str(),
                 cfg.error().text().c_str());
    return 1;
  }

  // Signals are taken by sigwait in main; every thread inherits the mask.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::vector<Running> run;
  int status = 0;
  for (const ConfigStack& cs : cfg->stacks) {
    Running r;
    r.stack = std::make_unique<Stack>(cs.number);
    r.stack->set_busy_poll(cs.busy_poll);
    r.stack->start();
    r.tree = std::make_unique<ns::StackTree>(*r.stack, cs.owner);
    if (auto st = apply_config(cs, *r.tree); !st) {
      std::fprintf(stderr, "ninetd: %s\n", st.error().text().c_str());
      status = 1;
      run.push_back(std::move(r));
      break;
    }
    if (!check_only && !cs.mountpoint.empty()) {
      auto m = FuseServer::mount(*r.tree, cs.mountpoint, FuseServer::Options{});
      if (!m) {
        std::fprintf(stderr, "ninetd: mount %s: %s\n", cs.mountpoint.c_str(),
                     m.error().text().c_str());
        status = 1;
        run.push_back(std::move(r));
        break;
      }
      r.fuse = std::move(*m);
      std::fprintf(stderr, "ninetd: stack %d at %s\n", cs.number, cs.mountpoint.c_str());
    }
    if (!check_only && !cs.ninep.empty()) {
      r.ninep = std::make_unique<NinepServer>(*r.tree);
      for (const ConfigListen& l : cs.ninep) {
        auto st = r.ninep->listen(l.addr, l.remote);
        if (!st) {
          std::fprintf(stderr, "ninetd: stack %d: 9p %s: %s\n", cs.number, l.addr.c_str(),
                       st.error().text().c_str());
          status = 1;
          break;
        }
        std::fprintf(stderr, "ninetd: stack %d on 9p %s\n", cs.number, l.addr.c_str());
      }
    }
    run.push_back(std::move(r));
    if (status) break;
  }

  if (status == 0 && !check_only) {
    int sig = 0;
    sigwait(&set, &sig);
    std::fprintf(stderr, "ninetd: signal %d, shutting down\n", sig);
  }
  // Wake every blocked reader, then unmount (the FUSE loop waits for its
  // workers), then stop the engines.
  for (auto& r : run) {
    std::lock_guard<std::mutex> g(r.stack->ip().mu);
    r.stack->ip().hangup_all();
  }
  for (auto& r : run) {
    if (r.ninep) r.ninep->stop();
    if (r.fuse) r.fuse->unmount();
  }
  for (auto& r : run)
    r.stack->stop();
  run.clear();
  return status;
}
