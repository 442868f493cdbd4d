#include "ns/tree.h"

namespace ninet::ns {

Result<std::string> Handle::read_all() {
  std::string out;
  uint8_t buf[8192];
  for (;;) {
    auto n = read(buf, out.size());
    if (!n) return n.error();
    if (*n == 0) break;
    out.append(reinterpret_cast<char*>(buf), *n);
    if (*n < sizeof buf) break;
  }
  return out;
}

void OpenCancel::cancel() {
  flag_ = true;
  std::function<void()> w;
  {
    std::lock_guard<std::mutex> g(mu_);
    w = waker_;
  }
  // The flag is set before the waker is read: an open that sets its waker
  // after this sees the flag when it next looks (under its own lock).
  if (w) w();
}

void OpenCancel::set_waker(std::function<void()> w) {
  std::lock_guard<std::mutex> g(mu_);
  waker_ = std::move(w);
}

Result<Qid> Tree::walk_path(std::string_view path) {
  Qid q = root();
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view name = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    if (name.empty()) continue;
    auto r = walk(q, name);
    if (!r) return r.error();
    q = *r;
  }
  return q;
}

}  // namespace ninet::ns
