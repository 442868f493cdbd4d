// ninep.cc — 9P2000 encode/decode (intro(5)). The decoder is the first code
// an untrusted peer reaches: every length is checked against what is left
// before it is used, and a message must be consumed exactly.
#include "serve/9p/ninep.h"

namespace ninet::ninep {

namespace {

// Little-endian reader over a span; once `ok` is false every get fails.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> b) : b_(b) {}
  bool ok() const { return ok_; }
  bool done() const { return ok_ && pos_ == b_.size(); }
  size_t left() const { return b_.size() - pos_; }

  uint64_t num(size_t n) {
    if (!ok_ || left() < n) return fail();
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
      v |= uint64_t(b_[pos_ + i]) << (8 * i);
    pos_ += n;
    return v;
  }
  uint8_t u8() { return uint8_t(num(1)); }
  uint16_t u16() { return uint16_t(num(2)); }
  uint32_t u32() { return uint32_t(num(4)); }
  uint64_t u64() { return num(8); }
  std::string str() {
    size_t n = u16();
    if (!ok_ || left() < n) return fail(), std::string();
    std::string s(reinterpret_cast<const char*>(b_.data() + pos_), n);
    pos_ += n;
    return s;
  }
  std::span<const uint8_t> bytes(size_t n) {
    if (!ok_ || left() < n) return fail(), std::span<const uint8_t>();
    auto s = b_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  Qid qid() {
    Qid q;
    q.type = u8();
    q.vers = u32();
    q.path = u64();
    return q;
  }

 private:
  uint64_t fail() {
    ok_ = false;
    return 0;
  }
  std::span<const uint8_t> b_;
  size_t pos_ = 0;
  bool ok_ = true;
};

class Writer {
 public:
  explicit Writer(std::vector<uint8_t>& out) : o_(out) {}
  void num(uint64_t v, size_t n) {
    for (size_t i = 0; i < n; i++)
      o_.push_back(uint8_t(v >> (8 * i)));
  }
  void u8(uint8_t v) { num(v, 1); }
  void u16(uint16_t v) { num(v, 2); }
  void u32(uint32_t v) { num(v, 4); }
  void u64(uint64_t v) { num(v, 8); }
  // Strings longer than 65535 bytes cannot be sent; they are cut.
  void str(const std::string& s) {
    size_t n = std::min<size_t>(s.size(), 0xffff);
    u16(uint16_t(n));
    o_.insert(o_.end(), s.begin(), s.begin() + long(n));
  }
  void bytes(std::span<const uint8_t> b) { o_.insert(o_.end(), b.begin(), b.end()); }
  void qid(const Qid& q) {
    u8(q.type);
    u32(q.vers);
    u64(q.path);
  }

