#define FUSE_USE_VERSION 312
#include "serve/fuse/fuse_server.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <vector>

namespace ninet {

namespace {

ns::Tree& tree_of(fuse_req_t req) {
  return static_cast<FuseServer*>(fuse_req_userdata(req))->tree();
}
ns::Qid qid_of(fuse_ino_t ino) {
  return ns::Qid(ino - 1);
}
fuse_ino_t ino_of(ns::Qid q) {
  return fuse_ino_t(q + 1);
}

void fill_attr(const ns::Stat& s, struct stat* st) {
  std::memset(st, 0, sizeof *st);
  st->st_ino = ino_of(s.qid);
  st->st_mode = (s.dir ? S_IFDIR : S_IFREG) | s.mode;
  st->st_nlink = s.dir ? 2 : 1;
  st->st_size = off_t(s.length);
  st->st_blksize = 8192;
  st->st_uid = getuid();
  st->st_gid = getgid();
}

void reply_err(fuse_req_t req, const Error& e) {
  int n = e.errnum();
  fuse_reply_err(req, n ? n : EIO);
}

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  ns::Tree& t = tree_of(req);
  auto q = t.walk(qid_of(parent), name);
  if (!q) return reply_err(req, q.error());
  auto s = t.stat(*q);
  if (!s) return reply_err(req, s.error());
  fuse_entry_param e{};
  e.ino = ino_of(*q);
  e.generation = 1;
  fill_attr(*s, &e.attr);
  e.attr_timeout = 0;
  e.entry_timeout = 0;
  fuse_reply_entry(req, &e);
}

void op_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  auto s = tree_of(req).stat(qid_of(ino));
  if (!s) return reply_err(req, s.error());
  struct stat st;
  fill_attr(*s, &st);
  fuse_reply_attr(req, &st, 0);
}

void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info*) {
  ns::Tree& t = tree_of(req);
  if (to_set & FUSE_SET_ATTR_SIZE) {
    if (attr->st_size != 0) {
      fuse_reply_err(req, EINVAL);
      return;
    }
    auto st = t.truncate(qid_of(ino));
    if (!st) return reply_err(req, st.error());
  }
  // Times and modes are not kept; accept them so `touch` and shells work.
  auto s = t.stat(qid_of(ino));
  if (!s) return reply_err(req, s.error());
  struct stat out;
  fill_attr(*s, &out);
  fuse_reply_attr(req, &out, 0);
}

struct DirHandle {
  std::vector<ns::Stat> entries;
};

void op_opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  auto d = tree_of(req).readdir(qid_of(ino));
  if (!d) return reply_err(req, d.error());
  auto* h = new DirHandle{std::move(*d)};
  fi->fh = reinterpret_cast<uint64_t>(h);
  fuse_reply_open(req, fi);
}

void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  auto* h = reinterpret_cast<DirHandle*>(fi->fh);
  std::vector<char> buf(size);
  size_t used = 0;
  // Offsets: 1 ".", 2 "..", 3+i the entries.
  std::vector<std::pair<std::string, struct stat>> all;
  struct stat st {};
  st.st_mode = S_IFDIR;
  st.st_ino = ino;
  all.push_back({".", st});
  all.push_back({"..", st});
  for (const ns::Stat& s : h->entries) {
    fill_attr(s, &st);
    all.push_back({s.name, st});
  }
  for (size_t i = size_t(off); i < all.size(); i++) {
    size_t n = fuse_add_direntry(req, buf.data() + used, size - used, all[i].first.c_str(),
                                 &all[i].second, off_t(i + 1));
    if (n > size - used) break;
    used += n;
  }
  fuse_reply_buf(req, buf.data(), used);
}

void op_releasedir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  delete reinterpret_cast<DirHandle*>(fi->fh);
  fuse_reply_err(req, 0);
}

void op_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  ns::Tree& t = tree_of(req);
  auto s = t.stat(qid_of(ino));
  if (!s) return reply_err(req, s.error());
  if (s->dir) {
    fuse_reply_err(req, EISDIR);
    return;
  }
  auto h = t.open(qid_of(ino), fi->flags);
  if (!h) return reply_err(req, h.error());
  fi->fh = reinterpret_cast<uint64_t>(h->release());
  fi->direct_io = s->generated;
  fi->keep_cache = 0;
  fi->nonseekable = 0;
  if (fuse_reply_open(req, fi) == -ENOENT) {
    // The opener went away (interrupted): close what was opened.
    delete reinterpret_cast<ns::Handle*>(fi->fh);
  }
}

