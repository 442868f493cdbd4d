// stack_tree.cc — names, directories and opens of a stack's tree; the
// handles' reads and writes are in handle.cc.
#include "ns/stack_tree.h"

#include <fcntl.h>

#include <algorithm>

#include "ns/handle.h"
#include "pipex/ctl.h"
#include "pipex/text.h"

namespace ninet::ns {

namespace {

struct Name {
  const char* name;
  StackTree::File file;
  uint32_t mode;
};
// Modes: the stack's files belong to its owner; 0644 files are read by
// anyone and written by the owner, 0660 ones are the owner's alone (a read
// of ipifc/clone reserves an interface; a pkt data read takes packets). A
// conversation's ctl/data/err/listen take the Conv's perm instead.
constexpr Name kTop[] = {{"iproute", StackTree::fIproute, 0644},
                         {"arp", StackTree::fArp, 0644},
                         {"log", StackTree::fLog, 0644},
                         {"ndb", StackTree::fNdb, 0644},
                         {"ipselftab", StackTree::fSelftab, 0444}};
constexpr Name kIfcFiles[] = {{"ctl", StackTree::fCtl, 0644},
                              {"status", StackTree::fStatus, 0444},
                              {"local", StackTree::fLocal, 0444},
                              {"err", StackTree::fErr, 0444},
                              {"data", StackTree::fData, 0660}};
constexpr Name kConvFiles[] = {
    {"ctl", StackTree::fCtl, 0660},       {"data", StackTree::fData, 0660},
    {"listen", StackTree::fListen, 0660}, {"local", StackTree::fLocal, 0444},
    {"remote", StackTree::fRemote, 0444}, {"status", StackTree::fStatus, 0444},
    {"err", StackTree::fErr, 0660}};
// pipex (stack_tree.h): closed is read by the owner alone, since a read
// takes what it lists.
constexpr Name kPipexFiles[] = {{"enable", StackTree::fEnable, 0644},
                                {"ctl", StackTree::fCtl, 0644},
                                {"closed", StackTree::fClosed, 0400},
                                {"stats", StackTree::fStats, 0444},
                                {"err", StackTree::fErr, 0444}};
constexpr Name kSessionFiles[] = {{"ctl", StackTree::fCtl, 0644},
                                  {"status", StackTree::fStatus, 0444},
                                  {"stats", StackTree::fStats, 0444},
                                  {"descr", StackTree::fDescr, 0444}};
constexpr uint32_t kDirMode = 0555;
constexpr uint32_t kIfcCloneMode = 0660;
// Anyone may open a conversation, but only the owner one below IP or over
// whole IP packets (Proto::raw: ether, ipmux; kIfcCloneMode).
constexpr uint32_t kProtoCloneMode = 0666;
constexpr uint32_t kStatsMode = 0444;

const Name* find_name(const Name* names, size_t n, StackTree::File f) {
  for (size_t i = 0; i < n; i++)
    if (names[i].file == f) return &names[i];
  return nullptr;
}

// A conversation's files that take its perm (devip: Qctl, Qdata, Qerr, Qlisten).
bool conv_perm_file(StackTree::File f) {
  return f == StackTree::fCtl || f == StackTree::fData || f == StackTree::fErr ||
         f == StackTree::fListen;
}

bool parse_num(std::string_view s, uint64_t* n) {
  if (s.empty() || s.size() > 9) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + uint64_t(c - '0');
  }
  if (s.size() > 1 && s[0] == '0') return false;
  *n = v;
  return true;
}

bool is_pkt(const Ifc& f) {
  return f.medium && f.medium->caps.user_data;
}

// A session directory's name, "l2tp.7": the protocol's name (not its
// number) and the id without leading zeros, so a session has one name.
bool parse_session(std::string_view name, unsigned* protocol, uint64_t* id) {
  size_t dot = name.find('.');
  if (dot == std::string_view::npos) return false;
  int p = pipex::parse_proto(name.substr(0, dot));
  if (!p || name.substr(0, dot) != pipex::proto_name(p)) return false;
  if (!parse_num(name.substr(dot + 1), id) || *id > 65535) return false;
  *protocol = unsigned(p);
  return true;
}

}  // namespace

StackTree::StackTree(Stack& stack, std::string owner) : stack_(stack), owner_(std::move(owner)) {}
StackTree::~StackTree() = default;

