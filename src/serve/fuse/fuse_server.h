// fuse_server.h — serves an ns::Tree at a directory through FUSE (libfuse3's
// low-level API, multi-threaded: a blocked `data`, `log` or `listen` call holds
// one worker, never the others).
//
//   auto srv = FuseServer::mount(tree, "/net", {});
//   if (!srv) die(srv.error().text());
//   ...                    // cat /net/ipifc/0/status; echo connect ... > ctl
//   (*srv)->unmount();     // also done by the destructor; no stale mount left
//
// inode = qid + 1 (the root qid becomes FUSE_ROOT_ID when the root qid is 0).
// Generated files are opened with direct_io so every read reaches the tree and
// a zero st_size does not truncate them; page caching is never kept. Attribute
// and entry timeouts are 0: conversation and interface directories come and go.
// One write(2) reaches the tree as one Handle::write (one ctl message).
// A signal to a process blocked in read(2)/write(2) becomes a FUSE INTERRUPT,
// which calls Handle::interrupt() on that call's handle: the call fails EINTR;
// one blocked in open(2) (`listen`) cancels the open through ns::OpenCancel.
// Tree errors reach the caller as Error::errnum().
//
// Who: each request is made by the user of its uid (ns::UserIds; uid 0 is
// privileged), and the tree decides what that user may open, truncate, chmod
// or chown; stat shows each file's owner as uid and gid.
//
// The kernel's own rules (DESIGN.md, "Threads"):
// - Streams (Stat::stream: data, log, pkt data) are opened FOPEN_STREAM: no
//   seeking, no pread(2), and no file position, so a shell's `read` does not
//   read ahead and seek back (losing bytes of the stream), and threads sharing
//   one descriptor do not take turns on its position lock. What clone and
//   listen open (a ctl: read once, then end of file) is non-seekable.
// - A file whose open opens another one (Stat::clone: clone, listen) gets a
//   new inode number at every lookup (and entries are never cached, so every
//   open looks it up): the kernel serializes writes per inode, and without
//   this every conversation opened through one `clone` would share its inode,
//   so a ctl write that blocks (`connect`) would hold up every other one.
//   libfuse 3.14 (Debian 12) cannot ask for parallel direct writes
//   (fuse_file_info lacks parallel_direct_writes), and the kernel takes the
//   inode lock anyway for a write past the file's size, which every write to a
//   zero-length ctl file is. The open reply is sent by hand (fuse_reply_iov)
//   to carry the flags libfuse 3.14 has no field for.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "base/error.h"
#include "ns/tree.h"
#include "ns/users.h"

struct fuse_session;

namespace ninet {

class FuseServer {
 public:
  struct Options {
    bool allow_other = true;           // others may use the tree (root only)
    bool default_permissions = false;  // let the kernel check mode bits
    unsigned max_threads = 512;        // each blocked reader holds one worker
    unsigned max_idle_threads = 16;    // workers kept waiting for requests
  };

  // Mounts `tree` at `mountpoint` (created if missing; a stale FUSE mount left
  // by a crashed server is detached first) and starts serving it.
  static Result<std::unique_ptr<FuseServer>> mount(ns::Tree& tree, std::string mountpoint,
                                                   Options opt);
  static Result<std::unique_ptr<FuseServer>> mount(ns::Tree& tree, std::string mountpoint) {
    return mount(tree, std::move(mountpoint), Options{});
  }
  ~FuseServer();
  FuseServer(const FuseServer&) = delete;
  FuseServer& operator=(const FuseServer&) = delete;

  // Ends every call in progress (EINTR), stops the loop and removes the mount.
  // Idempotent. A tree call that ignores Handle::interrupt() (an open of
  // `listen` before its conversation is hung up) delays it until that call
  // returns.
  void unmount();

  const std::string& mountpoint() const { return mountpoint_; }
  ns::Tree& tree() { return tree_; }

  // Internal to fuse_server.cc (the low-level callbacks use them).
  struct Open;
  struct Call;

 private:
  friend struct FuseOps;
  FuseServer(ns::Tree& t, std::string mp, Options opt)
      : tree_(t), mountpoint_(std::move(mp)), opt_(opt) {}

  // Inode numbers: qid + 1, or (kDynIno | n) for the lookups of clone files.
  static constexpr uint64_t kDynIno = uint64_t(1) << 63;
  uint64_t dyn_ino(ns::Qid q);  // a new one, looked up once
  void forget_ino(uint64_t ino, uint64_t n);
  bool qid_of(uint64_t ino, ns::Qid* q);  // false: a dynamic one forgotten

  uint64_t add_open(std::shared_ptr<Open> o);
  std::shared_ptr<Open> find_open(uint64_t fh);
  void drop_open(uint64_t fh);
  // Registers a call on `o` (fails when unmounting); end() unregisters it.
  bool begin(Call& c);
  void end(Call& c);
  void interrupt(Call& c);

  ns::Tree& tree_;
  std::string mountpoint_;
  Options opt_;
  fuse_session* se_ = nullptr;
  std::thread loop_;
  int root_fd_ = -1;  // an open root directory: lets unmount() reach the loop
  std::atomic<bool> mounted_{false};

  std::mutex mu_;  // guards everything below, and each Open's reader flag
  bool closing_ = false;
  uint64_t next_fh_ = 1;
  std::unordered_map<uint64_t, std::shared_ptr<Open>> opens_;
  std::unordered_set<Call*> calls_;
  uint64_t next_dyn_ = 1;
  struct Dyn {
    ns::Qid qid;
    uint64_t nlookup;
  };
  std::unordered_map<uint64_t, Dyn> dyn_;
  ns::UserIds users_;
};

}  // namespace ninet
