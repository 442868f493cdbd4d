// fuse_server.cc — the libfuse low-level callbacks over an ns::Tree.
//
// Open files live in a table keyed by the FUSE file handle, each held by a
// shared_ptr: a process killed while blocked in read(2) makes the kernel send
// RELEASE while our worker is still inside Handle::read, and the handle must
// outlive that call. Reads of one open file take turns (as Plan 9's qread
// does), because a Handle renders its text per open and is not meant to serve
// two reads at once; writes do not wait for reads (a program may block reading
// `data` while another thread writes it).
#define FUSE_USE_VERSION 314
#include "serve/fuse/fuse_server.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <linux/fuse.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <ctime>
#include <vector>

namespace ninet {

struct FuseServer::Open {
  std::unique_ptr<ns::Handle> h;  // a file
  ns::Qid dir = 0;                // a directory: its qid and a snapshot
  std::mutex dir_mu;
  std::vector<ns::Stat> entries;
  bool reading = false;  // a read is in the tree (guarded by FuseServer::mu_)
  std::condition_variable turn;
};

// One read or write in progress; lives on its worker's stack.
struct FuseServer::Call {
  std::shared_ptr<Open> o;
  bool read = false;       // takes the open file's read turn
  bool cancelled = false;  // guarded by FuseServer::mu_
  bool in_tree = false;    // guarded by FuseServer::mu_
  bool has_turn = false;
};

uint64_t FuseServer::dyn_ino(ns::Qid q) {
  std::lock_guard<std::mutex> g(mu_);
  uint64_t ino = kDynIno | next_dyn_++;
  dyn_.emplace(ino, Dyn{q, 1});
  return ino;
}

void FuseServer::forget_ino(uint64_t ino, uint64_t n) {
  if (!(ino & kDynIno)) return;
  std::lock_guard<std::mutex> g(mu_);
  auto it = dyn_.find(ino);
  if (it == dyn_.end()) return;
  if (it->second.nlookup <= n)
    dyn_.erase(it);
  else
    it->second.nlookup -= n;
}

bool FuseServer::qid_of(uint64_t ino, ns::Qid* q) {
  if (!(ino & kDynIno)) {
    *q = ns::Qid(ino - 1);
    return true;
  }
  std::lock_guard<std::mutex> g(mu_);
  auto it = dyn_.find(ino);
  if (it == dyn_.end()) return false;
  *q = it->second.qid;
  return true;
}

uint64_t FuseServer::add_open(std::shared_ptr<Open> o) {
  std::lock_guard<std::mutex> g(mu_);
  uint64_t fh = next_fh_++;
  opens_.emplace(fh, std::move(o));
  return fh;
}

std::shared_ptr<FuseServer::Open> FuseServer::find_open(uint64_t fh) {
  std::lock_guard<std::mutex> g(mu_);
  auto it = opens_.find(fh);
  return it == opens_.end() ? nullptr : it->second;
}

void FuseServer::drop_open(uint64_t fh) {
  std::shared_ptr<Open> o;
  std::lock_guard<std::mutex> g(mu_);
  auto it = opens_.find(fh);
  if (it == opens_.end()) return;
  o = std::move(it->second);
  opens_.erase(it);
  // Calls still running on a released file belong to a process that is gone
  // (killed while blocked): end them. The handle dies with the last of them.
  for (Call* c : calls_)
    if (c->o == o) interrupt(*c);
}

bool FuseServer::begin(Call& c) {
  std::unique_lock<std::mutex> l(mu_);
  if (closing_) return false;
  calls_.insert(&c);
  if (c.read) {
    c.o->turn.wait(l, [&] { return !c.o->reading || c.cancelled || closing_; });
    if (c.cancelled || closing_) return true;  // the caller sees cancelled
    c.o->reading = c.has_turn = true;
  }
  c.in_tree = !c.cancelled;
  return true;
}

void FuseServer::end(Call& c) {
  std::lock_guard<std::mutex> g(mu_);
  c.in_tree = false;
  if (c.has_turn) {
    c.o->reading = c.has_turn = false;
    c.o->turn.notify_all();
  }
  calls_.erase(&c);
}

void FuseServer::interrupt(Call& c) {  // mu_ held
  c.cancelled = true;
  if (c.in_tree) c.o->h->interrupt();
  c.o->turn.notify_all();
}

// The callbacks, as static members so that they may use the server's state.
struct FuseOps {
  static FuseServer& srv(fuse_req_t req) {
    return *static_cast<FuseServer*>(fuse_req_userdata(req));
  }
  static fuse_ino_t ino_of(ns::Qid q) { return fuse_ino_t(q + 1); }
  // The qid of an inode; false (after replying ENOENT) for a forgotten one.
  static bool qid(fuse_req_t req, fuse_ino_t ino, ns::Qid* q) {
    if (srv(req).qid_of(ino, q)) return true;
    fuse_reply_err(req, ENOENT);
    return false;
  }
  static ns::User who(fuse_req_t req) { return srv(req).users_.user(fuse_req_ctx(req)->uid); }

