// stack_tree.h — StackTree: the /net tree of one Stack (ip(3)), as an
// ns::Tree that FUSE, 9P and tests serve or drive.
//
//   /                 ipifc/ iproute arp log ndb ipselftab <proto>/...
//   ipifc/            clone stats N/
//   ipifc/N/          ctl status local err [data: bind pkt only]
//   <proto>/          clone stats N/          (one per registered Proto)
//   <proto>/N/        ctl data listen local remote status err
//   pipex/            enable ctl closed stats err sessions/ (the stack's pipex)
//   pipex/sessions/PROTO.ID/   ctl status stats descr  (l2tp.7: one per session)
//
// Qids: kind (8 bits) | proto index (8) | interface or conversation (40) |
// file (8). The root is 0. Nothing here knows any particular protocol. A
// pipex session's qid has its PIPEX_PROTO_* for the proto index and its id
// for the number.
//
// Permissions (devip's model; docs/ctl.md "Permissions"). Every file has an
// owner and a mode, and an open is allowed by the owner bits for its owner,
// by the other bits for everyone else (a file's group is its owner, as Plan
// 9 shows a conversation's: group bits add nothing). The stack's files
// (ipifc/*, iproute, arp, log, ndb, ipselftab, stats, clones) belong to the
// stack's owner (`owner`, root by default): status files are 0444 or 0644,
// so anyone reads them; writing, and anything that changes the stack
// (ipifc/clone, a pkt interface's data), is the owner's. A protocol's clone
// is 0666: anyone may open it and gets a conversation of their own, whose
// ctl, data, err and listen have its perm (0660 at clone; chmod/wstat by its
// owner changes it) and whose status, local and remote are 0444. The stack's
// owner, and privileged users (FUSE uid 0), pass every check. What is not
// allowed fails with Err::Access (EACCES) and changes nothing. pipex's files
// are the stack's owner's too (issue 3): anyone reads enable, ctl (the
// modes), err and a session's status, stats and descr; only the owner
// writes enable, ctl and a session's ctl, and reads closed (0400: a read
// takes the ids the PPP daemon is waiting for).
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "ns/tree.h"
#include "stack/stack.h"

namespace ninet::ns {

class StackTree final : public Tree {
 public:
  // `owner`: the user name the stack's files belong to.
  explicit StackTree(Stack& stack, std::string owner = "root");
  ~StackTree() override;

  Qid root() const override { return 0; }
  Result<Qid> walk(Qid dir, std::string_view name) override;
  Result<Stat> stat(Qid q) override;
  Result<std::vector<Stat>> readdir(Qid dir) override;
  Result<std::unique_ptr<Handle>> open(Qid q, int flags, const User& who,
                                       OpenCancel* cancel = nullptr) override;
  Status access(Qid q, int flags, const User& who) override;
  Status truncate(Qid q, const User& who) override;
  Status chmod(Qid q, const User& who, uint32_t mode) override;
  Status chown(Qid q, const User& who, std::string_view owner) override;

  Stack& stack() { return stack_; }
  const std::string& owner() const { return owner_; }
  // The stack's owner or a privileged user: passes every check.
  bool is_admin(const User& who) const { return who.privileged || who.name == owner_; }

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
    kConvFile,
    kPipexDir,
    kPipexFile,
    kSessionsDir,
    kSessionDir,
    kSessionFile
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
    fErr,
    fEnable,
    fClosed,
    fDescr
  };
  static Qid make(Kind k, unsigned proto, uint64_t n, File f) {
    return Qid(k) << 56 | Qid(proto & 0xff) << 48 | (n & 0xffffffffffull) << 8 | f;
  }
  static Kind kind(Qid q) { return Kind(q >> 56); }
  static unsigned proto_of(Qid q) { return unsigned(q >> 48 & 0xff); }
  static uint64_t num(Qid q) { return q >> 8 & 0xffffffffffull; }
  static File file(Qid q) { return File(q & 0xff); }

  // With Ip::mu held (handle.cc opens under the same hold, so that the
  // answer still holds when the file is opened):
  // The owner and mode of an existing file.
  void owner_mode(Qid q, std::string* owner, uint32_t* mode);
  // The one permission check: may `who` open q with flags? Err::NotFound if q
  // is not there, Err::Access if not allowed.
  Status check(Qid q, int flags, const User& who);

  // ndb: at most 1024 bytes (ip(3)).
  static constexpr size_t kNdbMax = 1024;
  std::mutex ndb_mu;
  std::string ndb;
  // pipex/err: the last error of a write to pipex/ctl or a session's ctl.
  std::string pipex_err;  // under Ip::mu

 private:
  bool exists(Qid q);  // with Ip::mu held
  Stack& stack_;
  const std::string owner_;
};

}  // namespace ninet::ns
