// client.cc — NinepClient: tags, a reader thread that hands each reply to the
// call waiting for its tag, and the file operations over that.
#include "serve/9p/client.h"

#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "serve/9p/sockaddr.h"

namespace ninet {

using ninep::Fcall;

struct NinepClient::Call {
  Fcall t;
  bool done = false;
  Result<Fcall> r = Err::Io;
  std::condition_variable cv;
  bool flushing = false;  // a Tflush for it was sent
  int flush_of = -1;      // this is a Tflush for that tag
};

namespace {

std::vector<std::string> split_path(std::string_view p) {
  std::vector<std::string> out;
  while (!p.empty()) {
    size_t s = p.find('/');
    std::string_view e = p.substr(0, s);
    if (!e.empty()) out.emplace_back(e);
    if (s == std::string_view::npos) break;
    p.remove_prefix(s + 1);
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<NinepClient>> NinepClient::connect(std::string_view addr, uint32_t msize,
                                                          std::string uname, bool dotu) {
  auto sa = ninep::parse_addr(addr, false);
  if (!sa) return sa.error();
  int fd = ::socket(sa->family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error(Err::Io, std::string("socket: ") + std::strerror(errno));
  if (::connect(fd, sa->addr(), sa->len) < 0) {
    int e = errno;
    ::close(fd);
    return Error(e == ECONNREFUSED || e == ENOENT ? Err::Refused : Err::Io,
                 std::string(addr) + ": " + std::strerror(e));
  }
  return over_fd(fd, msize, std::move(uname), dotu);
}

Result<std::unique_ptr<NinepClient>> NinepClient::over_fd(int fd, uint32_t msize, std::string uname,
                                                          bool dotu) {
  std::unique_ptr<NinepClient> c(new NinepClient(fd));
  c->msize_ = msize;
  c->reader_ = std::thread([p = c.get()] { p->reader(); });
  auto st = c->start(msize, std::move(uname), dotu);
  if (!st) return st.error();
  return c;
}

NinepClient::~NinepClient() {
  ::shutdown(fd_, SHUT_RDWR);
  if (reader_.joinable()) reader_.join();
  ::close(fd_);
}

Status NinepClient::start(uint32_t msize, std::string uname, bool dotu) {
  Fcall t;
  t.type = ninep::Tversion;
  t.msize = msize;
  t.version = dotu ? ninep::kVersionU : ninep::kVersion;
  auto r = rpc_expect(t, ninep::Rversion);
  if (!r) return r.error();
  if (r->version != t.version) return Error(Err::Io, "server speaks " + r->version);
  dotu_ = dotu;  // Rversion's layout is the same in both
  if (r->msize < ninep::kMinMsize || r->msize > msize) return Error(Err::Io, "bad msize");
  {
    std::lock_guard<std::mutex> g(mu_);
    msize_ = r->msize;
  }
  Fcall a;
  a.type = ninep::Tattach;
  a.fid = root();
  a.afid = ninep::kNoFid;
  if (uname.empty()) {
    const char* user = std::getenv("USER");
    if (user && *user) {
      uname = user;
    } else if (passwd* pw = getpwuid(getuid())) {
      uname = pw->pw_name;
    } else {
      uname = "none";
    }
  }
  a.uname = uname;
  a.n_uname = getuid();
  auto ra = rpc_expect(a, ninep::Rattach);
  if (!ra) return ra.error();
  return {};
}

void NinepClient::reader() {
  std::vector<uint8_t> buf;
  for (;;) {
    uint8_t hdr[4];
    size_t got = 0;
    auto fill = [&](uint8_t* p, size_t n) {
      got = 0;
      while (got < n) {
        ssize_t r = ::recv(fd_, p + got, n - got, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        got += size_t(r);
      }
      return true;
    };
    if (!fill(hdr, 4)) break;
    uint32_t size = uint32_t(hdr[0] | hdr[1] << 8 | hdr[2] << 16 | uint32_t(hdr[3]) << 24);
    if (size < 7 || size > msize_ + 64) break;
    buf.resize(size);
    std::memcpy(buf.data(), hdr, 4);
    if (!fill(buf.data() + 4, size - 4)) break;
    auto f = ninep::decode(buf, dotu_);
    if (!f) break;  // a server we cannot understand: hang up
    std::lock_guard<std::mutex> g(mu_);
    auto it = calls_.find(f->tag);
    if (it == calls_.end()) continue;
    auto c = it->second;
    if (c->flush_of >= 0) {
      // Rflush: the flushed call gets no reply after this one.
      auto o = calls_.find(uint16_t(c->flush_of));
      if (o != calls_.end() && !o->second->done) {
        o->second->done = true;
        o->second->r = Err::Interrupted;
        o->second->cv.notify_all();
      }
    }
    if (!c->done) {
      c->done = true;
      c->r = std::move(*f);
      c->cv.notify_all();
    }
  }
  std::lock_guard<std::mutex> g(mu_);
  dead_ = true;
  for (auto& [tag, c] : calls_) {
    if (!c->done) {
      c->done = true;
      c->r = Error(Err::Hangup, "9P connection closed");
      c->cv.notify_all();
    }
  }
}

Result<Fcall> NinepClient::rpc(Fcall t) {
  auto c = std::make_shared<Call>();
  {
    std::lock_guard<std::mutex> g(mu_);
    if (dead_) return Error(Err::Hangup, "9P connection closed");
    if (t.type == ninep::Tversion) {
      t.tag = ninep::kNoTag;
    } else {
      if (calls_.size() >= 0xfff0) return Error(Err::NoFree, "too many 9P requests");
      do {
        t.tag = next_tag_++;
        if (next_tag_ == ninep::kNoTag) next_tag_ = 0;
      } while (calls_.count(t.tag));
    }
    if (t.type == ninep::Tflush) c->flush_of = t.oldtag;
    c->t = t;
    calls_[t.tag] = c;
  }
  auto bytes = ninep::encode(t, dotu_);
  bool sent = true;
  {
    std::lock_guard<std::mutex> g(wmu_);
    size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        sent = false;
        break;
      }
      off += size_t(n);
    }
  }
  std::unique_lock<std::mutex> l(mu_);
  if (!sent && !c->done) {
    c->done = true;
    c->r = Error(Err::Hangup, "9P connection closed");
  }
  c->cv.wait(l, [&] { return c->done; });
  calls_.erase(t.tag);
  return std::move(c->r);
}

Result<Fcall> NinepClient::rpc_expect(Fcall t, uint8_t rtype) {
  auto r = rpc(std::move(t));
  if (!r) return r.error();
  if (r->type == ninep::Rerror) return error_from_text(r->ename, Err::Io, int(r->errnum));
  if (r->type != rtype)
    return Error(Err::Io, std::string("9P: unexpected ") + ninep::type_name(r->type));
  return r;
}

uint32_t NinepClient::new_fid() {
  std::lock_guard<std::mutex> g(mu_);
  if (!free_fids_.empty()) {
    uint32_t f = free_fids_.back();
    free_fids_.pop_back();
    return f;
  }
  return next_fid_++;
}

void NinepClient::free_fid(uint32_t fid) {
  std::lock_guard<std::mutex> g(mu_);
  free_fids_.push_back(fid);
}

Result<uint32_t> NinepClient::walk(uint32_t fid, std::string_view path) {
  auto names = split_path(path);
  uint32_t nf = new_fid();
  size_t i = 0;
  bool made = false;  // nf exists on the server
  do {
    Fcall t;
    t.type = ninep::Twalk;
    t.fid = made ? nf : fid;
    t.newfid = nf;
    size_t n = std::min(names.size() - i, ninep::kMaxWelem);
    t.wname.assign(names.begin() + long(i), names.begin() + long(i + n));
    auto r = rpc_expect(t, ninep::Rwalk);
    Error err = Err::Ok;
    if (!r)
      err = r.error();
    else if (r->wqid.size() != n)
      err = Error(Err::NotFound, names[i + r->wqid.size()]);
    if (err.code() != Err::Ok) {
      if (made)
        (void)clunk(nf);
      else
        free_fid(nf);
      return err;
    }
    made = true;
    i += n;
  } while (i < names.size());
  return nf;
}

Result<ninep::Qid> NinepClient::open(uint32_t fid, uint8_t mode) {
  Fcall t;
  t.type = ninep::Topen;
  t.fid = fid;
  t.mode = mode;
  auto r = rpc_expect(t, ninep::Ropen);
  if (!r) return r.error();
  return r->qid;
}

Result<size_t> NinepClient::read(uint32_t fid, std::span<uint8_t> buf, uint64_t offset) {
  Fcall t;
  t.type = ninep::Tread;
  t.fid = fid;
  t.offset = offset;
  t.count = uint32_t(std::min<size_t>(buf.size(), msize_ - ninep::kIoHdrSz));
  auto r = rpc_expect(t, ninep::Rread);
  if (!r) return r.error();
  size_t n = std::min(r->data.size(), size_t(t.count));
  if (n) std::memcpy(buf.data(), r->data.data(), n);
  return n;
}

Result<size_t> NinepClient::write(uint32_t fid, std::span<const uint8_t> data, uint64_t offset) {
  if (data.size() > msize_ - ninep::kIoHdrSz)
    return Error(Err::TooBig, "write larger than the 9P message size");
  Fcall t;
  t.type = ninep::Twrite;
  t.fid = fid;
  t.offset = offset;
  t.data.assign(data.begin(), data.end());
  auto r = rpc_expect(t, ninep::Rwrite);
  if (!r) return r.error();
  return size_t(r->count);
}

Status NinepClient::clunk(uint32_t fid) {
  Fcall t;
  t.type = ninep::Tclunk;
  t.fid = fid;
  auto r = rpc_expect(t, ninep::Rclunk);
  if (fid != root()) free_fid(fid);  // clunked even on error (clunk(5))
  if (!r) return r.error();
  return {};
}

Result<ninep::Dir> NinepClient::stat(uint32_t fid) {
  Fcall t;
  t.type = ninep::Tstat;
  t.fid = fid;
  auto r = rpc_expect(t, ninep::Rstat);
  if (!r) return r.error();
  return ninep::unpack_dir(r->stat, dotu_);
}

Status NinepClient::wstat(uint32_t fid, const ninep::Dir& d) {
  Fcall t;
  t.type = ninep::Twstat;
  t.fid = fid;
  ninep::pack_dir(d, t.stat, dotu_);
  auto r = rpc_expect(t, ninep::Rwstat);
  if (!r) return r.error();
  return {};
}

Status NinepClient::truncate(uint32_t fid) {
  ninep::Dir d = ninep::Dir::dont_touch();
  d.length = 0;
  return wstat(fid, d);
}

Result<std::vector<ninep::Dir>> NinepClient::readdir(uint32_t fid) {
  std::vector<ninep::Dir> out;
  std::vector<uint8_t> buf(msize_ - ninep::kIoHdrSz);
  uint64_t off = 0;
  for (;;) {
    auto n = read(fid, buf, off);
    if (!n) return n.error();
    if (*n == 0) break;
    auto ds = ninep::unpack_dirs(std::span<const uint8_t>(buf.data(), *n), dotu_);
    if (!ds) return ds.error();
    for (auto& d : *ds)
      out.push_back(std::move(d));
    off += *n;
  }
  return out;
}

void NinepClient::flush(uint32_t fid) {
  std::vector<uint16_t> tags;
  {
    std::lock_guard<std::mutex> g(mu_);
    for (auto& [tag, c] : calls_) {
      bool on_fid =
          c->t.type == ninep::Tread || c->t.type == ninep::Twrite || c->t.type == ninep::Topen;
      if (on_fid && c->t.fid == fid && !c->done && !c->flushing) {
        c->flushing = true;
        tags.push_back(tag);
      }
    }
  }
  for (uint16_t tag : tags) {
    Fcall t;
    t.type = ninep::Tflush;
    t.oldtag = tag;
    (void)rpc(t);
  }
}

Result<std::string> NinepClient::read_file(std::string_view path) {
  auto f = walk(path);
  if (!f) return f.error();
  auto q = open(*f, ninep::OREAD);
  if (!q) {
    (void)clunk(*f);
    return q.error();
  }
  std::string out;
  std::vector<uint8_t> buf(msize_ - ninep::kIoHdrSz);
  for (;;) {
    auto n = read(*f, buf, out.size());
    if (!n) {
      (void)clunk(*f);
      return n.error();
    }
    if (*n == 0) break;
    out.append(reinterpret_cast<const char*>(buf.data()), *n);
  }
  (void)clunk(*f);
  return out;
}

Status NinepClient::write_file(std::string_view path, std::string_view msg) {
  auto f = walk(path);
  if (!f) return f.error();
  auto q = open(*f, ninep::OWRITE);
  Result<size_t> n = q ? write(*f, msg) : Result<size_t>(q.error());
  (void)clunk(*f);
  if (!n) return n.error();
  return {};
}

Result<std::vector<ninep::Dir>> NinepClient::list(std::string_view path) {
  auto f = walk(path);
  if (!f) return f.error();
  auto q = open(*f, ninep::OREAD);
  auto d = q ? readdir(*f) : Result<std::vector<ninep::Dir>>(q.error());
  (void)clunk(*f);
  return d;
}

}  // namespace ninet