  static void fill_attr(FuseServer& srv, const ns::Stat& s, fuse_ino_t ino, struct stat* st) {
    std::memset(st, 0, sizeof *st);
    st->st_ino = ino;
    st->st_mode = (s.dir ? S_IFDIR : S_IFREG) | (s.mode & 07777);
    st->st_nlink = s.dir ? 2 : 1;
    st->st_size = off_t(s.length);
    st->st_blksize = 4096;
    if (s.owner.empty()) {
      st->st_uid = getuid();
      st->st_gid = getgid();
    } else {
      auto [uid, gid] = srv.users_.ids(s.owner);
      st->st_uid = uid;
      st->st_gid = gid;
    }
    st->st_atime = st->st_mtime = st->st_ctime = std::time(nullptr);
  }

  static void reply_err(fuse_req_t req, const Error& e) {
    int n = e.errnum();
    fuse_reply_err(req, n ? n : EIO);
  }

  static void init(void*, fuse_conn_info* conn) {
    // `> file` opens with O_TRUNC and lets the tree decide (a ctl ignores it)
    // instead of a separate setattr(size 0) that a ctl file would refuse.
    if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC) conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
    // One read(2) is one tree read: no read-ahead in parallel, and a large
    // direct read is not split into concurrent requests (a stream read would
    // block in the second one).
    conn->want &= ~unsigned(FUSE_CAP_ASYNC_READ | FUSE_CAP_ASYNC_DIO | FUSE_CAP_WRITEBACK_CACHE);
    conn->max_write = 128 * 1024;
    conn->max_readahead = 0;
  }