void on_interrupt(fuse_req_t, void* data) {
  static_cast<ns::Handle*>(data)->interrupt();
}

void op_read(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  auto* h = reinterpret_cast<ns::Handle*>(fi->fh);
  fuse_req_interrupt_func(req, on_interrupt, h);
  std::vector<uint8_t> buf(size);
  auto n = h->read(buf, uint64_t(off));
  if (!n) return reply_err(req, n.error());
  fuse_reply_buf(req, reinterpret_cast<const char*>(buf.data()), *n);
}

void op_write(fuse_req_t req, fuse_ino_t, const char* data, size_t size, off_t off,
              fuse_file_info* fi) {
  auto* h = reinterpret_cast<ns::Handle*>(fi->fh);
  fuse_req_interrupt_func(req, on_interrupt, h);
  // One write(2) is one message: FUSE delivers it whole (up to max_write).
  auto n = h->write(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data), size),
                    uint64_t(off));
  if (!n) return reply_err(req, n.error());
  fuse_reply_write(req, *n);
}

void op_release(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  delete reinterpret_cast<ns::Handle*>(fi->fh);
  fuse_reply_err(req, 0);
}

void op_statfs(fuse_req_t req, fuse_ino_t) {
  struct statvfs st {};
  st.f_bsize = 8192;
  st.f_namemax = 255;
  fuse_reply_statfs(req, &st);
}

void op_init(void*, fuse_conn_info* conn) {
  // Big writes arrive whole; async reads off so reads of one file stay in order.
  conn->want &= ~unsigned(FUSE_CAP_ASYNC_READ);
  conn->max_write = 128 * 1024;
}

const fuse_lowlevel_ops kOps = [] {
  fuse_lowlevel_ops o{};
  o.init = op_init;
  o.lookup = op_lookup;
  o.getattr = op_getattr;
  o.setattr = op_setattr;
  o.opendir = op_opendir;
  o.readdir = op_readdir;
  o.releasedir = op_releasedir;
  o.open = op_open;
  o.read = op_read;
  o.write = op_write;
  o.release = op_release;
  o.statfs = op_statfs;
  return o;
}();

}  // namespace

Result<std::unique_ptr<FuseServer>> FuseServer::mount(ns::Tree& tree, const std::string& mp,
                                                      const Options& opt) {
  struct stat st;
  if (stat(mp.c_str(), &st) < 0) {
    if (errno == ENOTCONN) {
      // A stale mount of a daemon that died: detach it first.
      umount2(mp.c_str(), MNT_DETACH);
    } else if (errno == ENOENT) {
      if (mkdir(mp.c_str(), 0755) < 0 && errno != EEXIST)
        return Error(Err::Io, "mkdir " + mp + ": " + std::strerror(errno));
    }
  }
  std::unique_ptr<FuseServer> s(new FuseServer(tree, mp));
  s->opt_ = opt;
  std::vector<std::string> argv_s = {"ninetd", "-o", "fsname=ninet,subtype=ninet"};
  if (opt.allow_other && getuid() == 0) argv_s.back() += ",allow_other";
  std::vector<char*> argv;
  for (auto& a : argv_s)
    argv.push_back(a.data());
  fuse_args args = FUSE_ARGS_INIT(int(argv.size()), argv.data());
  s->se_ = fuse_session_new(&args, &kOps, sizeof kOps, s.get());
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
    fuse_loop_cfg_set_idle_threads(cfg, 4);
    fuse_session_loop_mt(self->se_, cfg);
    fuse_loop_cfg_destroy(cfg);
  });
  return s;
}

void FuseServer::unmount() {
  if (!mounted_.exchange(false)) return;
  fuse_session_exit(se_);
  // Unmounting makes the kernel end the session, which wakes the loop's
  // workers out of their reads of /dev/fuse.
  fuse_session_unmount(se_);
  if (loop_.joinable()) loop_.join();
  fuse_session_destroy(se_);
  se_ = nullptr;
}

FuseServer::~FuseServer() {
  unmount();
}

}  // namespace ninet