bool StackTree::exists(Qid q) {
  Ip& ip = stack_.ip();
  switch (kind(q)) {
    case kIfcN:
    case kIfcFile: {
      Ifc* f = ip.ifc(int(num(q)));
      if (!f) return false;
      if (kind(q) == kIfcFile && file(q) == fData && !is_pkt(*f)) return false;
      return true;
    }
    case kProtoDir:
    case kProtoTop:
      return proto_of(q) < ip.protos().size();
    case kConvDir:
    case kConvFile: {
      if (proto_of(q) >= ip.protos().size()) return false;
      Conv* c = ip.protos()[proto_of(q)]->conv(int(num(q)));
      return c && (c->inuse || c->refs > 0);
    }
    case kSessionDir:
    case kSessionFile:
      return num(q) <= 0xffff && stack_.pipex().find(int(proto_of(q)), uint16_t(num(q)));
    default:
      return true;
  }
}

Result<Qid> StackTree::walk(Qid dir, std::string_view name) {
  std::lock_guard<std::mutex> g(stack_.ip().mu);
  Ip& ip = stack_.ip();
  if (!exists(dir)) return Err::NotFound;
  if (name == "..") {
    switch (kind(dir)) {
      case kIfcN:
        return make(kIfcDir, 0, 0, fNone);
      case kConvDir:
        return make(kProtoDir, proto_of(dir), 0, fNone);
      case kSessionsDir:
        return make(kPipexDir, 0, 0, fNone);
      case kSessionDir:
        return make(kSessionsDir, 0, 0, fNone);
      default:
        return root();
    }
  }
  if (name == ".") return dir;
  uint64_t n;
  switch (kind(dir)) {
    case kRoot:
      if (name == "ipifc") return make(kIfcDir, 0, 0, fNone);
      if (name == "pipex") return make(kPipexDir, 0, 0, fNone);
      for (const Name& t : kTop)
        if (name == t.name) return make(kTopFile, 0, 0, t.file);
      for (size_t i = 0; i < ip.protos().size(); i++)
        if (ip.protos()[i]->name == name) return make(kProtoDir, unsigned(i), 0, fNone);
      return Err::NotFound;
    case kIfcDir:
      if (name == "clone") return make(kIfcTop, 0, 0, fClone);
      if (name == "stats") return make(kIfcTop, 0, 0, fStats);
      if (parse_num(name, &n) && ip.ifc(int(n))) return make(kIfcN, 0, n, fNone);
      return Err::NotFound;
    case kIfcN:
      for (const Name& t : kIfcFiles) {
        if (name != t.name) continue;
        Qid q = make(kIfcFile, 0, num(dir), t.file);
        if (!exists(q)) return Err::NotFound;
        return q;
      }
      return Err::NotFound;
    case kProtoDir:
      if (name == "clone") return make(kProtoTop, proto_of(dir), 0, fClone);
      if (name == "stats") return make(kProtoTop, proto_of(dir), 0, fStats);
      if (parse_num(name, &n)) {
        Qid q = make(kConvDir, proto_of(dir), n, fNone);
        if (exists(q)) return q;
      }
      return Err::NotFound;
    case kConvDir:
      for (const Name& t : kConvFiles)
        if (name == t.name) return make(kConvFile, proto_of(dir), num(dir), t.file);
      return Err::NotFound;
    case kPipexDir:
      if (name == "sessions") return make(kSessionsDir, 0, 0, fNone);
      for (const Name& t : kPipexFiles)
        if (name == t.name) return make(kPipexFile, 0, 0, t.file);
      return Err::NotFound;
    case kSessionsDir: {
      unsigned protocol;
      if (parse_session(name, &protocol, &n)) {
        Qid q = make(kSessionDir, protocol, n, fNone);
        if (exists(q)) return q;
      }
      return Err::NotFound;
    }
    case kSessionDir:
      for (const Name& t : kSessionFiles)
        if (name == t.name) return make(kSessionFile, proto_of(dir), num(dir), t.file);
      return Err::NotFound;
    default:
      return Error(Err::NotFound, "not a directory");
  }
}

