// stack_tree.cc — names, directories and opens of a stack's tree; the
// handles' reads and writes are in handle.cc.
#include "ns/stack_tree.h"

#include <fcntl.h>

#include "ns/handle.h"

namespace ninet::ns {

namespace {

struct Name {
  const char* name;
  StackTree::File file;
  uint32_t mode;
};
constexpr Name kTop[] = {{"iproute", StackTree::fIproute, 0666},
                         {"arp", StackTree::fArp, 0666},
                         {"log", StackTree::fLog, 0666},
                         {"ndb", StackTree::fNdb, 0666},
                         {"ipselftab", StackTree::fSelftab, 0444}};
constexpr Name kIfcFiles[] = {{"ctl", StackTree::fCtl, 0660},
                              {"status", StackTree::fStatus, 0444},
                              {"local", StackTree::fLocal, 0444},
                              {"err", StackTree::fErr, 0660},
                              {"data", StackTree::fData, 0660}};
constexpr Name kConvFiles[] = {
    {"ctl", StackTree::fCtl, 0660},       {"data", StackTree::fData, 0660},
    {"listen", StackTree::fListen, 0660}, {"local", StackTree::fLocal, 0444},
    {"remote", StackTree::fRemote, 0444}, {"status", StackTree::fStatus, 0444},
    {"err", StackTree::fErr, 0660}};

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
  return f.medium && f.medium->name() == "pkt";
}

}  // namespace

StackTree::StackTree(Stack& stack) : stack_(stack) {}
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
      default:
        return root();
    }
  }
  if (name == ".") return dir;
  uint64_t n;
  switch (kind(dir)) {
    case kRoot:
      if (name == "ipifc") return make(kIfcDir, 0, 0, fNone);
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
    default:
      return Error(Err::NotFound, "not a directory");
  }
}

Result<Stat> StackTree::stat(Qid q) {
  Stat s;
  s.qid = q;
  {
    std::lock_guard<std::mutex> g(stack_.ip().mu);
    if (!exists(q)) return Err::NotFound;
    Ip& ip = stack_.ip();
    auto file_mode = [&](const Name* names, size_t n) {
      for (size_t i = 0; i < n; i++)
        if (names[i].file == file(q)) {
          s.name = names[i].name;
          s.mode = names[i].mode;
        }
    };
    switch (kind(q)) {
      case kRoot:
        s.name = "/";
        s.dir = true;
        s.mode = 0555;
        break;
      case kTopFile:
        file_mode(kTop, std::size(kTop));
        break;
      case kIfcDir:
        s.name = "ipifc";
        s.dir = true;
        s.mode = 0555;
        break;
      case kIfcTop:
        s.name = file(q) == fClone ? "clone" : "stats";
        s.mode = file(q) == fClone ? 0666 : 0444;
        break;
      case kIfcN:
      case kConvDir:
        s.name = std::to_string(num(q));
        s.dir = true;
        s.mode = 0555;
        break;
      case kIfcFile:
        file_mode(kIfcFiles, std::size(kIfcFiles));
        break;
      case kProtoDir:
        s.name = ip.protos()[proto_of(q)]->name;
        s.dir = true;
        s.mode = 0555;
        break;
      case kProtoTop:
        s.name = file(q) == fClone ? "clone" : "stats";
        s.mode = file(q) == fClone ? 0666 : 0444;
        break;
      case kConvFile:
        file_mode(kConvFiles, std::size(kConvFiles));
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

Status StackTree::truncate(Qid q) {
  if (kind(q) == kTopFile && file(q) == fNdb) {
    std::lock_guard<std::mutex> g(ndb_mu);
    ndb.clear();
    return {};
  }
  // Generated files ignore truncation (shells open ctl files with O_TRUNC).
  return {};
}

Result<std::unique_ptr<Handle>> StackTree::open(Qid q, int flags) {
  auto h = open_handle(*this, q, flags);
  if (!h) return h.error();
  if (kind(q) == kTopFile && file(q) == fNdb && (flags & O_TRUNC)) (void)truncate(q);
  return h;
}

}  // namespace ninet::ns
