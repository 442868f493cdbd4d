// users.h — Linux user ids and the tree's user names, both ways, for the
// servers: FUSE names a request's uid and shows an owner's uid/gid; 9P2000.u
// names an attach's n_uname and sends n_uid/n_gid. The tree itself knows only
// names (Plan 9's way), so a stack's owner may be a user this host lacks.
//
//   UserIds ids;
//   ns::User u = ids.user(fuse_req_ctx(req)->uid);   // {"nobody", false}
//   auto [uid, gid] = ids.ids("glenda");              // not in passwd: 65534
//
// Look-ups go through getpwuid_r/getpwnam_r once per id and are kept (a user
// renamed while the daemon runs is seen under the old name until restart).
#pragma once

#include <sys/types.h>

#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "ns/tree.h"

namespace ninet::ns {

class UserIds {
 public:
  static constexpr uid_t kOverflowId = 65534;  // shown for names with no uid (Linux's overflowuid)

  // The user a request from `uid` is: its passwd name (or the number as
  // text), privileged when uid is 0.
  User user(uid_t uid);
  // The uid and primary gid to show for `name`: its passwd entry, a name
  // that is a number, else kOverflowId.
  std::pair<uid_t, gid_t> ids(const std::string& name);

 private:
  std::mutex mu_;
  std::unordered_map<uid_t, std::string> names_;
  std::unordered_map<std::string, std::pair<uid_t, gid_t>> ids_;
};

}  // namespace ninet::ns