void StackTree::owner_mode(Qid q, std::string* owner, uint32_t* mode) {
  *owner = owner_;
  *mode = 0;
  const Name* n = nullptr;
  switch (kind(q)) {
    case kRoot:
    case kIfcDir:
    case kIfcN:
    case kProtoDir:
    case kPipexDir:
    case kSessionsDir:
    case kSessionDir:
      *mode = kDirMode;
      return;
    case kPipexFile:
      n = find_name(kPipexFiles, std::size(kPipexFiles), file(q));
      break;
    case kSessionFile:
      n = find_name(kSessionFiles, std::size(kSessionFiles), file(q));
      break;
    case kTopFile:
      n = find_name(kTop, std::size(kTop), file(q));
      break;
    case kIfcTop:
    case kProtoTop:
      if (file(q) == fStats)
        *mode = kStatsMode;
      else
        *mode = kind(q) == kIfcTop || stack_.ip().protos()[proto_of(q)]->raw() ? kIfcCloneMode
                                                                               : kProtoCloneMode;
      return;
    case kIfcFile:
      n = find_name(kIfcFiles, std::size(kIfcFiles), file(q));
      break;
    case kConvDir:
    case kConvFile: {
      Conv* c = stack_.ip().protos()[proto_of(q)]->conv(int(num(q)));
      *owner = c->owner;
      if (kind(q) == kConvDir) {
        *mode = kDirMode;
        return;
      }
      if (conv_perm_file(file(q))) {
        *mode = c->perm & 0777;
        return;
      }
      n = find_name(kConvFiles, std::size(kConvFiles), file(q));
      break;
    }
  }
  if (n) *mode = n->mode;
}

Status StackTree::check(Qid q, int flags, const User& who) {
  if (!exists(q)) return Err::NotFound;
  if (is_admin(who)) return {};
  std::string owner;
  uint32_t mode;
  owner_mode(q, &owner, &mode);
  // Owner bits for the owner, other bits for everyone else (see the header).
  uint32_t bits = who.name == owner ? mode >> 6 & 7 : mode & 7;
  int acc = flags & O_ACCMODE;
  bool rd = acc == O_RDONLY || acc == O_RDWR;
  bool wr = acc == O_WRONLY || acc == O_RDWR || (flags & O_TRUNC);
  if ((rd && !(bits & 4)) || (wr && !(bits & 2))) return Err::Access;
  return {};
}

Status StackTree::access(Qid q, int flags, const User& who) {
  std::lock_guard<std::mutex> g(stack_.ip().mu);
  return check(q, flags, who);
}

Result<Stat> StackTree::stat(Qid q) {
  Stat s;
  s.qid = q;
  {
    std::lock_guard<std::mutex> g(stack_.ip().mu);
    if (!exists(q)) return Err::NotFound;
    Ip& ip = stack_.ip();
    owner_mode(q, &s.owner, &s.mode);
    auto file_name = [&](const Name* names, size_t n) {
      if (const Name* x = find_name(names, n, file(q))) s.name = x->name;
    };
    switch (kind(q)) {
      case kRoot:
        s.name = "/";
        s.dir = true;
        break;
      case kTopFile:
        file_name(kTop, std::size(kTop));
        s.stream = file(q) == fLog;
        break;
      case kIfcDir:
        s.name = "ipifc";
        s.dir = true;
        break;
      case kIfcTop:
      case kProtoTop:
        s.name = file(q) == fClone ? "clone" : "stats";
        s.clone = file(q) == fClone;
        break;
      case kIfcN:
      case kConvDir:
        s.name = std::to_string(num(q));
        s.dir = true;
        break;
      case kIfcFile:
        file_name(kIfcFiles, std::size(kIfcFiles));
        s.stream = file(q) == fData;
        break;
      case kProtoDir:
        s.name = ip.protos()[proto_of(q)]->name;
        s.dir = true;
        break;
      case kConvFile:
        file_name(kConvFiles, std::size(kConvFiles));
        s.stream = file(q) == fData;
        s.clone = file(q) == fListen;
        break;
      case kPipexDir:
        s.name = "pipex";
        s.dir = true;
        break;
      case kSessionsDir:
        s.name = "sessions";
        s.dir = true;
        break;
      case kSessionDir:
        s.name = pipex::session_name(int(proto_of(q)), uint16_t(num(q)));
        s.dir = true;
        break;
      case kPipexFile:
        file_name(kPipexFiles, std::size(kPipexFiles));
        break;
      case kSessionFile:
        file_name(kSessionFiles, std::size(kSessionFiles));
        break;
    }
  }
  if (kind(q) == kTopFile && file(q) == fNdb) {
    std::lock_guard<std::mutex> g(ndb_mu);
    s.generated = false;
    s.length = ndb.size();
  }
  return s;
}

