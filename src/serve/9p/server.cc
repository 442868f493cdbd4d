// server.cc — 9P2000 over an ns::Tree: sockets, connections, fids, and the
// request rules of intro(5), walk(5), open(5), read(5), stat(5), flush(5).
#include "serve/9p/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <deque>
#include <functional>
#include <unordered_map>

#include "ns/users.h"
#include "serve/9p/ninep.h"
#include "serve/9p/sockaddr.h"
#include "serve/9p/workers.h"

namespace ninet {

using ninep::Fcall;

namespace {

// An open file. Reads take turns (a Handle serves one read at a time).
struct OpenFile {
  std::unique_ptr<ns::Handle> h;
  bool reading = false;  // guarded by Conn::mu
  std::condition_variable turn;
};

struct Fid {
  ns::User user;              // who attached (walks carry it to new fids)
  std::vector<ns::Qid> path;  // from the root; back() is this file
  bool dir = false;
  bool open = false;
  bool opening = false;  // a Topen is in progress
  bool stream = false;   // open on a stream (Stat::stream)
  // 9P2000.u: where a short read of the stream ended (see read()).
  uint64_t short_at = ~uint64_t(0);
  uint8_t mode = 0;
  std::shared_ptr<OpenFile> of;
  // An open directory: the listing packed at offset 0, and where each record
  // starts (reads must start on one).
  std::vector<uint8_t> dirbuf;
  std::vector<size_t> dirrec;
};

// A request running on a worker; Tflush finds it by tag.
struct Req {
  Fcall t;
  std::shared_ptr<OpenFile> of;  // read/write: the file
  bool interruptible = false;    // read/write: Tflush waits for its reply
  bool cancelled = false;
  bool in_tree = false;
  bool has_turn = false;
  std::shared_ptr<ns::OpenCancel> open_cancel;  // an open: how a flush ends it
  bool flushed = false;                         // its reply is dropped (flushed before replying)
  bool replying = false;                        // its reply is committed
  std::vector<uint16_t> flushes;                // Tflush tags to answer after its reply
};

uint32_t now32() {
  return uint32_t(std::time(nullptr));
}

ninep::Qid qid_of(const ns::Stat& s) {
  return ninep::Qid{s.dir ? ninep::QTDIR : ninep::QTFILE, 0, s.qid};
}

ninep::Dir dir_of(const ns::Stat& s, uint32_t t, ns::UserIds& users) {
  ninep::Dir d;
  d.qid = qid_of(s);
  d.mode = (s.dir ? ninep::DMDIR : 0) | (s.mode & 0777);
  d.atime = d.mtime = t;
  d.length = s.dir ? 0 : s.length;
  d.name = s.name;
  // A file's group is its owner (as devip shows a conversation).
  d.uid = d.gid = d.muid = s.owner.empty() ? "none" : s.owner;
  auto [uid, gid] = users.ids(d.uid);
  d.n_uid = d.n_muid = uid;
  d.n_gid = gid;
  return d;
}

Fcall error_reply(const Error& e) {
  Fcall r;
  r.type = ninep::Rerror;
  r.ename = e.text();
  r.errnum = uint32_t(e.errnum() ? e.errnum() : EIO);
  return r;
}

bool valid_name(const std::string& n) {
  return !n.empty() && n.find('/') == std::string::npos && n.find('\0') == std::string::npos;
}

}  // namespace

struct NinepServer::Conn {
  Conn(NinepServer& s, int f) : srv(s), tree(s.tree_), fd(f), workers(s.opt_.max_workers) {}

  NinepServer& srv;
  ns::Tree& tree;
  int fd;
  std::thread th;
  std::atomic<bool> done{false};

  std::mutex mu;  // everything below, and OpenFile::reading
  bool closed = false;
  uint32_t msize = 0;
  bool versioned = false;
  std::atomic<bool> dotu{false};  // 9P2000.u was negotiated
  std::unordered_map<uint32_t, std::shared_ptr<Fid>> fids;
  std::unordered_map<uint16_t, std::shared_ptr<Req>> pending;
  std::mutex wmu;  // writes to fd
  ninep::Workers workers;

