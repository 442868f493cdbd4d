// tree.h — the file tree of one stack, independent of how it is served.
//
// ip(3)'s whole interface is files; FUSE (serve/fuse) and 9P2000 (serve/9p)
// are thin adapters over this one interface, and tests drive it directly.
//
// Files are named by a Qid (a 64-bit path, stable for the life of the object
// it names, as Plan 9's qid.path). Opening a file gives a Handle; opening a
// `clone` or `listen` file gives a Handle on a *different* file (the new
// conversation's ctl), whose qid() says which.
//
//   Tree& t = ...;
//   User me{"glenda"};                      // who asks: the servers fill it
//   Qid q = *t.walk(t.root(), "ipifc");  q = *t.walk(q, "clone");
//   auto h = t.open(q, O_RDWR, me);         // reserves an interface (if allowed)
//   (*h)->write("bind loopback");           // a ctl message
//   char buf[32]; (*h)->read(buf, 0);       // "0"
//
// Permissions are the tree's: open, truncate, chmod and chown take the User
// making the request and decide there, so no server can skip the check
// (stack_tree.h has the rules). A Handle carries what its open was allowed.
//
// read/write may block the calling thread (data, listen): never call them on a
// stack's engine thread. interrupt() makes a blocked call on that handle return
// Err::Interrupted (FUSE INTERRUPT, 9P Tflush); an open that blocks (listen)
// ends the same way through its OpenCancel.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace ninet::ns {

using Qid = uint64_t;

// Who makes a request. FUSE: the user name of the request's uid (uid 0 is
// privileged, as Linux's CAP_DAC_OVERRIDE); 9P: the attach name. Code in the
// daemon's own process (its configuration) is privileged.
struct User {
  std::string name;
  bool privileged = false;  // passes every permission check
};

struct Stat {
  Qid qid = 0;
  std::string name;
  bool dir = false;
  uint32_t mode = 0;      // permission bits (0555 dirs, 0444 read-only, 0660 ctl...)
  uint64_t length = 0;    // 0 for generated files (their content is made on read)
  bool generated = true;  // content made on each read: serve with direct_io
  bool stream = false;    // data, log, pkt data: reads consume, offsets ignored
  bool clone = false;     // opening it opens another file (clone, listen)
  std::string owner;      // user (and group) name; "" where the tree has no owners
};

class Handle {
 public:
  virtual ~Handle() = default;
  // The file this handle is open on (for clone/listen: the new ctl).
  virtual Qid qid() const = 0;
  // Reads at offset. Generated text files render once per open at offset 0 and
  // serve later offsets from that rendering; streams (data, log) ignore offset.
  virtual Result<size_t> read(std::span<uint8_t> buf, uint64_t offset) = 0;
  // Writes: a ctl message (one write = one message), data, or file content.
  virtual Result<size_t> write(std::span<const uint8_t> data, uint64_t offset) = 0;
  virtual void interrupt() {}

  // Conveniences for tests and tools.
  Result<size_t> write(std::string_view s) {
    return write(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()), 0);
  }
  Result<std::string> read_all();  // reads from offset 0 until a short read
};

// Ends an open that blocks (`listen`) from another thread. A server makes one
// per open and calls cancel() when the caller goes away (FUSE INTERRUPT, 9P
// Tflush); the open then fails with Err::Interrupted. The tree sets a waker
// while it blocks: cancel() runs it (without holding this object's lock, so
// the waker may take the tree's locks).
class OpenCancel {
 public:
  void cancel();
  bool cancelled() const { return flag_.load(); }
  const std::atomic<bool>* flag() const { return &flag_; }
  // For the tree: how cancel() reaches a blocked open (nullptr when done).
  void set_waker(std::function<void()> w);

 private:
  std::atomic<bool> flag_{false};
  std::mutex mu_;
  std::function<void()> waker_;
};

class Tree {
 public:
  virtual ~Tree() = default;
  virtual Qid root() const = 0;
  virtual Result<Qid> walk(Qid dir, std::string_view name) = 0;
  virtual Result<Stat> stat(Qid q) = 0;
  virtual Result<std::vector<Stat>> readdir(Qid dir) = 0;
  // flags: O_RDONLY/O_WRONLY/O_RDWR, O_TRUNC. Fails with Err::Access when
  // `who` may not. `cancel` (may be null) ends an open that blocks.
  virtual Result<std::unique_ptr<Handle>> open(Qid q, int flags, const User& who,
                                               OpenCancel* cancel = nullptr) = 0;
  // Would open(q, flags, who) be allowed? (FUSE access(2), `test -w`.)
  virtual Status access(Qid q, int flags, const User& who) { return {}; }
  // setattr size 0 (`> /net/ndb` without O_TRUNC through some paths).
  virtual Status truncate(Qid q, const User& who) { return Err::Perm; }
  // chmod / 9P wstat mode, chown / wstat uid: Err::Perm where not allowed.
  virtual Status chmod(Qid q, const User& who, uint32_t mode) { return Err::Perm; }
  virtual Status chown(Qid q, const User& who, std::string_view owner) { return Err::Perm; }

  // Walks a slash-separated path from the root ("ipifc/0/ctl").
  Result<Qid> walk_path(std::string_view path);
};

}  // namespace ninet::ns
