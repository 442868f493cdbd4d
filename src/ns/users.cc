#include "ns/users.h"

#include <pwd.h>
#include <unistd.h>

#include <vector>

#include "base/fields.h"

namespace ninet::ns {

namespace {

// getpw*_r want a buffer; sysconf's hint may be -1.
size_t pw_buf_size() {
  long n = sysconf(_SC_GETPW_R_SIZE_MAX);
  return n > 0 ? size_t(n) : 16384;
}

}  // namespace

User UserIds::user(uid_t uid) {
  User u;
  u.privileged = uid == 0;
  {
    std::lock_guard<std::mutex> g(mu_);
    auto it = names_.find(uid);
    if (it != names_.end()) {
      u.name = it->second;
      return u;
    }
  }
  std::vector<char> buf(pw_buf_size());
  passwd pw, *res = nullptr;
  if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &res) == 0 && res)
    u.name = pw.pw_name;
  else
    u.name = std::to_string(uid);
  std::lock_guard<std::mutex> g(mu_);
  names_.emplace(uid, u.name);
  return u;
}

std::pair<uid_t, gid_t> UserIds::ids(const std::string& name) {
  {
    std::lock_guard<std::mutex> g(mu_);
    auto it = ids_.find(name);
    if (it != ids_.end()) return it->second;
  }
  std::pair<uid_t, gid_t> r{kOverflowId, kOverflowId};
  std::vector<char> buf(pw_buf_size());
  passwd pw, *res = nullptr;
  auto n = parse_int(name, 0, UINT32_MAX - 1);  // a numeric name is a uid (9P2000.u)
  if (!name.empty() && getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &res) == 0 && res)
    r = {pw.pw_uid, pw.pw_gid};
  else if (n)
    r = {uid_t(*n), gid_t(*n)};
  std::lock_guard<std::mutex> g(mu_);
  ids_.emplace(name, r);
  return r;
}

}  // namespace ninet::ns
