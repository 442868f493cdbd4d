// tree_fs.cc — TreeFs: dial's Fs over an ns::Tree in this process.
#include <fcntl.h>

#include <algorithm>
#include <atomic>

#include "dialfs/dialfs.h"

namespace ninet::dialfs {

Result<std::string> tree_path(std::string_view mount, std::string_view path) {
  while (mount.ends_with('/'))
    mount.remove_suffix(1);
  if (!path.starts_with(mount) || (path.size() > mount.size() && path[mount.size()] != '/'))
    return Error(Err::NotFound, std::string(path) + " is not under " + std::string(mount));
  path.remove_prefix(mount.size());
  while (path.starts_with('/'))
    path.remove_prefix(1);
  return std::string(path);
}

struct TreeFs::File {
  std::unique_ptr<ns::Handle> h;
  std::string path;
  std::atomic<uint64_t> offset{0};
};

TreeFs::TreeFs(ns::Tree& tree, ns::User who, std::string mount)
    : tree_(tree), who_(std::move(who)), mount_(std::move(mount)) {}

TreeFs::~TreeFs() {
  interrupt_all();
}

Result<int> TreeFs::open(const std::string& path, int flags) {
  auto rel = tree_path(mount_, path);
  if (!rel) return rel.error();
  auto q = tree_.walk_path(*rel);
  if (!q) return q.error().detail().empty() ? Error(q.error().code(), path) : q.error();
  ns::OpenCancel cancel;
  {
    std::lock_guard<std::mutex> g(mu_);
    opening_.push_back(&cancel);
  }
  auto h = tree_.open(*q, flags & (O_ACCMODE | O_TRUNC), who_, &cancel);
  {
    std::lock_guard<std::mutex> g(mu_);
    opening_.erase(std::find(opening_.begin(), opening_.end(), &cancel));
  }
  if (!h) return h.error();
  auto f = std::make_shared<File>();
  f->h = std::move(*h);
  f->path = path;
  return files_.add(std::move(f));
}

Result<size_t> TreeFs::read(int h, std::span<uint8_t> buf) {
  auto f = files_.get(h);
  if (!f) return Error(Err::BadArg, "not an open handle");
  auto n = f->h->read(buf, f->offset.load());
  if (n) f->offset += *n;
  return n;
}

Result<size_t> TreeFs::write(int h, std::span<const uint8_t> data) {
  auto f = files_.get(h);
  if (!f) return Error(Err::BadArg, "not an open handle");
  auto n = f->h->write(data, f->offset.load());
  if (n) f->offset += *n;
  return n;
}

void TreeFs::close(int h) {
  // A call still running on it (another thread's read) ends; the file
  // closes when that call lets go of it.
  if (auto f = files_.take(h)) f->h->interrupt();
}

std::string TreeFs::path(int h) {
  auto f = files_.get(h);
  return f ? f->path : std::string();
}

void TreeFs::interrupt_all() {
  {
    std::lock_guard<std::mutex> g(mu_);
    for (auto* c : opening_)
      c->cancel();
  }
  for (auto& f : files_.all())
    f->h->interrupt();
}

}  // namespace ninet::dialfs