  static void lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
    FuseServer& sv = srv(req);
    ns::Tree& t = sv.tree();
    ns::Qid dir;
    if (!qid(req, parent, &dir)) return;
    auto q = t.walk(dir, name);
    if (!q) return reply_err(req, q.error());
    auto s = t.stat(*q);
    if (!s) return reply_err(req, s.error());
    fuse_entry_param e{};
    // A clone file: a new inode for each lookup (see the header).
    e.ino = s->clone ? sv.dyn_ino(*q) : ino_of(*q);
    e.generation = 1;
    fill_attr(sv, *s, e.ino, &e.attr);
    e.attr_timeout = 0;
    e.entry_timeout = 0;
    if (fuse_reply_entry(req, &e) != 0) sv.forget_ino(e.ino, 1);
  }

  static void forget(fuse_req_t req, fuse_ino_t ino, uint64_t n) {
    srv(req).forget_ino(ino, n);
    fuse_reply_none(req);
  }
  static void forget_multi(fuse_req_t req, size_t count, fuse_forget_data* f) {
    for (size_t i = 0; i < count; i++)
      srv(req).forget_ino(f[i].ino, f[i].nlookup);
    fuse_reply_none(req);
  }

  static void getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
    ns::Qid q;
    if (!qid(req, ino, &q)) return;
    auto s = srv(req).tree().stat(q);
    if (!s) return reply_err(req, s.error());
    struct stat st;
    fill_attr(srv(req), *s, ino, &st);
    fuse_reply_attr(req, &st, 0);
  }

  // chmod and chown go to the tree, which decides (a conversation's owner
  // may change its mode or give it away); truncation to 0 too (ndb clears,
  // ctl files ignore it). Times are not kept: accepted so `touch` works.
  static void setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set,
                      fuse_file_info*) {
    FuseServer& sv = srv(req);
    ns::Tree& t = sv.tree();
    ns::Qid q;
    if (!qid(req, ino, &q)) return;
    ns::User u = who(req);
    if (to_set & FUSE_SET_ATTR_SIZE) {
      if (attr->st_size != 0) return (void)fuse_reply_err(req, EINVAL);
      auto st = t.truncate(q, u);
      if (!st) return reply_err(req, st.error());
    }
    if (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
      auto cur = t.stat(q);
      if (!cur) return reply_err(req, cur.error());
      auto [uid, gid] = sv.users_.ids(cur->owner);
      // A file's group is its owner's: only "no change" is accepted.
      if ((to_set & FUSE_SET_ATTR_GID) && attr->st_gid != gid && !(to_set & FUSE_SET_ATTR_UID))
        return (void)fuse_reply_err(req, EPERM);
      if ((to_set & FUSE_SET_ATTR_UID) && attr->st_uid != uid) {
        auto st = t.chown(q, u, sv.users_.user(attr->st_uid).name);
        if (!st) return reply_err(req, st.error());
      }
    }
    if (to_set & FUSE_SET_ATTR_MODE) {
      auto st = t.chmod(q, u, uint32_t(attr->st_mode & 07777));
      if (!st) return reply_err(req, st.error());
    }
    auto s = t.stat(q);
    if (!s) return reply_err(req, s.error());
    struct stat out;
    fill_attr(sv, *s, ino, &out);
    fuse_reply_attr(req, &out, 0);
  }

  // access(2), `test -w`: the tree's answer (no default_permissions).
  static void access(fuse_req_t req, fuse_ino_t ino, int mask) {
    ns::Qid q;
    if (!qid(req, ino, &q)) return;
    ns::Tree& t = srv(req).tree();
    auto s = t.stat(q);
    if (!s) return reply_err(req, s.error());
    if ((mask & X_OK) && !s->dir && !(s->mode & 0111)) return (void)fuse_reply_err(req, EACCES);
    int flags = (mask & W_OK) ? ((mask & R_OK) ? O_RDWR : O_WRONLY) : O_RDONLY;
    if (mask & (R_OK | W_OK)) {
      auto st = t.access(q, flags, who(req));
      if (!st) return reply_err(req, st.error());
    }
    fuse_reply_err(req, 0);
  }

  static void opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    ns::Qid q;
    if (!qid(req, ino, &q)) return;
    auto s = srv(req).tree().stat(q);
    if (!s) return reply_err(req, s.error());
    if (!s->dir) return (void)fuse_reply_err(req, ENOTDIR);
    auto o = std::make_shared<FuseServer::Open>();
    o->dir = q;
    fi->fh = srv(req).add_open(std::move(o));
    fi->keep_cache = 0;
    fi->cache_readdir = 0;
    if (fuse_reply_open(req, fi) != 0) srv(req).drop_open(fi->fh);
  }

  // Offsets: 1 ".", 2 "..", 3+i the i-th entry. The listing is taken afresh
  // at offset 0 (opendir, rewinddir) and served from that snapshot after.
  static void readdir_common(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                             fuse_file_info* fi, bool plus) {
    FuseServer& s = srv(req);
    auto o = s.find_open(fi->fh);
    if (!o) return (void)fuse_reply_err(req, EBADF);
    std::lock_guard<std::mutex> g(o->dir_mu);
    if (off == 0) {
      auto d = s.tree().readdir(o->dir);
      if (!d) return reply_err(req, d.error());
      o->entries = std::move(*d);
    }
    std::vector<char> buf(size);
    size_t used = 0;
    for (size_t i = size_t(off); i < o->entries.size() + 2; i++) {
      ns::Stat dot;
      const ns::Stat* e;
      const char* name;
      if (i < 2) {
        dot.qid = o->dir;
        dot.dir = true;
        dot.mode = 0555;
        e = &dot;
        name = i == 0 ? "." : "..";
      } else {
        e = &o->entries[i - 2];
        name = e->name.c_str();
      }
      size_t n;
      if (plus) {
        fuse_entry_param ep{};
        ep.ino = ino_of(e->qid);
        ep.generation = 1;
        fill_attr(s, *e, ep.ino, &ep.attr);
        n = fuse_add_direntry_plus(req, buf.data() + used, size - used, name, &ep, off_t(i + 1));
      } else {
        struct stat st;
        fill_attr(s, *e, ino_of(e->qid), &st);
        n = fuse_add_direntry(req, buf.data() + used, size - used, name, &st, off_t(i + 1));
      }
      if (n > size - used) break;
      used += n;
    }
    fuse_reply_buf(req, buf.data(), used);
  }
  static void readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
    readdir_common(req, ino, size, off, fi, false);
  }
  static void readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                          fuse_file_info* fi) {
    readdir_common(req, ino, size, off, fi, true);
  }

  static void release_any(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
    srv(req).drop_open(fi->fh);
    fuse_reply_err(req, 0);
  }

  static void on_open_interrupt(fuse_req_t, void* data) {
    static_cast<ns::OpenCancel*>(data)->cancel();
  }

  static void open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    FuseServer& s = srv(req);
    ns::Tree& t = s.tree();
    ns::Qid q;
    if (!qid(req, ino, &q)) return;
    auto st = t.stat(q);
    if (!st) return reply_err(req, st.error());
    if (st->dir) return (void)fuse_reply_err(req, EISDIR);
    // May block (listen) until a call comes or the opener is signalled.
    ns::OpenCancel cancel;
    fuse_req_interrupt_func(req, on_open_interrupt, &cancel);
    auto h = t.open(q, fi->flags & (O_ACCMODE | O_TRUNC), who(req), &cancel);
    fuse_req_interrupt_func(req, nullptr, nullptr);
    if (!h) return reply_err(req, h.error());
    bool generated = st->generated;
    bool stream = st->stream;
    if ((*h)->qid() != q) {  // clone, listen: the fd reads the new ctl
      auto st2 = t.stat((*h)->qid());
      generated = generated || !st2 || st2->generated;
    }
    auto o = std::make_shared<FuseServer::Open>();
    o->h = std::move(*h);
    uint64_t fh = s.add_open(std::move(o));
    // fuse_reply_open() with flags libfuse 3.14 cannot set (see the header).
    fuse_open_out out{};
    out.fh = fh;
    if (generated) out.open_flags |= FOPEN_DIRECT_IO | FOPEN_PARALLEL_DIRECT_WRITES;
    // Streams have no position at all; the ctl that clone and listen give
    // keeps one (a second read is at its end) but cannot seek either.
    if (stream)
      out.open_flags |= FOPEN_STREAM | FOPEN_NONSEEKABLE;
    else if (st->clone)
      out.open_flags |= FOPEN_NONSEEKABLE;
    iovec iov{&out, sizeof out};
    // The opener may have gone (killed) while the open blocked: close it.
    if (fuse_reply_iov(req, &iov, 1) != 0) s.drop_open(fh);
  }

  static void on_interrupt(fuse_req_t req, void* data) {
    FuseServer& s = srv(req);
    std::lock_guard<std::mutex> g(s.mu_);
    s.interrupt(*static_cast<FuseServer::Call*>(data));
  }

  // Runs fn(handle) as one interruptible call; returns its result.
  template <typename Fn>
  static Result<size_t> call(fuse_req_t req, fuse_file_info* fi, bool read, Fn fn) {
    FuseServer& s = srv(req);
    FuseServer::Call c;
    c.o = s.find_open(fi->fh);
    if (!c.o || !c.o->h) return Error(Err::Io, "bad file handle");
    c.read = read;
    // An INTERRUPT that came first calls on_interrupt at once.
    fuse_req_interrupt_func(req, on_interrupt, &c);
    Result<size_t> r = Err::Interrupted;
    if (!s.begin(c)) {
      r = Err::Shutdown;
    } else {
      if (c.in_tree) r = fn(*c.o->h);
      s.end(c);
    }
    // Waits for an on_interrupt still running, and stops later ones: `c` is
    // about to go.
    fuse_req_interrupt_func(req, nullptr, nullptr);
    return r;
  }

  static void read(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
    std::vector<uint8_t> buf(size);
    auto n = call(req, fi, true, [&](ns::Handle& h) { return h.read(buf, uint64_t(off)); });
    if (!n) return reply_err(req, n.error());
    fuse_reply_buf(req, reinterpret_cast<const char*>(buf.data()), std::min(*n, size));
  }

  static void write(fuse_req_t req, fuse_ino_t, const char* data, size_t size, off_t off,
                    fuse_file_info* fi) {
    // One write(2) arrives as one request (direct_io, size <= max_write) and
    // goes to the tree as one message.
    std::span<const uint8_t> msg(reinterpret_cast<const uint8_t*>(data), size);
    auto n = call(req, fi, false, [&](ns::Handle& h) { return h.write(msg, uint64_t(off)); });
    if (!n) return reply_err(req, n.error());
    fuse_reply_write(req, std::min(*n, size));
  }

  static void flush(fuse_req_t req, fuse_ino_t, fuse_file_info*) { fuse_reply_err(req, 0); }

  static void statfs(fuse_req_t req, fuse_ino_t) {
    struct statvfs st {};
    st.f_bsize = 4096;
    st.f_frsize = 4096;
    st.f_namemax = 255;
    fuse_reply_statfs(req, &st);
  }

  // The tree's names are made by the stack, not by users.
  static void perm(fuse_req_t req) { fuse_reply_err(req, EPERM); }
  static void mknod(fuse_req_t req, fuse_ino_t, const char*, mode_t, dev_t) { perm(req); }
  static void mkdir(fuse_req_t req, fuse_ino_t, const char*, mode_t) { perm(req); }
  static void unlink(fuse_req_t req, fuse_ino_t, const char*) { perm(req); }
  static void rename(fuse_req_t req, fuse_ino_t, const char*, fuse_ino_t, const char*, unsigned) {
    perm(req);
  }
  static void create(fuse_req_t req, fuse_ino_t, const char*, mode_t, fuse_file_info*) {
    perm(req);
  }

  static fuse_lowlevel_ops ops() {
    fuse_lowlevel_ops o{};
    o.init = init;
    o.lookup = lookup;
    o.forget = forget;
    o.forget_multi = forget_multi;
    o.getattr = getattr;
    o.setattr = setattr;
    o.access = access;
    o.opendir = opendir;
    o.readdir = readdir;
    o.readdirplus = readdirplus;
    o.releasedir = release_any;
    o.open = open;
    o.read = read;
    o.write = write;
    o.flush = flush;
    o.release = release_any;
    o.statfs = statfs;
    o.mknod = mknod;
    o.mkdir = mkdir;
    o.unlink = unlink;
    o.rmdir = unlink;
    o.rename = rename;
    o.create = create;
    return o;
  }
};