  // --- replies
  void send(const Fcall& f) {
    auto b = ninep::encode(f, dotu);
    std::lock_guard<std::mutex> g(wmu);
    size_t off = 0;
    while (off < b.size()) {
      ssize_t n = ::send(fd, b.data() + off, b.size() - off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // the reader sees the connection end
      off += size_t(n);
    }
  }
  void reply(const Fcall& t, Fcall r) {
    r.tag = t.tag;
    send(r);
  }
  void rerror(const Fcall& t, const Error& e) { reply(t, error_reply(e)); }
  void rflush(uint16_t tag) {
    Fcall r;
    r.type = ninep::Rflush;
    r.tag = tag;
    send(r);
  }

  // --- requests on workers
  void cancel(Req& r) {  // mu held
    r.cancelled = true;
    if (r.open_cancel) r.open_cancel->cancel();
    if (r.in_tree) r.of->h->interrupt();
    if (r.of) r.of->turn.notify_all();
  }
  // Sends r's reply unless it was flushed (then `commit` is not run either),
  // then the Rflushes that waited for it.
  void finish(const std::shared_ptr<Req>& rq, const Fcall& out,
              const std::function<void()>& commit = nullptr) {
    bool drop;
    {
      std::lock_guard<std::mutex> g(mu);
      drop = rq->flushed;
      if (!drop) {
        rq->replying = true;
        if (commit) commit();
      }
    }
    if (!drop) reply(rq->t, out);
    std::vector<uint16_t> flushes;
    {
      std::lock_guard<std::mutex> g(mu);
      auto it = pending.find(rq->t.tag);
      if (it != pending.end() && it->second == rq) pending.erase(it);
      flushes.swap(rq->flushes);
    }
    for (uint16_t tag : flushes)
      rflush(tag);
  }
  template <typename Fn>
  Result<size_t> call_tree(Req& r, bool read, Fn fn) {
    {
      std::unique_lock<std::mutex> l(mu);
      if (read) {
        r.of->turn.wait(l, [&] { return !r.of->reading || r.cancelled; });
        if (!r.cancelled) r.of->reading = r.has_turn = true;
      }
      r.in_tree = !r.cancelled;
    }
    Result<size_t> res = Err::Interrupted;
    if (r.in_tree) res = fn(*r.of->h);
    std::lock_guard<std::mutex> g(mu);
    r.in_tree = false;
    if (r.has_turn) {
      r.of->reading = r.has_turn = false;
      r.of->turn.notify_all();
    }
    return res;
  }
  std::shared_ptr<Req> start(const Fcall& t) {  // mu held; nullptr: duplicate tag
    auto rq = std::make_shared<Req>();
    rq->t = t;
    auto [it, added] = pending.emplace(t.tag, rq);
    if (!added) {
      // A tag is the client's again once the reply reached it, which may be
      // before the worker that sent it takes the request out of the table.
      if (!it->second->replying) return nullptr;
      it->second = rq;  // finish() erases only its own request
    }
    return rq;
  }

  // --- the messages
  std::shared_ptr<Fid> fid(uint32_t n) {  // mu held
    auto it = fids.find(n);
    return it == fids.end() ? nullptr : it->second;
  }

  void version(const Fcall& t) {
    std::vector<std::shared_ptr<Fid>> gone;
    {
      // A new session: abort what is outstanding and clunk every fid.
      std::lock_guard<std::mutex> g(mu);
      for (auto& [tag, rq] : pending) {
        rq->flushed = true;
        cancel(*rq);
      }
      pending.clear();
      for (auto& [n, f] : fids)
        gone.push_back(std::move(f));
      fids.clear();
      versioned = false;
    }
    gone.clear();
    if (t.msize < ninep::kMinMsize) return rerror(t, Error(Err::BadArg, "msize too small"));
    Fcall r;
    r.type = ninep::Rversion;
    r.msize = std::min(t.msize, srv.opt_.max_msize);
    // version(5): a client's "9P2000.x" may be answered "9P2000". Linux
    // v9fs asks 9P2000.u for errno values and numeric ids; 9P2000.L is
    // answered 9P2000 (not served).
    bool u = t.version.rfind(ninep::kVersionU, 0) == 0;
    if (t.version.rfind(ninep::kVersion, 0) == 0) {
      r.version = u ? ninep::kVersionU : ninep::kVersion;
      msize = r.msize;
      versioned = true;
    } else {
      r.version = "unknown";
      u = false;
    }
    dotu = u;
    reply(t, std::move(r));
  }

  // Who an attach is: its uname, else (9P2000.u, as Linux sends for each
  // local user) the name of n_uname on this host, else "none". There is no
  // authentication: the name is believed (see server.h).
  ns::User attach_user(const Fcall& t) {
    ns::User u;
    if (!t.uname.empty())
      u.name = t.uname;
    else if (dotu && t.n_uname != ninep::kNoUid)
      u.name = srv.users_.user(t.n_uname).name;
    else
      u.name = "none";
    return u;  // never privileged: over 9P the stack's owner is its name
  }

  void attach(const Fcall& t) {
    if (t.afid != ninep::kNoFid) return rerror(t, Error(Err::Perm, "authentication not required"));
    auto st = tree.stat(tree.root());
    if (!st) return rerror(t, st.error());
    {
      std::lock_guard<std::mutex> g(mu);
      if (fids.count(t.fid)) return rerror(t, Error(Err::InUse, "fid in use"));
      auto f = std::make_shared<Fid>();
      f->user = attach_user(t);
      f->path = {tree.root()};
      f->dir = st->dir;
      fids[t.fid] = f;
    }
    Fcall r;
    r.type = ninep::Rattach;
    r.qid = qid_of(*st);
    reply(t, std::move(r));
  }

  void walk(const Fcall& t) {
    std::shared_ptr<Fid> from;
    {
      std::lock_guard<std::mutex> g(mu);
      from = fid(t.fid);
      if (!from) return rerror(t, Error(Err::BadArg, "unknown fid"));
      if (from->open || from->opening) return rerror(t, Error(Err::InUse, "walk of open fid"));
      if (t.newfid != t.fid && fids.count(t.newfid))
        return rerror(t, Error(Err::InUse, "fid in use"));
    }
    std::vector<ns::Qid> path = from->path;
    bool dir = from->dir;
    Fcall r;
    r.type = ninep::Rwalk;
    for (const std::string& name : t.wname) {
      Result<ns::Stat> st = Err::NotFound;
      if (!dir) {
        st = Error(Err::NotFound, "walk in non-directory");
      } else if (name == "..") {
        if (path.size() > 1) path.pop_back();
        st = tree.stat(path.back());
      } else if (!valid_name(name)) {
        st = Error(Err::NotFound, "bad file name");
      } else if (auto q = tree.walk(path.back(), name); !q) {
        st = q.error();
      } else {
        st = tree.stat(*q);
        if (st) path.push_back(*q);
      }
      if (!st) {
        if (r.wqid.empty()) return rerror(t, st.error());
        break;  // a partial walk: newfid is not made
      }
      dir = st->dir;
      r.wqid.push_back(qid_of(*st));
    }
    if (r.wqid.size() == t.wname.size()) {
      std::lock_guard<std::mutex> g(mu);
      if (fid(t.fid) != from) return rerror(t, Error(Err::BadArg, "unknown fid"));
      if (t.newfid != t.fid && fids.count(t.newfid))
        return rerror(t, Error(Err::InUse, "fid in use"));
      auto nf = std::make_shared<Fid>();
      nf->user = from->user;
      nf->path = std::move(path);
      nf->dir = dir;
      fids[t.newfid] = nf;
    }
    reply(t, std::move(r));
  }

  void open(const Fcall& t) {
    std::shared_ptr<Fid> f;
    std::shared_ptr<Req> rq;
    {
      std::lock_guard<std::mutex> g(mu);
      f = fid(t.fid);
      if (!f) return rerror(t, Error(Err::BadArg, "unknown fid"));
      if (f->open || f->opening) return rerror(t, Error(Err::InUse, "fid already open"));
      if (t.mode & ninep::ORCLOSE) return rerror(t, Err::Perm);
      if (f->dir) {
        if ((t.mode & 3) == ninep::OWRITE || (t.mode & 3) == ninep::ORDWR ||
            (t.mode & ninep::OTRUNC))
          return rerror(t, Err::IsDir);
      } else {
        rq = start(t);
        if (!rq) return rerror(t, Error(Err::BadArg, "duplicate tag"));
        rq->open_cancel = std::make_shared<ns::OpenCancel>();
        f->opening = true;
      }
    }
    if (f->dir) {
      auto st = tree.stat(f->path.back());
      if (!st) return rerror(t, st.error());
      {
        std::lock_guard<std::mutex> g(mu);
        f->open = true;
        f->mode = t.mode;
      }
      Fcall r;
      r.type = ninep::Ropen;
      r.qid = qid_of(*st);
      r.iounit = msize - ninep::kIoHdrSz;
      return reply(t, std::move(r));
    }
    // Opening may block (listen): a worker waits; a Tflush cancels it.
    uint32_t iounit = msize - ninep::kIoHdrSz;
    workers.submit([this, f, rq, iounit] {
      static constexpr int kFlags[4] = {O_RDONLY, O_WRONLY, O_RDWR, O_RDONLY};
      int flags = kFlags[rq->t.mode & 3] | ((rq->t.mode & ninep::OTRUNC) ? O_TRUNC : 0);
      bool flushed;
      {
        std::lock_guard<std::mutex> g(mu);
        flushed = rq->flushed;
      }
      // Flushed while queued: nobody wants the file.
      auto h = flushed ? Result<std::unique_ptr<ns::Handle>>(Err::Interrupted)
                       : tree.open(f->path.back(), flags, f->user, rq->open_cancel.get());
      Result<ns::Stat> st = h ? tree.stat((*h)->qid()) : Result<ns::Stat>(h.error());
      Fcall r;
      if (!st) {
        r = error_reply(st.error());
      } else {
        r.type = ninep::Ropen;
        r.qid = qid_of(*st);
        r.iounit = iounit;
      }
      auto of = std::make_shared<OpenFile>();
      if (h && st) of->h = std::move(*h);
      finish(rq, r, [&] {
        f->opening = false;
        if (!st || fid(rq->t.fid) != f) return;  // failed, or clunked meanwhile
        f->open = true;
        f->mode = rq->t.mode;
        f->stream = st->stream;
        f->path.back() = of->h->qid();  // clone, listen: the new ctl
        f->of = std::move(of);
      });
      std::lock_guard<std::mutex> g(mu);
      f->opening = false;  // when flushed, commit did not run
    });
  }

  void read(const Fcall& t) {
    std::shared_ptr<Fid> f;
    uint32_t count = std::min(t.count, msize - ninep::kIoHdrSz);
    {
      std::lock_guard<std::mutex> g(mu);
      f = fid(t.fid);
      if (!f) return rerror(t, Error(Err::BadArg, "unknown fid"));
      if (!f->open) return rerror(t, Error(Err::BadArg, "fid not open"));
      if ((f->mode & 3) == ninep::OWRITE) return rerror(t, Err::WriteOnly);
      if (count == 0) {
        // Nothing asked, nothing taken: as read(2) of 0 bytes, a stream
        // keeps its next datagram and nobody waits.
        Fcall r;
        r.type = ninep::Rread;
        return reply(t, std::move(r));
      }
      if (!f->dir) {
        // Linux's v9fs (the 9P2000.u client there is) repeats a short read
        // at the next offset until its buffer is full or a read returns 0
        // (p9_client_read): on a stream that would wait for more data. The
        // read that continues a short one is answered at once with nothing,
        // so one read(2) gets one datagram, or what a stream had. A later
        // read at that offset (the next read(2)) blocks as usual.
        if (dotu && f->stream && t.offset == f->short_at) {
          f->short_at = ~uint64_t(0);
          Fcall r;
          r.type = ninep::Rread;
          return reply(t, std::move(r));
        }
        auto rq = start(t);
        if (!rq) return rerror(t, Error(Err::BadArg, "duplicate tag"));
        rq->of = f->of;
        rq->interruptible = true;
        workers.submit([this, f, rq, count] {
          std::vector<uint8_t> buf(count);
          auto n = call_tree(*rq, true, [&](ns::Handle& h) { return h.read(buf, rq->t.offset); });
          Fcall r;
          if (!n) {
            r = error_reply(n.error());
          } else {
            r.type = ninep::Rread;
            buf.resize(std::min<size_t>(*n, count));
            r.data = std::move(buf);
          }
          finish(rq, r, [&] {
            if (f->stream && n && *n < count) f->short_at = rq->t.offset + *n;
          });
        });
        return;
      }
    }
    dirread(t, *f, count);
  }

  // Directory reads return whole stat records (read(5)); offset 0 takes a new
  // listing, later offsets must be where an earlier read ended.
  void dirread(const Fcall& t, Fid& f, uint32_t count) {
    if (t.offset == 0) {
      auto d = tree.readdir(f.path.back());
      if (!d) return rerror(t, d.error());
      std::vector<uint8_t> buf;
      std::vector<size_t> rec;
      uint32_t now = now32();
      for (const ns::Stat& s : *d) {
        rec.push_back(buf.size());
        ninep::pack_dir(dir_of(s, now, srv.users_), buf, dotu);
      }
      rec.push_back(buf.size());
      std::lock_guard<std::mutex> g(mu);
      f.dirbuf.swap(buf);
      f.dirrec.swap(rec);
    }
    Fcall r;
    r.type = ninep::Rread;
    {
      std::lock_guard<std::mutex> g(mu);
      auto it = std::lower_bound(f.dirrec.begin(), f.dirrec.end(), t.offset);
      if (it == f.dirrec.end() || *it != t.offset)
        return rerror(t, Error(Err::BadArg, "bad offset in directory read"));
      auto end = it;
      while (end + 1 != f.dirrec.end() && *(end + 1) - *it <= count)
        ++end;
      if (end == it && end + 1 != f.dirrec.end())
        return rerror(t, Error(Err::BadArg, "directory read too small"));
      r.data.assign(f.dirbuf.begin() + long(*it), f.dirbuf.begin() + long(*end));
    }
    reply(t, std::move(r));
  }

  void write(const Fcall& t) {
    std::lock_guard<std::mutex> g(mu);
    auto f = fid(t.fid);
    if (!f) return rerror(t, Error(Err::BadArg, "unknown fid"));
    if (!f->open) return rerror(t, Error(Err::BadArg, "fid not open"));
    if (f->dir) return rerror(t, Err::IsDir);
    if ((f->mode & 3) != ninep::OWRITE && (f->mode & 3) != ninep::ORDWR)
      return rerror(t, Err::ReadOnly);
    auto rq = start(t);
    if (!rq) return rerror(t, Error(Err::BadArg, "duplicate tag"));
    rq->of = f->of;
    rq->interruptible = true;
    workers.submit([this, rq] {
      // One Twrite is one Handle::write: one ctl message.
      auto n =
          call_tree(*rq, false, [&](ns::Handle& h) { return h.write(rq->t.data, rq->t.offset); });
      Fcall r;
      if (!n) {
        r = error_reply(n.error());
      } else {
        r.type = ninep::Rwrite;
        r.count = uint32_t(std::min<size_t>(*n, rq->t.data.size()));
      }
      finish(rq, r);
    });
  }

  // Forgets a fid; calls still running on its file are interrupted.
  bool clunk_fid(uint32_t n) {
    std::shared_ptr<Fid> f;
    {
      std::lock_guard<std::mutex> g(mu);
      auto it = fids.find(n);
      if (it == fids.end()) return false;
      f = std::move(it->second);
      fids.erase(it);
      if (f->of)
        for (auto& [tag, rq] : pending)
          if (rq->of == f->of) cancel(*rq);
    }
    return true;  // the handle closes when its last call ends
  }

  void clunk(const Fcall& t) {
    if (!clunk_fid(t.fid)) return rerror(t, Error(Err::BadArg, "unknown fid"));
    Fcall r;
    r.type = ninep::Rclunk;
    reply(t, std::move(r));
  }

  void remove(const Fcall& t) {
    // remove(5): the fid is clunked even when the remove fails.
    if (!clunk_fid(t.fid)) return rerror(t, Error(Err::BadArg, "unknown fid"));
    rerror(t, Err::Perm);
  }

  Result<ns::Stat> stat_fid(uint32_t n, ns::User* who = nullptr) {
    ns::Qid q;
    {
      std::lock_guard<std::mutex> g(mu);
      auto f = fid(n);
      if (!f) return Error(Err::BadArg, "unknown fid");
      q = f->path.back();
      if (who) *who = f->user;
    }
    return tree.stat(q);
  }

  void stat(const Fcall& t) {
    auto st = stat_fid(t.fid);
    if (!st) return rerror(t, st.error());
    Fcall r;
    r.type = ninep::Rstat;
    ninep::pack_dir(dir_of(*st, now32(), srv.users_), r.stat, dotu);
    reply(t, std::move(r));
  }

  // stat(5): the tree decides a truncation to length 0, a new mode and a
  // new owner (devip: a conversation's owner may change its mode or give it
  // away); times are accepted and not kept (Linux sends mtime with every
  // O_TRUNC open), the name and group may only stay as they are.
  void wstat(const Fcall& t) {
    auto d = ninep::unpack_dir(t.stat, dotu);
    if (!d) return rerror(t, d.error());
    ns::User who;
    auto st = stat_fid(t.fid, &who);
    if (!st) return rerror(t, st.error());
    constexpr uint32_t kKeep = 0xffffffff;
    ninep::Dir cur = dir_of(*st, 0, srv.users_);
    bool name_ok = d->name.empty() || d->name == st->name;
    bool gid_ok = (d->gid.empty() || d->gid == cur.gid) &&
                  (!dotu || d->n_gid == ninep::kNoUid || d->n_gid == cur.n_gid);
    bool len_ok = d->length == ~uint64_t(0) || d->length == 0;
    bool dir_ok = d->mode == kKeep || (d->mode & ninep::DMDIR) == (cur.mode & ninep::DMDIR);
    if (!name_ok || !gid_ok || !len_ok || !dir_ok) return rerror(t, Err::Perm);
    std::string owner = d->uid;
    if (owner.empty() && dotu && d->n_uid != ninep::kNoUid) owner = srv.users_.user(d->n_uid).name;
    if (d->length == 0) {
      auto tr = tree.truncate(st->qid, who);
      if (!tr) return rerror(t, tr.error());
    }
    if (d->mode != kKeep) {  // before chown: the caller may not own it after
      auto m = tree.chmod(st->qid, who, d->mode & 0777);
      if (!m) return rerror(t, m.error());
    }
    if (!owner.empty()) {
      auto o = tree.chown(st->qid, who, owner);
      if (!o) return rerror(t, o.error());
    }
    Fcall r;
    r.type = ninep::Rwstat;
    reply(t, std::move(r));
  }

  void flush(const Fcall& t) {
    {
      std::lock_guard<std::mutex> g(mu);
      auto it = pending.find(t.oldtag);
      if (it != pending.end()) {
        auto& rq = it->second;
        if (rq->interruptible || rq->replying) {
          // Its reply (probably "interrupted") goes first, then ours.
          rq->flushes.push_back(t.tag);
          cancel(*rq);
          return;
        }
        rq->flushed = true;  // an open: drop its result whenever it comes
        cancel(*rq);         // and end it if it blocks (listen)
        pending.erase(it);
      }
    }
    rflush(t.tag);
  }

  void handle(const Fcall& t) {
    if (t.type != ninep::Tversion && t.type != ninep::Tflush && !versioned)
      return rerror(t, Error(Err::BadArg, "version not negotiated"));
    switch (t.type) {
      case ninep::Tversion:
        return version(t);
      case ninep::Tauth:
        return rerror(t, Error(Err::Perm, "authentication not required"));
      case ninep::Tattach:
        return attach(t);
      case ninep::Tflush:
        return flush(t);
      case ninep::Twalk:
        return walk(t);
      case ninep::Topen:
        return open(t);
      case ninep::Tcreate:
        return rerror(t, Err::Perm);
      case ninep::Tread:
        return read(t);
      case ninep::Twrite:
        return write(t);
      case ninep::Tclunk:
        return clunk(t);
      case ninep::Tremove:
        return remove(t);
      case ninep::Tstat:
        return stat(t);
      case ninep::Twstat:
        return wstat(t);
      default:
        return rerror(t, Error(Err::BadArg, "bad message type"));
    }
  }

  bool read_full(uint8_t* p, size_t n) {
    while (n > 0) {
      ssize_t r = ::recv(fd, p, n, 0);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
      p += r;
      n -= size_t(r);
    }
    return true;
  }

  void run() {
    std::vector<uint8_t> buf;
    for (;;) {
      uint8_t hdr[4];
      if (!read_full(hdr, 4)) break;
      uint32_t size = uint32_t(hdr[0] | hdr[1] << 8 | hdr[2] << 16 | uint32_t(hdr[3]) << 24);
      uint32_t limit = versioned ? msize : srv.opt_.max_msize;
      if (size < 7 || size > limit) break;  // cannot be framed: hang up
      buf.resize(size);
      std::memcpy(buf.data(), hdr, 4);
      if (!read_full(buf.data() + 4, size - 4)) break;
      auto t = ninep::decode(buf, dotu);
      if (!t) {
        Fcall bad;
        bad.tag = uint16_t(buf[5] | buf[6] << 8);
        rerror(bad, t.error());
        continue;
      }
      handle(*t);
    }
    teardown();
  }

  void teardown() {
    std::vector<std::shared_ptr<Fid>> gone;
    {
      std::lock_guard<std::mutex> g(mu);
      for (auto& [tag, rq] : pending) {
        rq->flushed = true;
        cancel(*rq);
      }
      for (auto& [n, f] : fids)
        gone.push_back(std::move(f));
      fids.clear();
    }
    gone.clear();
    workers.join();
    {
      std::lock_guard<std::mutex> g(mu);
      closed = true;
      pending.clear();
    }
    ::close(fd);
    done = true;
  }

  void hangup() {
    std::lock_guard<std::mutex> g(mu);
    if (!closed) ::shutdown(fd, SHUT_RDWR);
  }
};

NinepServer::NinepServer(ns::Tree& tree, Options opt) : tree_(tree), opt_(opt) {
  if (opt_.max_msize < ninep::kMinMsize) opt_.max_msize = ninep::kMinMsize;
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

NinepServer::~NinepServer() {
  stop();
  if (stop_fd_ >= 0) ::close(stop_fd_);
}

Status NinepServer::listen(std::string_view addr, bool remote) {
  auto sa = ninep::parse_addr(addr, !remote);
  if (!sa) return sa.error();
  int fd = ::socket(sa->family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error(Err::Io, std::string("socket: ") + std::strerror(errno));
  if (sa->family() == AF_UNIX) {
    // A socket file nobody answers on is left from a crashed server.
    struct stat st;
    if (::lstat(sa->path.c_str(), &st) == 0) {
      if (!S_ISSOCK(st.st_mode)) {
        ::close(fd);
        return Error(Err::AddrInUse, sa->path + " exists and is not a socket");
      }
      int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      bool live = ::connect(probe, sa->addr(), sa->len) == 0;
      ::close(probe);
      if (live) {
        ::close(fd);
        return Error(Err::AddrInUse, sa->path);
      }
      ::unlink(sa->path.c_str());
    }
  } else {
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  }
  if (::bind(fd, sa->addr(), sa->len) < 0 || ::listen(fd, 64) < 0) {
    int e = errno;
    ::close(fd);
    return Error(e == EADDRINUSE ? Err::AddrInUse : Err::Io,
                 std::string(addr) + ": " + std::strerror(e));
  }
  std::lock_guard<std::mutex> g(mu_);
  if (stopping_) {
    ::close(fd);
    return Err::Shutdown;
  }
  if (sa->family() == AF_UNIX) {
    unix_paths_.push_back(sa->path);
  } else {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    tcp_port_ = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                               : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  }
  listen_fds_.push_back(fd);
  acceptors_.emplace_back([this, fd] { accept_loop(fd); });
  return {};
}

void NinepServer::accept_loop(int lfd) {
  for (;;) {
    pollfd p[2] = {{lfd, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (p[1].revents) return;
    if (!(p[0].revents & POLLIN)) continue;
    int c = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) {
      // Out of descriptors or memory: back off instead of spinning.
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
        ::poll(nullptr, 0, 100);
      continue;
    }
    serve(c);
  }
}

void NinepServer::serve(int fd) {
  std::lock_guard<std::mutex> g(mu_);
  if (stopping_) {
    ::close(fd);
    return;
  }
  // Reap connections that ended.
  for (auto it = conns_.begin(); it != conns_.end();) {
    if ((*it)->done) {
      (*it)->th.join();
      it = conns_.erase(it);
    } else {
      ++it;
    }
  }
  auto c = std::make_shared<Conn>(*this, fd);
  c->th = std::thread([c] { c->run(); });
  conns_.push_back(std::move(c));
}

void NinepServer::stop() {
  std::vector<std::thread> acc;
  std::vector<std::shared_ptr<Conn>> conns;
  {
    std::lock_guard<std::mutex> g(mu_);
    if (stopping_) return;
    stopping_ = true;
    acc.swap(acceptors_);
    conns.swap(conns_);
  }
  uint64_t one = 1;
  if (stop_fd_ >= 0) (void)!::write(stop_fd_, &one, sizeof one);
  for (auto& t : acc)
    t.join();
  for (int fd : listen_fds_)
    ::close(fd);
  listen_fds_.clear();
  for (auto& p : unix_paths_)
    ::unlink(p.c_str());
  unix_paths_.clear();
  for (auto& c : conns)
    c->hangup();
  for (auto& c : conns)
    if (c->th.joinable()) c->th.join();
}

}  // namespace ninet
