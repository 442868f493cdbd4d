// stack_tree.h — StackTree: the /net tree of one Stack (ip(3)), as an
// ns::Tree that FUSE, 9P and tests serve or drive.
//
//   /                 ipifc/ iproute arp log ndb ipselftab <proto>/...
//   ipifc/            clone stats N/
//   ipifc/N/          ctl status local err [data: bind pkt only]
//   <proto>/          clone stats N/          (one per registered Proto)
//   <proto>/N/        ctl data listen local remote status err
//
// Qids: kind (8 bits) | proto index (8) | interface or conversation (40) |
// file (8). The root is 0. Nothing here knows any particular protocol.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "ns/tree.h"
#include "stack/stack.h"

namespace ninet::ns {

class StackTree final : public Tree {
 public:
  explicit StackTree(Stack& stack);
  ~StackTree() override;

  Qid root() const override { return 0; }
  Result<Qid> walk(Qid dir, std::string_view name) override;
  Result<Stat> stat(Qid q) override;
  Result<std::vector<Stat>> readdir(Qid dir) override;
  Result<std::unique_ptr<Handle>> open(Qid q, int flags) override;
  Status truncate(Qid q) override;

  Stack& stack() { return stack_; }

  // Kinds of qid, and files (exposed for the handle implementation).
  enum Kind : uint8_t {
    kRoot,
    kTopFile,
    kIfcDir,
    kIfcTop,
    kIfcN,
    kIfcFile,
    kProtoDir,
    kProtoTop,
    kConvDir,
    kConvFile
  };
  enum File : uint8_t {
    fNone,
    fIproute,
    fArp,
    fLog,
    fNdb,
    fSelftab,
    fClone,
    fStats,
    fCtl,
    fData,
    fListen,
    fLocal,
    fRemote,
    fStatus,
    fErr
  };
  static Qid make(Kind k, unsigned proto, uint64_t n, File f) {
    return Qid(k) << 56 | Qid(proto & 0xff) << 48 | (n & 0xffffffffffull) << 8 | f;
  }
  static Kind kind(Qid q) { return Kind(q >> 56); }
  static unsigned proto_of(Qid q) { return unsigned(q >> 48 & 0xff); }
  static uint64_t num(Qid q) { return q >> 8 & 0xffffffffffull; }
  static File file(Qid q) { return File(q & 0xff); }

  // ndb: at most 1024 bytes (ip(3)).
  static constexpr size_t kNdbMax = 1024;
  std::mutex ndb_mu;
  std::string ndb;

 private:
  bool exists(Qid q);  // with Ip::mu held
  Stack& stack_;
};

}  // namespace ninet::ns
