// net.cc — use_net/use_env, and ninet_setnet of ninet_dial.h: the default
// tree of dial calls, a mounted path or a 9P service.
#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "dial/c_api.h"
#include "dial/ninet_dial.h"
#include "dialfs/dialfs.h"

namespace ninet::dialfs {

Status use_net(std::string_view net) {
  if (!net.starts_with("9p!")) {
    if (!net.starts_with("/"))
      return Error(Err::BadArg, "a tree is a path or 9p!addr: " + std::string(net));
    dial::set_default(dial::posix_fs(), std::string(net));
    return {};
  }
  auto fs = NinepFs::connect(net.substr(3));
  if (!fs) return fs.error();
  // Kept for the life of the process, never destroyed: calls may be using
  // an earlier one, and threads a program leaves running at exit too.
  static std::mutex mu;
  static auto* kept = new std::vector<std::unique_ptr<NinepFs>>;
  std::lock_guard<std::mutex> g(mu);
  kept->push_back(std::move(*fs));
  dial::set_default(*kept->back(), "/net");
  return {};
}

Status use_env() {
  const char* e = std::getenv("NINET_NET");
  if (!e || !*e) return {};
  return use_net(e);
}

}  // namespace ninet::dialfs

extern "C" int ninet_setnet(const char* net) {
  const char* e = std::getenv("NINET_NET");
  std::string n = net ? net : e && *e ? e : "/net";
  auto st = ninet::dialfs::use_net(n);
  return st ? 0 : ninet::dial::c_fail(st.error());
}