 private:
  std::vector<uint8_t>& o_;
};

constexpr size_t kStrMax = 0xffff;
size_t slen(const std::string& s) {
  return 2 + std::min(s.size(), kStrMax);
}
constexpr size_t kQidSize = 13;

Error bad(const char* why) {
  return Error(Err::BadArg, std::string("9P: ") + why);
}

}  // namespace

Dir Dir::dont_touch() {
  Dir d;
  d.type = 0xffff;
  d.dev = 0xffffffff;
  d.qid = Qid{0xff, 0xffffffff, ~uint64_t(0)};
  d.mode = d.atime = d.mtime = 0xffffffff;
  d.length = ~uint64_t(0);
  return d;  // n_uid, n_gid, n_muid are kNoUid already
}

size_t packed_dir_size(const Dir& d, bool dotu) {
  return 2 + 2 + 4 + kQidSize + 4 + 4 + 4 + 8 + slen(d.name) + slen(d.uid) + slen(d.gid) +
         slen(d.muid) + (dotu ? slen(d.extension) + 12 : 0);
}

void pack_dir(const Dir& d, std::vector<uint8_t>& out, bool dotu) {
  Writer w(out);
  w.u16(uint16_t(packed_dir_size(d, dotu) - 2));
  w.u16(d.type);
  w.u32(d.dev);
  w.qid(d.qid);
  w.u32(d.mode);
  w.u32(d.atime);
  w.u32(d.mtime);
  w.u64(d.length);
  w.str(d.name);
  w.str(d.uid);
  w.str(d.gid);
  w.str(d.muid);
  if (dotu) {
    w.str(d.extension);
    w.u32(d.n_uid);
    w.u32(d.n_gid);
    w.u32(d.n_muid);
  }
}

Result<Dir> unpack_dir(std::span<const uint8_t> rec, bool dotu) {
  Reader r(rec);
  size_t n = r.u16();
  if (!r.ok() || r.left() != n) return bad("bad stat size");
  Dir d;
  d.type = r.u16();
  d.dev = r.u32();
  d.qid = r.qid();
  d.mode = r.u32();
  d.atime = r.u32();
  d.mtime = r.u32();
  d.length = r.u64();
  d.name = r.str();
  d.uid = r.str();
  d.gid = r.str();
  d.muid = r.str();
  if (dotu) {
    d.extension = r.str();
    d.n_uid = r.u32();
    d.n_gid = r.u32();
    d.n_muid = r.u32();
  }
  if (!r.done()) return bad("bad stat record");
  return d;
}

Result<std::vector<Dir>> unpack_dirs(std::span<const uint8_t> data, bool dotu) {
  std::vector<Dir> out;
  while (!data.empty()) {
    if (data.size() < 2) return bad("short stat record");
    size_t n = size_t(data[0] | data[1] << 8) + 2;
    if (n > data.size()) return bad("short stat record");
    auto d = unpack_dir(data.first(n), dotu);
    if (!d) return d.error();
    out.push_back(std::move(*d));
    data = data.subspan(n);
  }
  return out;
}

Result<Fcall> decode(std::span<const uint8_t> msg, bool dotu) {
  Reader r(msg);
  uint32_t size = r.u32();
  if (!r.ok() || size != msg.size()) return bad("bad message size");
  Fcall f;
  f.type = r.u8();
  f.tag = r.u16();
  if (!r.ok()) return bad("short message");
  switch (f.type) {
    case Tversion:
    case Rversion:
      f.msize = r.u32();
      f.version = r.str();
      break;
    case Tauth:
      f.afid = r.u32();
      f.uname = r.str();
      f.aname = r.str();
      if (dotu) f.n_uname = r.u32();
      break;
    case Rauth:
    case Rattach:
      f.qid = r.qid();
      break;
    case Tattach:
      f.fid = r.u32();
      f.afid = r.u32();
      f.uname = r.str();
      f.aname = r.str();
      if (dotu) f.n_uname = r.u32();
      break;
    case Rerror:
      f.ename = r.str();
      if (dotu) f.errnum = r.u32();
      break;
    case Tflush:
      f.oldtag = r.u16();
      break;
    case Twalk: {
      f.fid = r.u32();
      f.newfid = r.u32();
      size_t n = r.u16();
      if (n > kMaxWelem) return bad("too many names in walk");
      for (size_t i = 0; i < n && r.ok(); i++)
        f.wname.push_back(r.str());
      break;
    }
    case Rwalk: {
      size_t n = r.u16();
      if (n > kMaxWelem) return bad("too many qids in walk");
      for (size_t i = 0; i < n && r.ok(); i++)
        f.wqid.push_back(r.qid());
      break;
    }
    case Topen:
      f.fid = r.u32();
      f.mode = r.u8();
      break;
    case Ropen:
    case Rcreate:
      f.qid = r.qid();
      f.iounit = r.u32();
      break;
    case Tcreate:
      f.fid = r.u32();
      f.name = r.str();
      f.perm = r.u32();
      f.mode = r.u8();
      if (dotu) f.extension = r.str();
      break;
    case Tread:
      f.fid = r.u32();
      f.offset = r.u64();
      f.count = r.u32();
      break;
    case Rread: {
      uint32_t n = r.u32();
      auto d = r.bytes(n);
      f.data.assign(d.begin(), d.end());
      f.count = n;
      break;
    }
    case Twrite: {
      f.fid = r.u32();
      f.offset = r.u64();
      uint32_t n = r.u32();
      auto d = r.bytes(n);
      f.data.assign(d.begin(), d.end());
      f.count = n;
      break;
    }
    case Rwrite:
      f.count = r.u32();
      break;
    case Tclunk:
    case Tremove:
    case Tstat:
      f.fid = r.u32();
      break;
    case Rflush:
    case Rclunk:
    case Rremove:
    case Rwstat:
      break;
    case Rstat: {
      size_t n = r.u16();
      auto d = r.bytes(n);
      f.stat.assign(d.begin(), d.end());
      break;
    }
    case Twstat: {
      f.fid = r.u32();
      size_t n = r.u16();
      auto d = r.bytes(n);
      f.stat.assign(d.begin(), d.end());
      break;
    }
    default:
      return bad("unknown message type");
  }
  if (!r.ok()) return bad("short message");
  if (!r.done()) return bad("junk after message");
  return f;
}

size_t encoded_size(const Fcall& f, bool dotu) {
  size_t n = 4 + 1 + 2;
  switch (f.type) {
    case Tversion:
    case Rversion:
      return n + 4 + slen(f.version);
    case Tauth:
      return n + 4 + slen(f.uname) + slen(f.aname) + (dotu ? 4 : 0);
    case Rauth:
    case Rattach:
      return n + kQidSize;
    case Tattach:
      return n + 8 + slen(f.uname) + slen(f.aname) + (dotu ? 4 : 0);
    case Rerror:
      return n + slen(f.ename) + (dotu ? 4 : 0);
    case Tflush:
      return n + 2;
    case Twalk:
      n += 10;
      for (const auto& s : f.wname)
        n += slen(s);
      return n;
    case Rwalk:
      return n + 2 + kQidSize * f.wqid.size();
    case Topen:
      return n + 5;
    case Ropen:
    case Rcreate:
      return n + kQidSize + 4;
    case Tcreate:
      return n + 4 + slen(f.name) + 5 + (dotu ? slen(f.extension) : 0);
    case Tread:
      return n + 16;
    case Rread:
      return n + 4 + f.data.size();
    case Twrite:
      return n + 16 + f.data.size();
    case Rwrite:
    case Tclunk:
    case Tremove:
    case Tstat:
      return n + 4;
    case Rstat:
      return n + 2 + f.stat.size();
    case Twstat:
      return n + 4 + 2 + f.stat.size();
    default:
      return n;
  }
}

std::vector<uint8_t> encode(const Fcall& f, bool dotu) {
  std::vector<uint8_t> out;
  out.reserve(encoded_size(f, dotu));
  Writer w(out);
  w.u32(uint32_t(encoded_size(f, dotu)));
  w.u8(f.type);
  w.u16(f.tag);
  switch (f.type) {
    case Tversion:
    case Rversion:
      w.u32(f.msize);
      w.str(f.version);
      break;
    case Tauth:
      w.u32(f.afid);
      w.str(f.uname);
      w.str(f.aname);
      if (dotu) w.u32(f.n_uname);
      break;
    case Rauth:
    case Rattach:
      w.qid(f.qid);
      break;
    case Tattach:
      w.u32(f.fid);
      w.u32(f.afid);
      w.str(f.uname);
      w.str(f.aname);
      if (dotu) w.u32(f.n_uname);
      break;
    case Rerror:
      w.str(f.ename);
      if (dotu) w.u32(f.errnum);
      break;
    case Tflush:
      w.u16(f.oldtag);
      break;
    case Twalk:
      w.u32(f.fid);
      w.u32(f.newfid);
      w.u16(uint16_t(f.wname.size()));
      for (const auto& s : f.wname)
        w.str(s);
      break;
    case Rwalk:
      w.u16(uint16_t(f.wqid.size()));
      for (const auto& q : f.wqid)
        w.qid(q);
      break;
    case Topen:
      w.u32(f.fid);
      w.u8(f.mode);
      break;
    case Ropen:
    case Rcreate:
      w.qid(f.qid);
      w.u32(f.iounit);
      break;
    case Tcreate:
      w.u32(f.fid);
      w.str(f.name);
      w.u32(f.perm);
      w.u8(f.mode);
      if (dotu) w.str(f.extension);
      break;
    case Tread:
      w.u32(f.fid);
      w.u64(f.offset);
      w.u32(f.count);
      break;
    case Rread:
      w.u32(uint32_t(f.data.size()));
      w.bytes(f.data);
      break;
    case Twrite:
      w.u32(f.fid);
      w.u64(f.offset);
      w.u32(uint32_t(f.data.size()));
      w.bytes(f.data);
      break;
    case Rwrite:
      w.u32(f.count);
      break;
    case Tclunk:
    case Tremove:
    case Tstat:
      w.u32(f.fid);
      break;
    case Rstat:
      w.u16(uint16_t(f.stat.size()));
      w.bytes(f.stat);
      break;
    case Twstat:
      w.u32(f.fid);
      w.u16(uint16_t(f.stat.size()));
      w.bytes(f.stat);
      break;
    default:
      break;
  }
  return out;
}

const char* type_name(uint8_t t) {
  static const char* const kNames[] = {
      "Tversion", "Rversion", "Tauth",   "Rauth", "Tattach", "Rattach", "Terror",
      "Rerror",   "Tflush",   "Rflush",  "Twalk", "Rwalk",   "Topen",   "Ropen",
      "Tcreate",  "Rcreate",  "Tread",   "Rread", "Twrite",  "Rwrite",  "Tclunk",
      "Rclunk",   "Tremove",  "Rremove", "Tstat", "Rstat",   "Twstat",  "Rwstat"};
  if (t < Tversion || t > Rwstat) return "unknown";
  return kNames[t - Tversion];
}

}  // namespace ninet::ninep
