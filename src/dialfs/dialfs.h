// dialfs.h — the dial library (dial/dial.h) over the two trees a program
// reaches without a mount: a stack's tree served over 9P by ninetd (or any
// NinepServer), and the tree of a Stack in this very process.
//
//   // Another process or machine, through ninetd's `9p unix!/run/ninet0`:
//   auto fs = dialfs::NinepFs::connect("unix!/run/ninet0");
//   auto c = dial::dial("tcp!10.0.0.2!80", "", **fs);    // its tree is /net
//
//   // A program that embeds a Stack (and benchmarks of it):
//   Stack stack{0};  ns::StackTree tree{stack};  stack.start();
//   dialfs::TreeFs fs(tree);
//   dial::serve("tcp!*!7", echo, {}, fs);
//
//   // Or for every call that names no Fs (the C API too), from
//   // $NINET_NET: a path, or "9p!unix!/run/ninet0":
//   if (auto st = dialfs::use_env(); !st) die(st.error().text());
//
// Both show their tree at a mount point, /net unless told, so addresses
// and directories read as they do over a mounted tree ("/net/tcp/4"), and
// both hand out small integer handles with a file offset each, as file
// descriptors have: a text file (local, err) is read to its end, a stream
// (data, listen) ignores the offset. Calls from many threads are in flight
// at once: a listen blocked in one thread holds up no other call (over
// 9P, NinepClient sends each request as it comes and the server runs
// opens, reads and writes on workers). Closing a handle ends a call still
// blocked on it in another thread (a read of data) with Err::Interrupted.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "dial/dial.h"
#include "ns/tree.h"
#include "serve/9p/client.h"

namespace ninet::dialfs {

// The handles of one Fs: slots reused lowest first, as descriptors are.
template <typename File>
class Handles {
 public:
  int add(std::shared_ptr<File> f) {
    std::lock_guard<std::mutex> g(mu_);
    for (size_t i = 0; i < files_.size(); i++)
      if (!files_[i]) {
        files_[i] = std::move(f);
        return int(i);
      }
    files_.push_back(std::move(f));
    return int(files_.size() - 1);
  }
  // The file of h, kept alive for the caller's call even if h is closed.
  std::shared_ptr<File> get(int h) {
    std::lock_guard<std::mutex> g(mu_);
    return h >= 0 && size_t(h) < files_.size() ? files_[size_t(h)] : nullptr;
  }
  std::shared_ptr<File> take(int h) {
    std::lock_guard<std::mutex> g(mu_);
    if (h < 0 || size_t(h) >= files_.size()) return nullptr;
    return std::move(files_[size_t(h)]);
  }
  std::vector<std::shared_ptr<File>> all() {
    std::lock_guard<std::mutex> g(mu_);
    std::vector<std::shared_ptr<File>> out;
    for (auto& f : files_)
      if (f) out.push_back(f);
    return out;
  }

 private:
  std::mutex mu_;
  std::vector<std::shared_ptr<File>> files_;
};

// A path under `mount` as a path from the tree's root ("/net/tcp/clone"
// -> "tcp/clone"); Err::NotFound for a path outside it.
Result<std::string> tree_path(std::string_view mount, std::string_view path);

// The tree of a stack in this process (ns::StackTree, or any ns::Tree).
class TreeFs final : public dial::Fs {
 public:
  // `who` makes every request (the tree decides what it may do, and owns
  // the conversations it makes): by default privileged, as code in the
  // stack's own process is. The tree must outlive this.
  explicit TreeFs(ns::Tree& tree, ns::User who = {"root", true}, std::string mount = "/net");
  ~TreeFs() override;

  Result<int> open(const std::string& path, int flags) override;
  Result<size_t> read(int h, std::span<uint8_t> buf) override;
  Result<size_t> write(int h, std::span<const uint8_t> data) override;
  void close(int h) override;
  std::string path(int h) override;

  // Ends every call blocked in the tree (listen opens, reads) with
  // Err::Interrupted, as before a stack is stopped.
  void interrupt_all();

 private:
  struct File;
  ns::Tree& tree_;
  const ns::User who_;
  const std::string mount_;
  Handles<File> files_;
  std::mutex mu_;
  std::vector<ns::OpenCancel*> opening_;  // with mu_: opens in progress
};

// A tree served over 9P2000 (NinepServer: ninetd's `9p ADDR`).
class NinepFs final : public dial::Fs {
 public:
  // addr: "unix!/path", "/path" or "tcp!host!port" (NinepClient::connect).
  static Result<std::unique_ptr<NinepFs>> connect(std::string_view addr,
                                                  std::string mount = "/net");
  explicit NinepFs(std::unique_ptr<NinepClient> client, std::string mount = "/net");
  ~NinepFs() override;

  Result<int> open(const std::string& path, int flags) override;
  Result<size_t> read(int h, std::span<uint8_t> buf) override;
  // Writes larger than the client's message size go in several Twrites
  // (data); a ctl message must fit in one (it does: they are short).
  Result<size_t> write(int h, std::span<const uint8_t> data) override;
  void close(int h) override;
  std::string path(int h) override;

  NinepClient& client() { return *client_; }

 private:
  struct File;
  std::unique_ptr<NinepClient> client_;
  const std::string mount_;
  Handles<File> files_;
};

// Makes `net` the default of every dial call that names no Fs, and of the
// C API: a path to a mounted tree ("/net", "/n/other"), or "9p!ADDR" (ADDR
// as NinepFs::connect takes it), connected now; its tree is then /net.
// A second call replaces the default (an earlier NinepFs stays connected:
// calls in progress may use it).
Status use_net(std::string_view net);
// use_net($NINET_NET) when it is set; else nothing changes.
Status use_env();

}  // namespace ninet::dialfs
