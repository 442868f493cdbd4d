// fuse_server.h — serves an ns::Tree at a directory through FUSE (libfuse3's
// low-level API, multi-threaded: a blocked `data` or `log` read holds one
// worker, never the others).
//
//   auto srv = FuseServer::mount(tree, "/net", {});
//   ...
//   (*srv)->unmount();     // also done by the destructor; no stale mount left
//
// inode = qid + 1 (the root qid 0 is FUSE_ROOT_ID). Generated files are
// opened with direct_io so every read reaches the tree and a zero st_size does
// not truncate them. Attribute and entry timeouts are 0: conversation and
// interface directories come and go.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "base/error.h"
#include "ns/tree.h"

struct fuse_session;

namespace ninet {

class FuseServer {
 public:
  struct Options {
    bool allow_other = true;    // other users may use the tree (mode bits decide)
    unsigned max_threads = 64;  // blocked readers each hold a worker
  };

  static Result<std::unique_ptr<FuseServer>> mount(ns::Tree& tree, const std::string& mountpoint,
                                                   const Options& opt);
  ~FuseServer();
  void unmount();
  const std::string& mountpoint() const { return mountpoint_; }
  ns::Tree& tree() { return tree_; }

 private:
  FuseServer(ns::Tree& t, std::string mp) : tree_(t), mountpoint_(std::move(mp)) {}
  ns::Tree& tree_;
  std::string mountpoint_;
  fuse_session* se_ = nullptr;
  std::thread loop_;
  std::atomic<bool> mounted_{false};
  Options opt_;
};

}  // namespace ninet