Result<std::vector<Stat>> StackTree::readdir(Qid dir) {
  std::vector<Qid> qs;
  {
    std::lock_guard<std::mutex> g(stack_.ip().mu);
    if (!exists(dir)) return Err::NotFound;
    Ip& ip = stack_.ip();
    switch (kind(dir)) {
      case kRoot:
        qs.push_back(make(kIfcDir, 0, 0, fNone));
        for (const Name& t : kTop)
          qs.push_back(make(kTopFile, 0, 0, t.file));
        for (size_t i = 0; i < ip.protos().size(); i++)
          qs.push_back(make(kProtoDir, unsigned(i), 0, fNone));
        qs.push_back(make(kPipexDir, 0, 0, fNone));
        break;
      case kIfcDir:
        qs.push_back(make(kIfcTop, 0, 0, fClone));
        qs.push_back(make(kIfcTop, 0, 0, fStats));
        for (auto& f : ip.ifcs())
          if (f->inuse) qs.push_back(make(kIfcN, 0, uint64_t(f->index), fNone));
        break;
      case kIfcN:
        for (const Name& t : kIfcFiles) {
          Qid q = make(kIfcFile, 0, num(dir), t.file);
          if (exists(q)) qs.push_back(q);
        }
        break;
      case kProtoDir: {
        qs.push_back(make(kProtoTop, proto_of(dir), 0, fClone));
        qs.push_back(make(kProtoTop, proto_of(dir), 0, fStats));
        for (auto& c : ip.protos()[proto_of(dir)]->convs)
          if (c->inuse || c->refs > 0)
            qs.push_back(make(kConvDir, proto_of(dir), uint64_t(c->index), fNone));
        break;
      }
      case kConvDir:
        for (const Name& t : kConvFiles)
          qs.push_back(make(kConvFile, proto_of(dir), num(dir), t.file));
        break;
      case kPipexDir:
        for (const Name& t : kPipexFiles)
          qs.push_back(make(kPipexFile, 0, 0, t.file));
        qs.push_back(make(kSessionsDir, 0, 0, fNone));
        break;
      case kSessionsDir: {
        size_t first = qs.size();
        stack_.pipex().for_each([&](const pipex::Session& x) {
          qs.push_back(make(kSessionDir, unsigned(x.protocol), x.id, fNone));
        });
        std::sort(qs.begin() + ptrdiff_t(first), qs.end());  // by protocol, then id
        break;
      }
      case kSessionDir:
        for (const Name& t : kSessionFiles)
          qs.push_back(make(kSessionFile, proto_of(dir), num(dir), t.file));
        break;
      default:
        return Error(Err::NotFound, "not a directory");
    }
  }
  std::vector<Stat> out;
  for (Qid q : qs) {
    auto s = stat(q);
    if (s) out.push_back(*s);
  }
  return out;
}

Status StackTree::truncate(Qid q, const User& who) {
  {
    std::lock_guard<std::mutex> g(stack_.ip().mu);
    if (auto st = check(q, O_WRONLY, who); !st) return st;
  }
  if (kind(q) == kTopFile && file(q) == fNdb) {
    std::lock_guard<std::mutex> g(ndb_mu);
    ndb.clear();
    return {};
  }
  // Generated files ignore truncation (shells open ctl files with O_TRUNC).
  return {};
}

// Plan 9's ipwstat: a conversation's owner (or the stack's) may change its
// mode and give it away; nothing else changes. A "change" to what is already
// there is accepted on any file (tools that copy attributes, touch).
Status StackTree::chmod(Qid q, const User& who, uint32_t mode) {
  std::lock_guard<std::mutex> g(stack_.ip().mu);
  if (!exists(q)) return Err::NotFound;
  std::string owner;
  uint32_t cur;
  owner_mode(q, &owner, &cur);
  if ((mode & 0777) == cur) return {};
  if (kind(q) != kConvFile || !conv_perm_file(file(q))) return Error(Err::Perm, "mode is fixed");
  if (!is_admin(who) && who.name != owner) return Err::Perm;
  stack_.ip().protos()[proto_of(q)]->conv(int(num(q)))->perm = mode & 0777;
  return {};
}

Status StackTree::chown(Qid q, const User& who, std::string_view to) {
  std::lock_guard<std::mutex> g(stack_.ip().mu);
  if (!exists(q)) return Err::NotFound;
  std::string owner;
  uint32_t mode;
  owner_mode(q, &owner, &mode);
  if (to == owner) return {};
  if (to.empty() || (kind(q) != kConvFile && kind(q) != kConvDir))
    return Error(Err::Perm, "owner is fixed");
  if (!is_admin(who) && who.name != owner) return Err::Perm;
  stack_.ip().protos()[proto_of(q)]->conv(int(num(q)))->owner = std::string(to);
  return {};
}

Result<std::unique_ptr<Handle>> StackTree::open(Qid q, int flags, const User& who,
                                                OpenCancel* cancel) {
  auto h = open_handle(*this, q, flags, who, cancel);
  if (!h) return h.error();
  if (kind(q) == kTopFile && file(q) == fNdb && (flags & O_TRUNC)) {
    std::lock_guard<std::mutex> g(ndb_mu);
    ndb.clear();
  }
  return h;
}

}  // namespace ninet::ns
