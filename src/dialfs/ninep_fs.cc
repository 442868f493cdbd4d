// ninep_fs.cc — NinepFs: dial's Fs over a NinepClient, a fid per handle.
#include <fcntl.h>

#include <atomic>
#include <chrono>
#include <condition_variable>

#include "dialfs/dialfs.h"

namespace ninet::dialfs {

// A fid and its offset. Calls on it are counted so that close() clunks
// only when none is left: a fid number is reused by the next walk, and a
// late Tread on it would read another file.
struct NinepFs::File {
  uint32_t fid = 0;
  std::string path;
  std::atomic<uint64_t> offset{0};
  std::mutex mu;
  std::condition_variable cv;
  int busy = 0;         // with mu: calls in progress
  bool closed = false;  // with mu

  bool enter() {
    std::lock_guard<std::mutex> g(mu);
    if (closed) return false;
    busy++;
    return true;
  }
  void leave() {
    std::lock_guard<std::mutex> g(mu);
    if (--busy == 0) cv.notify_all();
  }
};

Result<std::unique_ptr<NinepFs>> NinepFs::connect(std::string_view addr, std::string mount) {
  auto c = NinepClient::connect(addr);
  if (!c) return c.error();
  return std::make_unique<NinepFs>(std::move(*c), std::move(mount));
}

NinepFs::NinepFs(std::unique_ptr<NinepClient> client, std::string mount)
    : client_(std::move(client)), mount_(std::move(mount)) {}

NinepFs::~NinepFs() {
  for (auto& f : files_.all())
    client_->flush(f->fid);
}

Result<int> NinepFs::open(const std::string& path, int flags) {
  auto rel = tree_path(mount_, path);
  if (!rel) return rel.error();
  auto fid = client_->walk(*rel);
  if (!fid) return fid.error().code() == Err::NotFound ? Error(Err::NotFound, path) : fid.error();
  uint8_t mode = (flags & O_ACCMODE) == O_WRONLY ? ninep::OWRITE
                 : (flags & O_ACCMODE) == O_RDWR ? ninep::ORDWR
                                                 : ninep::OREAD;
  if (flags & O_TRUNC) mode |= ninep::OTRUNC;
  if (auto q = client_->open(*fid, mode); !q) {
    (void)client_->clunk(*fid);
    return q.error();
  }
  auto f = std::make_shared<File>();
  f->fid = *fid;
  f->path = path;
  return files_.add(std::move(f));
}

Result<size_t> NinepFs::read(int h, std::span<uint8_t> buf) {
  auto f = files_.get(h);
  if (!f || !f->enter()) return Error(Err::BadArg, "not an open handle");
  auto n = client_->read(f->fid, buf, f->offset.load());
  if (n) f->offset += *n;
  f->leave();
  return n;
}

Result<size_t> NinepFs::write(int h, std::span<const uint8_t> data) {
  auto f = files_.get(h);
  if (!f || !f->enter()) return Error(Err::BadArg, "not an open handle");
  const size_t iounit = client_->msize() - ninep::kIoHdrSz;
  size_t done = 0;
  Result<size_t> r = size_t(0);
  do {
    size_t len = std::min(iounit, data.size() - done);
    r = client_->write(f->fid, data.subspan(done, len), f->offset.load());
    if (!r) break;
    f->offset += *r;
    done += *r;
    if (*r < len) break;
  } while (done < data.size());
  f->leave();
  if (!r && done == 0) return r.error();
  return done;
}

void NinepFs::close(int h) {
  auto f = files_.take(h);
  if (!f) return;
  std::unique_lock<std::mutex> l(f->mu);
  f->closed = true;
  // Flush what is in flight on the fid (another thread's read of data);
  // again if a call was on its way to the server when the flush went.
  while (f->busy > 0) {
    l.unlock();
    client_->flush(f->fid);
    l.lock();
    f->cv.wait_for(l, std::chrono::milliseconds(20), [&] { return f->busy == 0; });
  }
  l.unlock();
  (void)client_->clunk(f->fid);
}

std::string NinepFs::path(int h) {
  auto f = files_.get(h);
  return f ? f->path : std::string();
}

}  // namespace ninet::dialfs