namespace {

const fuse_lowlevel_ops kOps = FuseOps::ops();

// mkdir -p.
Status make_dirs(const std::string& path) {
  for (size_t i = 1; i <= path.size(); i++) {
    if (i < path.size() && path[i] != '/') continue;
    std::string p = path.substr(0, i);
    if (::mkdir(p.c_str(), 0755) < 0 && errno != EEXIST)
      return Error(Err::Io, "mkdir " + p + ": " + std::strerror(errno));
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<FuseServer>> FuseServer::mount(ns::Tree& tree, std::string mp, Options opt) {
  struct stat st;
  int r;
  // The mount of a server that died fails every access with ENOTCONN: detach
  // it (and any other stacked below it) and mount on the directory under it.
  for (int i = 0; (r = ::stat(mp.c_str(), &st)) < 0 && errno == ENOTCONN && i < 16; i++)
    if (umount2(mp.c_str(), MNT_DETACH) < 0)
      return Error(Err::Io, "stale mount " + mp + ": " + std::strerror(errno));
  if (r < 0) {
    if (errno == ENOENT) {
      auto made = make_dirs(mp);
      if (!made) return made.error();
    } else {
      return Error(Err::Io, mp + ": " + std::strerror(errno));
    }
  } else if (!S_ISDIR(st.st_mode)) {
    return Error(Err::Io, mp + ": not a directory");
  }

  std::unique_ptr<FuseServer> s(new FuseServer(tree, mp, opt));
  std::string o = "fsname=ninet,subtype=ninet";
  if (opt.allow_other && geteuid() == 0) o += ",allow_other";
  if (opt.default_permissions) o += ",default_permissions";
  std::vector<std::string> argv_s = {"ninet", "-o", o};
  std::vector<char*> argv;
  for (auto& a : argv_s)
    argv.push_back(a.data());
  fuse_args args = FUSE_ARGS_INIT(int(argv.size()), argv.data());
  s->se_ = fuse_session_new(&args, &kOps, sizeof kOps, s.get());
  fuse_opt_free_args(&args);
  if (!s->se_) return Error(Err::Io, "fuse_session_new failed");
  if (fuse_session_mount(s->se_, mp.c_str()) != 0) {
    fuse_session_destroy(s->se_);
    s->se_ = nullptr;
    return Error(Err::Io, "cannot mount " + mp + " (is /dev/fuse there? root?)");
  }
  s->mounted_ = true;
  FuseServer* self = s.get();
  s->loop_ = std::thread([self] {
    fuse_loop_config* cfg = fuse_loop_cfg_create();
    fuse_loop_cfg_set_max_threads(cfg, self->opt_.max_threads);
    fuse_loop_cfg_set_idle_threads(cfg, self->opt_.max_idle_threads);
    fuse_session_loop_mt(self->se_, cfg);
    fuse_loop_cfg_destroy(cfg);
  });
  // Served by the loop we just started; see unmount().
  s->root_fd_ = ::open(mp.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return s;
}

void FuseServer::unmount() {
  if (!mounted_.exchange(false)) return;
  fuse_session_exit(se_);
  {
    // New calls fail; calls blocked in the tree are interrupted.
    std::lock_guard<std::mutex> g(mu_);
    closing_ = true;
    for (Call* c : calls_)
      interrupt(*c);
  }
  // The loop ends when one of its workers finishes a request and sees the
  // exit flag: make one. statx with FORCE_SYNC always reaches the server, and
  // through root_fd_ it does even if someone detached the mount. It runs on
  // its own thread because the loop may have ended already, with nobody left
  // to answer until fuse_session_unmount() closes the device below.
  std::thread poke([fd = root_fd_, mp = mountpoint_] {
    struct statx sx;
    if (fd >= 0)
      statx(fd, "", AT_EMPTY_PATH | AT_STATX_FORCE_SYNC, STATX_BASIC_STATS, &sx);
    else
      statx(AT_FDCWD, mp.c_str(), AT_STATX_FORCE_SYNC, STATX_BASIC_STATS, &sx);
  });
  if (loop_.joinable()) loop_.join();
  // Closes /dev/fuse (aborting anything still queued, such as a poke nobody
  // read) and detaches the mount.
  fuse_session_unmount(se_);
  poke.join();
  if (root_fd_ >= 0) ::close(root_fd_);
  root_fd_ = -1;
  fuse_session_destroy(se_);
  se_ = nullptr;
  std::unordered_map<uint64_t, std::shared_ptr<Open>> left;
  std::lock_guard<std::mutex> g(mu_);
  left.swap(opens_);  // destroyed after the lock is released
}

FuseServer::~FuseServer() {
  unmount();
}

}  // namespace ninet
