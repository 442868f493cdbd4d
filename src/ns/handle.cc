// handle.cc — one Handle class for every file of the tree. Generated text is
// rendered at a read at offset 0 and later offsets are served from that
// rendering; ctl writes are one message each; data and log reads block.
#include "ns/handle.h"

#include <fcntl.h>

#include <atomic>
#include <cstring>

#include "base/fields.h"
#include "media/pkt.h"
#include "pipex/ctl.h"

namespace ninet::ns {

namespace {

using T = StackTree;

class FileHandle final : public Handle {
 public:
  FileHandle(StackTree& t, Qid q, Ifc* ifc, Conv* conv)
      : t_(t), ip_(t.stack().ip()), q_(q), ifc_(ifc), conv_(conv) {}
  ~FileHandle() override;

  Qid qid() const override { return q_; }
  Result<size_t> read(std::span<uint8_t> buf, uint64_t offset) override {
    Call c(*this);
    return do_read(buf, offset);
  }
  Result<size_t> write(std::span<const uint8_t> data, uint64_t offset) override {
    Call c(*this);
    return do_write(data, offset);
  }
  void interrupt() override;

  std::string tag = "none";  // iproute: the tag for this open's adds
  bool log_open = false;

 private:
  // interrupt() ends the calls in progress, not later ones: the flag is
  // cleared when the last call running on this open returns. (An interrupt
  // that comes before its call starts still ends it: the servers interrupt
  // only calls they have handed to the tree.)
  struct Call {
    explicit Call(FileHandle& h) : h(h) { h.active_++; }
    ~Call() {
      if (--h.active_ == 0) h.cancel_ = false;
    }
    FileHandle& h;
  };
  Result<size_t> do_read(std::span<uint8_t> buf, uint64_t offset);
  Result<size_t> do_write(std::span<const uint8_t> data, uint64_t offset);
  Result<std::string> render();  // with ip_.mu held
  Result<std::string> render_pipex();
  Result<size_t> write_pipex(std::string_view msg);
  Result<size_t> serve_text(std::span<uint8_t> buf, uint64_t offset);
  StackTree& t_;
  Ip& ip_;
  Qid q_;
  Ifc* ifc_;
  Conv* conv_;
  std::atomic<bool> cancel_{false};
  std::atomic<int> active_{0};
  std::string text_;
  bool rendered_ = false;
};

FileHandle::~FileHandle() {
  if (log_open) ip_.log.close();
  std::lock_guard<std::mutex> g(ip_.mu);
  if (conv_ && --conv_->refs == 0) conv_->proto.last_close(*conv_);
  if (ifc_ && --ifc_->refs == 0) ip_.ifc_release(*ifc_);
}

void FileHandle::interrupt() {
  cancel_ = true;
  ip_.log.wake_readers();
  std::lock_guard<std::mutex> g(ip_.mu);
  if (conv_) conv_->cv.notify_all();
  if (ifc_ && ifc_->medium)
    if (auto* pkt = as_pkt(ifc_->medium.get())) pkt->wake();
}

Result<std::string> FileHandle::render() {
  switch (T::kind(q_)) {
    case T::kTopFile:
      switch (T::file(q_)) {
        case T::fIproute:
          return ip_.route_text();
        case T::fArp:
          return ip_.arp_text();
        case T::fSelftab:
          return ip_.selftab_text();
        default:
          break;
      }
      break;
    case T::kIfcTop:
      return ip_.ipifc_stats();
    case T::kIfcFile:
      switch (T::file(q_)) {
        case T::fCtl:
          return std::to_string(ifc_->index);
        case T::fStatus:
          return ip_.ifc_status(*ifc_);
        case T::fLocal:
          return ip_.ifc_local(*ifc_);
        case T::fErr:
          return ifc_->err.empty() ? std::string() : ifc_->err + "\n";
        default:
          break;
      }
      break;
    case T::kProtoTop:
      return ip_.protos()[T::proto_of(q_)]->stats();
    case T::kPipexFile:
    case T::kSessionFile:
      return render_pipex();
    case T::kConvFile:
      switch (T::file(q_)) {
        case T::fCtl:
          return std::to_string(conv_->index);
        case T::fLocal:
          return conv_->proto.local(*conv_);
        case T::fRemote:
          return conv_->proto.remote(*conv_);
        case T::fStatus:
          return conv_->proto.status(*conv_);
        case T::fErr:
          return conv_->err.empty() ? std::string() : conv_->err + "\n";
        default:
          break;
      }
      break;
    default:
      break;
  }
  return Err::WriteOnly;
}

Result<std::string> FileHandle::render_pipex() {
  pipex::Pipex& px = t_.stack().pipex();
  if (T::kind(q_) == T::kPipexFile) {
    switch (T::file(q_)) {
      case T::fEnable:
        return std::string(px.enabled ? "1\n" : "0\n");
      case T::fCtl:
        return pipex::modes_text(px, ip_);
      case T::fClosed:
        return pipex::closed_text(px, ip_);
      case T::fStats:  // the data path's drops outside any session
        return px.counters_text();
      case T::fErr:
        return t_.pipex_err.empty() ? std::string() : t_.pipex_err + "\n";
      default:
        return Err::WriteOnly;
    }
  }
  // A session's file: the session of its name now (a deleted one is gone,
  // even while open).
  const int protocol = int(T::proto_of(q_));
  const auto id = uint16_t(T::num(q_));
  pipex::Session* s = px.find(protocol, id);
  if (!s) return Error(Err::NoSession, pipex::session_name(protocol, id));
  switch (T::file(q_)) {
    case T::fCtl:
      return pipex::session_name(protocol, id);
    case T::fStatus:
      return pipex::status_text(px, *s, ip_);
    case T::fStats:
      return pipex::stats_text(px, *s, ip_);
    case T::fDescr:
      return s->descr.empty() ? std::string() : s->descr + "\n";
    default:
      return Err::WriteOnly;
  }
}

// enable (0 or 1), pipex/ctl and a session's ctl; a failure's text is kept
// for pipex/err.
Result<size_t> FileHandle::write_pipex(std::string_view msg) {
  pipex::Pipex& px = t_.stack().pipex();
  const T::File f = T::file(q_);
  std::lock_guard<std::mutex> g(ip_.mu);
  Status st;
  if (T::kind(q_) == T::kPipexFile && f == T::fEnable) {
    auto w = ctl_fields(msg);
    if (w.size() == 1 && (w[0] == "0" || w[0] == "1"))
      px.enabled = w[0] == "1";
    else
      st = Error(Err::BadArg, "enable takes 0 or 1");
  } else if (T::kind(q_) == T::kPipexFile && f == T::fCtl) {
    st = pipex::ctl(px, ip_, msg);
  } else if (T::kind(q_) == T::kSessionFile && f == T::fCtl) {
    st = pipex::session_ctl(px, ip_, int(T::proto_of(q_)), uint16_t(T::num(q_)), msg);
  } else {
    return Err::ReadOnly;
  }
  if (!st) {
    t_.pipex_err = st.error().text();
    return st.error();
  }
  ip_.flush();
  return msg.size();
}

Result<size_t> FileHandle::serve_text(std::span<uint8_t> buf, uint64_t offset) {
  if (offset == 0 || !rendered_) {
    std::lock_guard<std::mutex> g(ip_.mu);
    auto s = render();
    if (!s) return s.error();
    text_ = std::move(*s);
    rendered_ = true;
  }
  if (offset >= text_.size()) return size_t(0);
  size_t n = std::min<size_t>(buf.size(), text_.size() - offset);
  std::memcpy(buf.data(), text_.data() + offset, n);
  return n;
}

Result<size_t> FileHandle::do_read(std::span<uint8_t> buf, uint64_t offset) {
  T::File f = T::file(q_);
  if (T::kind(q_) == T::kTopFile && f == T::fLog) return ip_.log.read(buf, &cancel_);
  if (T::kind(q_) == T::kTopFile && f == T::fNdb) {
    std::lock_guard<std::mutex> g(t_.ndb_mu);
    if (offset >= t_.ndb.size()) return size_t(0);
    size_t n = std::min<size_t>(buf.size(), t_.ndb.size() - offset);
    std::memcpy(buf.data(), t_.ndb.data() + offset, n);
    return n;
  }
  if (T::kind(q_) == T::kConvFile && f == T::fData) {
    std::unique_lock<std::mutex> l(ip_.mu);
    return conv_->read(l, buf, &cancel_);
  }
  if (T::kind(q_) == T::kConvFile && f == T::fListen) return Err::WriteOnly;
  if (T::kind(q_) == T::kIfcFile && f == T::fData) {
    PktMedium* pkt;
    {
      std::lock_guard<std::mutex> g(ip_.mu);
      pkt = as_pkt(ifc_->medium.get());
    }
    if (!pkt) return Err::NoMedium;
    // The medium outlives this read: unbind closes it (waking us) and the
    // Ifc keeps the object until rebinding, which needs refs == 0... but a
    // reader holds a ref, so the Ifc is not reused under us.
    auto b = pkt->read_packet(&cancel_);
    if (!b) return b.error();
    size_t n = std::min<size_t>(buf.size(), (*b)->size());
    std::memcpy(buf.data(), (*b)->data(), n);
    return n;
  }
  return serve_text(buf, offset);
}

Result<size_t> FileHandle::do_write(std::span<const uint8_t> data, uint64_t offset) {
  std::string_view msg(reinterpret_cast<const char*>(data.data()), data.size());
  T::File f = T::file(q_);
  switch (T::kind(q_)) {
    case T::kTopFile:
      if (f == T::fLog) {
        auto st = ip_.log.ctl(msg);
        if (!st) return st.error();
        return data.size();
      }
      if (f == T::fNdb) {
        std::lock_guard<std::mutex> g(t_.ndb_mu);
        if (offset + data.size() > StackTree::kNdbMax)
          return Error(Err::TooBig, "ndb holds at most 1024 bytes");
        if (t_.ndb.size() < offset + data.size()) t_.ndb.resize(offset + data.size());
        std::memcpy(t_.ndb.data() + offset, data.data(), data.size());
        return data.size();
      }
      {
        std::lock_guard<std::mutex> g(ip_.mu);
        Status st;
        if (f == T::fIproute)
          st = ip_.route_ctl(msg, tag);
        else if (f == T::fArp)
          st = ip_.arp_ctl(msg);
        else
          return Err::ReadOnly;
        if (!st) {
          ip_.log.print(std::string(f == T::fIproute ? "iproute: " : "arp: ") + std::string(msg) +
                        ": " + st.error().text());
          return st.error();
        }
        return data.size();
      }
    case T::kIfcFile: {
      if (f == T::fData) {
        PktMedium* pkt;
        {
          std::lock_guard<std::mutex> g(ip_.mu);
          pkt = as_pkt(ifc_->medium.get());
        }
        if (!pkt) return Err::NoMedium;
        auto st = pkt->write_packet(data, ip_.pool);
        if (!st) return st.error();
        return data.size();
      }
      if (f != T::fCtl) return Err::ReadOnly;
      std::lock_guard<std::mutex> g(ip_.mu);
      auto st = ip_.ifc_ctl(*ifc_, msg);
      if (!st) return st.error();
      ip_.flush();
      return data.size();
    }
    case T::kConvFile: {
      std::unique_lock<std::mutex> l(ip_.mu);
      if (f == T::fCtl) {
        auto st = conv_->proto.ctl_message(*conv_, msg, l, &cancel_);
        // What the message sent (rudp's hangup, a TCP connect's SYN or
        // hangup's FIN) leaves now, not when the engine next wakes: a
        // message that arms no timer does not wake it.
        ip_.flush();
        if (!st) return st.error();
        return data.size();
      }
      if (f == T::fData) {
        auto r = conv_->proto.write_data(*conv_, data, l, &cancel_);
        ip_.flush();
        return r;
      }
      return Err::ReadOnly;
    }
    case T::kPipexFile:
    case T::kSessionFile:
      return write_pipex(msg);
    default:
      return Err::ReadOnly;
  }
}

}  // namespace

Result<std::unique_ptr<Handle>> open_handle(StackTree& t, Qid q, int flags, const User& who,
                                            OpenCancel* cancel) {
  Ip& ip = t.stack().ip();
  auto kind = T::kind(q);
  auto file = T::file(q);
  auto handle = [&](Qid hq, Ifc* f, Conv* c) {
    return std::unique_ptr<Handle>(new FileHandle(t, hq, f, c));
  };
  if (kind == T::kRoot || kind == T::kIfcDir || kind == T::kIfcN || kind == T::kProtoDir ||
      kind == T::kConvDir || kind == T::kPipexDir || kind == T::kSessionsDir ||
      kind == T::kSessionDir) {
    if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)) return Err::IsDir;
  }
  // The check and the open under one hold of the lock: a conversation cannot
  // change hands between them.
  std::unique_lock<std::mutex> l(ip.mu);
  if (auto st = t.check(q, flags, who); !st) return st.error();
  switch (kind) {
    case T::kRoot:
    case T::kIfcDir:
    case T::kIfcN:
    case T::kProtoDir:
    case T::kConvDir:
    case T::kPipexDir:
    case T::kSessionsDir:
    case T::kSessionDir:
    case T::kPipexFile:
    case T::kSessionFile:
      return handle(q, nullptr, nullptr);
    case T::kTopFile: {
      auto h = std::make_unique<FileHandle>(t, q, nullptr, nullptr);
      if (file == T::fLog) {
        ip.log.open();
        h->log_open = true;
      }
      return std::unique_ptr<Handle>(std::move(h));
    }
    case T::kIfcTop: {
      if (file == T::fStats) return handle(q, nullptr, nullptr);
      auto f = ip.ifc_clone();
      if (!f) return f.error();
      (*f)->refs++;
      return handle(T::make(T::kIfcFile, 0, uint64_t((*f)->index), T::fCtl), *f, nullptr);
    }
    case T::kIfcFile: {
      Ifc* f = ip.ifc(int(T::num(q)));
      if (!f) return Err::NotFound;
      f->refs++;
      return handle(q, f, nullptr);
    }
    default:
      break;
  }
  Proto& p = *ip.protos()[T::proto_of(q)];
  if (kind == T::kProtoTop) {
    if (file == T::fStats) return handle(q, nullptr, nullptr);
    // A conversation of the opener's (devip's Fsprotoclone(p, ATTACHER(c))).
    auto c = p.clone(who.name);
    if (!c) return c.error();
    (*c)->perm = 0660;
    (*c)->refs++;
    return handle(T::make(T::kConvFile, T::proto_of(q), uint64_t((*c)->index), T::fCtl), nullptr,
                  *c);
  }
  // A conversation's file (check() found it).
  Conv* c = p.conv(int(T::num(q)));
  if (file == T::fListen) {
    // Blocks until a call arrives, the conversation hangs up, or the opener
    // goes away (cancel: FUSE INTERRUPT, 9P Tflush).
    c->refs++;
    std::atomic<bool> never{false};
    if (cancel)
      cancel->set_waker([&ip, c] {
        std::lock_guard<std::mutex> g(ip.mu);
        c->cv.notify_all();
      });
    auto nc = p.listen(*c, l, cancel ? cancel->flag() : &never);
    if (cancel) cancel->set_waker(nullptr);
    if (--c->refs == 0 && !nc) p.last_close(*c);
    if (!nc) return nc.error();
    // The call belongs to whoever accepted it, with the listener's mode.
    (*nc)->owner = who.name;
    (*nc)->perm = c->perm;
    (*nc)->refs++;
    return handle(T::make(T::kConvFile, T::proto_of(q), uint64_t((*nc)->index), T::fCtl), nullptr,
                  *nc);
  }
  c->refs++;
  return handle(q, nullptr, c);
}

}  // namespace ninet::ns
