// ninep_test.cc — the 9P2000 codec on literal bytes and hostile input, and
// NinepServer + NinepClient over socketpairs and sockets on a fake tree.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "serve/9p/client.h"
#include "serve/9p/ninep.h"
#include "serve/9p/server.h"
#include "serve/9p/sockaddr.h"

namespace ninet {
namespace {

using ninep::Fcall;

// ---------------------------------------------------------------- codec

std::vector<uint8_t> bytes(std::initializer_list<int> l) {
  std::vector<uint8_t> v;
  for (int b : l)
    v.push_back(uint8_t(b));
  return v;
}

TEST(NinepCodec, TversionLiteral) {
  // size 19, Tversion, NOTAG, msize 8216, "9P2000"
  auto b =
      bytes({19, 0, 0, 0, 100, 0xff, 0xff, 0x18, 0x20, 0, 0, 6, 0, '9', 'P', '2', '0', '0', '0'});
  auto f = ninep::decode(b);
  ASSERT_TRUE(f) << f.error().text();
  EXPECT_EQ(f->type, ninep::Tversion);
  EXPECT_EQ(f->tag, ninep::kNoTag);
  EXPECT_EQ(f->msize, 8216u);
  EXPECT_EQ(f->version, "9P2000");
  EXPECT_EQ(ninep::encode(*f), b);
}

TEST(NinepCodec, TwalkAndRreadLiteral) {
  Fcall t;
  t.type = ninep::Twalk;
  t.tag = 0x0102;
  t.fid = 7;
  t.newfid = 8;
  t.wname = {"ab", "c"};
  auto want =
      bytes({24, 0, 0, 0, 110, 2, 1, 7, 0, 0, 0, 8, 0, 0, 0, 2, 0, 2, 0, 'a', 'b', 1, 0, 'c'});
  EXPECT_EQ(ninep::encode(t), want);
  Fcall r;
  r.type = ninep::Rread;
  r.tag = 3;
  r.data = {'h', 'i'};
  EXPECT_EQ(ninep::encode(r), bytes({13, 0, 0, 0, 117, 3, 0, 2, 0, 0, 0, 'h', 'i'}));
  auto back = ninep::decode(ninep::encode(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->data, r.data);
}

TEST(NinepCodec, EveryTypeRoundTrips) {
  std::vector<Fcall> all;
  auto add = [&](uint8_t type, auto fill) {
    Fcall f;
    f.type = type;
    f.tag = uint16_t(all.size() + 1);
    fill(f);
    all.push_back(f);
  };
  ninep::Qid q{ninep::QTDIR, 3, 0x1122334455667788ull};
  add(ninep::Tversion, [](Fcall& f) { f.msize = 9000, f.version = "9P2000"; });
  add(ninep::Rversion, [](Fcall& f) { f.msize = 8000, f.version = "9P2000"; });
  add(ninep::Tauth, [](Fcall& f) { f.afid = 4, f.uname = "glenda", f.aname = ""; });
  add(ninep::Rauth, [&](Fcall& f) { f.qid = q; });
  add(ninep::Tattach,
      [](Fcall& f) { f.fid = 1, f.afid = ninep::kNoFid, f.uname = "u", f.aname = "a"; });
  add(ninep::Rattach, [&](Fcall& f) { f.qid = q; });
  add(ninep::Rerror, [](Fcall& f) { f.ename = "file does not exist"; });
  add(ninep::Tflush, [](Fcall& f) { f.oldtag = 9; });
  add(ninep::Rflush, [](Fcall&) {});
  add(ninep::Twalk, [](Fcall& f) { f.fid = 1, f.newfid = 2, f.wname = {"a", "b", "c"}; });
  add(ninep::Rwalk, [&](Fcall& f) { f.wqid = {q, q}; });
  add(ninep::Topen, [](Fcall& f) { f.fid = 3, f.mode = ninep::ORDWR | ninep::OTRUNC; });
  add(ninep::Ropen, [&](Fcall& f) { f.qid = q, f.iounit = 8192; });
  add(ninep::Tcreate, [](Fcall& f) { f.fid = 3, f.name = "x", f.perm = 0644, f.mode = 1; });
  add(ninep::Rcreate, [&](Fcall& f) { f.qid = q, f.iounit = 1; });
  add(ninep::Tread, [](Fcall& f) { f.fid = 3, f.offset = 1ull << 40, f.count = 100; });
  add(ninep::Rread, [](Fcall& f) { f.data = {1, 2, 3}; });
  add(ninep::Twrite, [](Fcall& f) { f.fid = 3, f.offset = 5, f.data = {'x'}; });
  add(ninep::Rwrite, [](Fcall& f) { f.count = 1; });
  add(ninep::Tclunk, [](Fcall& f) { f.fid = 3; });
  add(ninep::Rclunk, [](Fcall&) {});
  add(ninep::Tremove, [](Fcall& f) { f.fid = 3; });
  add(ninep::Rremove, [](Fcall&) {});
  add(ninep::Tstat, [](Fcall& f) { f.fid = 3; });
  add(ninep::Rstat, [](Fcall& f) { f.stat = {5, 6}; });
  add(ninep::Twstat, [](Fcall& f) { f.fid = 3, f.stat = {7}; });
  add(ninep::Rwstat, [](Fcall&) {});
  for (bool dotu : {false, true}) {
    for (const Fcall& f : all) {
      auto b = ninep::encode(f, dotu);
      EXPECT_EQ(b.size(), ninep::encoded_size(f, dotu)) << ninep::type_name(f.type);
      auto d = ninep::decode(b, dotu);
      ASSERT_TRUE(d) << ninep::type_name(f.type) << ": " << d.error().text();
      EXPECT_EQ(ninep::encode(*d, dotu), b) << ninep::type_name(f.type);
      EXPECT_EQ(d->tag, f.tag);
    }
  }
}

// 9P2000.u: Rerror ename[s] errno[4]; Tattach ... aname[s] n_uname[4]; a
// stat record ends extension[s] n_uid[4] n_gid[4] n_muid[4].
TEST(NinepCodec, DotuLiterals) {
  Fcall e;
  e.type = ninep::Rerror;
  e.tag = 1;
  e.ename = "bad";
  e.errnum = 22;
  EXPECT_EQ(ninep::encode(e, true),
            bytes({16, 0, 0, 0, 107, 1, 0, 3, 0, 'b', 'a', 'd', 22, 0, 0, 0}));
  EXPECT_EQ(ninep::encode(e, false), bytes({12, 0, 0, 0, 107, 1, 0, 3, 0, 'b', 'a', 'd'}));
  auto a = ninep::decode(
      bytes({23,   0,    0, 0, 104, 2, 0, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0,  // "" ""
             0xfe, 0xff, 0, 0}),
      true);
  ASSERT_TRUE(a) << a.error().text();
  EXPECT_EQ(a->uname, "");
  EXPECT_EQ(a->n_uname, 65534u);
  // The same bytes are too long for plain 9P2000.
  EXPECT_FALSE(ninep::decode(bytes(
      {23, 0, 0, 0, 104, 2, 0, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0xfe, 0xff, 0, 0})));
  ninep::Dir d;
  d.name = "ctl";
  d.uid = d.gid = d.muid = "nobody";
  d.n_uid = d.n_gid = d.n_muid = 65534;
  std::vector<uint8_t> b;
  ninep::pack_dir(d, b, true);
  EXPECT_EQ(b.size(), ninep::packed_dir_size(d) + 2 + 12);
  EXPECT_EQ(std::vector<uint8_t>(b.end() - 12, b.end()),
            bytes({0xfe, 0xff, 0, 0, 0xfe, 0xff, 0, 0, 0xfe, 0xff, 0, 0}));
  auto back = ninep::unpack_dir(b, true);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, d);
  EXPECT_FALSE(ninep::unpack_dir(b, false));
}

TEST(NinepCodec, DirRecords) {
  ninep::Dir d;
  d.qid = {0, 0, 42};
  d.mode = 0660;
  d.length = 5;
  d.name = "ctl";
  d.uid = d.gid = "ninet";
  std::vector<uint8_t> b;
  ninep::pack_dir(d, b);
  // size[2] type[2] dev[4] qid[13] mode atime mtime[12] length[8] + 4 strings
  ASSERT_EQ(b.size(), 2u + 2 + 4 + 13 + 12 + 8 + (2 + 3) + (2 + 5) + (2 + 5) + 2);
  EXPECT_EQ(b[0] | b[1] << 8, int(b.size()) - 2);
  auto back = ninep::unpack_dir(b);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, d);
  ninep::pack_dir(d, b);
  auto two = ninep::unpack_dirs(b);
  ASSERT_TRUE(two);
  EXPECT_EQ(two->size(), 2u);
  b.pop_back();
  EXPECT_FALSE(ninep::unpack_dirs(b));
}

TEST(NinepCodec, RejectsHostileMessages) {
  Fcall w;
  w.type = ninep::Twalk;
  w.tag = 1;
  w.fid = 0;
  w.newfid = 1;
  w.wname = std::vector<std::string>(16, "a");
  auto ok = ninep::encode(w);
  ASSERT_TRUE(ninep::decode(ok));

  auto too_many = ok;  // nwname 17 with only 16 names
  too_many[15] = 17;
  EXPECT_FALSE(ninep::decode(too_many));
  auto short_by_one = ok;
  short_by_one.pop_back();
  short_by_one[0]--;
  EXPECT_FALSE(ninep::decode(short_by_one));  // last name cut
  auto junk = ok;
  junk.push_back(0);
  junk[0]++;
  EXPECT_FALSE(ninep::decode(junk));  // bytes after the message
  auto size_lies = ok;
  size_lies[0]++;
  EXPECT_FALSE(ninep::decode(size_lies));
  EXPECT_FALSE(ninep::decode(bytes({7, 0, 0, 0, 200, 0, 0})));  // unknown type
  EXPECT_FALSE(ninep::decode(bytes({6, 0, 0, 0, 100, 0})));     // shorter than a header
  EXPECT_FALSE(ninep::decode({}));
  // Rread whose count runs past the end; a string whose length does.
  EXPECT_FALSE(ninep::decode(bytes({12, 0, 0, 0, 117, 0, 0, 0xff, 0xff, 0xff, 0xff, 1})));
  EXPECT_FALSE(ninep::decode(bytes({13, 0, 0, 0, 107, 0, 0, 9, 0, 'a', 'b', 'c', 'd'})));
  EXPECT_FALSE(ninep::unpack_dir(bytes({2, 0, 1, 2})));
}

// ---------------------------------------------------------------- fake tree

// A Stat with no owner, not a stream or a clone.
ns::Stat mk(ns::Qid q, std::string name, bool dir, uint32_t mode, uint64_t length, bool generated) {
  ns::Stat s;
  s.qid = q;
  s.name = std::move(name);
  s.dir = dir;
  s.mode = mode;
  s.length = length;
  s.generated = generated;
  return s;
}

// /            text ctl clone data ndb listen sub/ N/
// sub/         hello
// N/           ctl            (made by opening clone; reading ctl gives N)
// Opening `listen` blocks until release_listen() or a cancel. ctl belongs to
// root: other users may not write it. A conversation's ctl belongs to
// "nobody" and takes chmod from its owner.
class FakeTree final : public ns::Tree {
 public:
  enum : ns::Qid {
    kRoot = 0,
    kText,
    kCtl,
    kClone,
    kData,
    kNdb,
    kListen,
    kSub,
    kHello,
    kConv0 = 100
  };
  static ns::Qid conv_dir(unsigned n) { return kConv0 + 2 * n; }
  static ns::Qid conv_ctl(unsigned n) { return kConv0 + 2 * n + 1; }

  ns::Qid root() const override { return kRoot; }
  Result<ns::Qid> walk(ns::Qid dir, std::string_view name) override {
    auto d = readdir(dir);
    if (!d) return d.error();
    for (const ns::Stat& s : *d)
      if (s.name == name) return s.qid;
    return Err::NotFound;
  }
  Result<ns::Stat> stat(ns::Qid q) override {
    std::lock_guard<std::mutex> g(mu);
    static const std::map<ns::Qid, ns::Stat> fixed = {
        {kRoot, mk(kRoot, "/", true, 0555, 0, true)},
        {kText, mk(kText, "text", false, 0444, 0, true)},
        {kCtl,
         [] {
           auto s = mk(kCtl, "ctl", false, 0644, 0, true);
           s.owner = "root";
           return s;
         }()},
        {kClone, mk(kClone, "clone", false, 0660, 0, true)},
        {kData,
         [] {
           auto s = mk(kData, "data", false, 0660, 0, true);
           s.stream = true;
           return s;
         }()},
        {kListen, mk(kListen, "listen", false, 0660, 0, true)},
        {kSub, mk(kSub, "sub", true, 0555, 0, true)},
        {kHello, mk(kHello, "hello", false, 0444, 0, true)},
    };
    if (auto it = fixed.find(q); it != fixed.end()) return it->second;
    if (q == kNdb) return mk(q, "ndb", false, 0664, ndb.size(), false);
    if (q >= kConv0 && (q - kConv0) / 2 < nconv) {
      unsigned n = unsigned(q - kConv0) / 2;
      if (q == conv_dir(n)) return mk(q, std::to_string(n), true, 0555, 0, true);
      auto s = mk(q, "ctl", false, conv_mode, 0, true);
      s.owner = conv_owner;
      return s;
    }
    return Err::NotFound;
  }
  Result<std::vector<ns::Stat>> readdir(ns::Qid dir) override {
    std::vector<ns::Qid> qs;
    {
      std::lock_guard<std::mutex> g(mu);
      if (dir == kRoot) {
        qs = {kText, kCtl, kClone, kData, kNdb, kListen, kSub};
        for (unsigned n = 0; n < nconv; n++)
          qs.push_back(conv_dir(n));
      } else if (dir == kSub) {
        qs = {kHello};
      } else if (dir >= kConv0 && (dir - kConv0) % 2 == 0 && (dir - kConv0) / 2 < nconv) {
        qs = {dir + 1};
      } else {
        return Error(Err::NotFound, "not a directory");
      }
    }
    std::vector<ns::Stat> out;
    for (ns::Qid q : qs)
      out.push_back(*stat(q));
    return out;
  }
  Result<std::unique_ptr<ns::Handle>> open(ns::Qid q, int flags, const ns::User&,
                                           ns::OpenCancel* cancel) override;
  Status chmod(ns::Qid q, const ns::User& who, uint32_t mode) override {
    std::lock_guard<std::mutex> g(mu);
    if (q < kConv0) return Err::Perm;
    if (who.name != "nobody") return Err::Perm;
    conv_mode = mode;
    return {};
  }
  Status chown(ns::Qid q, const ns::User& who, std::string_view to) override {
    std::lock_guard<std::mutex> g(mu);
    if (q < kConv0 || who.name != "nobody") return Err::Perm;
    conv_owner = std::string(to);
    return {};
  }
  Status truncate(ns::Qid q, const ns::User&) override {
    if (q == kCtl) return {};  // ignored, as a ctl file does
    if (q != kNdb) return Err::Perm;
    std::lock_guard<std::mutex> g(mu);
    ndb.clear();
    return {};
  }

  template <typename Pred>
  bool wait(Pred p) {  // a guard against hangs, not a timing assertion
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, std::chrono::seconds(20), p);
  }
  void release_listen() {
    std::lock_guard<std::mutex> g(mu);
    listen_go = true;
    cv.notify_all();
  }

  std::mutex mu;
  std::condition_variable cv;
  unsigned nconv = 0;
  unsigned renders = 0;
  std::vector<std::string> ctl_msgs;
  std::string ndb;
  std::deque<std::string> dataq;
  int readers = 0;     // data reads blocked now
  int interrupts = 0;  // Handle::interrupt calls
  int handles = 0;     // handles alive
  int listeners = 0;   // opens of listen blocked now
  bool listen_go = false;
  uint32_t conv_mode = 0660;
  std::string conv_owner = "nobody";
  std::vector<std::string> users;  // who opened, in order
};

class FakeHandle final : public ns::Handle {
 public:
  FakeHandle(FakeTree& t, ns::Qid q) : t_(t), q_(q) {
    std::lock_guard<std::mutex> g(t_.mu);
    t_.handles++;
  }
  ~FakeHandle() override {
    std::lock_guard<std::mutex> g(t_.mu);
    t_.handles--;
    t_.cv.notify_all();
  }
  ns::Qid qid() const override { return q_; }
  Result<size_t> read(std::span<uint8_t> buf, uint64_t off) override {
    std::unique_lock<std::mutex> l(t_.mu);
    if (q_ == FakeTree::kData) {
      t_.readers++;
      t_.cv.notify_all();
      t_.cv.wait(l, [&] { return !t_.dataq.empty() || intr_; });
      t_.readers--;
      t_.cv.notify_all();
      if (t_.dataq.empty()) {
        intr_ = false;
        return Err::Interrupted;
      }
      std::string s = std::move(t_.dataq.front());
      t_.dataq.pop_front();
      return copy(s, buf, 0);
    }
    if (q_ == FakeTree::kNdb) return copy(t_.ndb, buf, off);
    if (off == 0 || !rendered_) {
      rendered_ = true;
      if (q_ == FakeTree::kText)
        text_ =
            "render " + std::to_string(++t_.renders) + "\n" + std::string(6000, 'x') + "\nend\n";
      else if (q_ == FakeTree::kHello)
        text_ = "hello\n";
      else if (q_ == FakeTree::kCtl)
        text_ = "ctl\n";
      else
        text_ = std::to_string((q_ - FakeTree::kConv0) / 2);
    }
    return copy(text_, buf, off);
  }
  Result<size_t> write(std::span<const uint8_t> data, uint64_t off) override {
    std::string s(reinterpret_cast<const char*>(data.data()), data.size());
    std::lock_guard<std::mutex> g(t_.mu);
    switch (q_) {
      case FakeTree::kText:
      case FakeTree::kHello:
        return Err::ReadOnly;
      case FakeTree::kData:
        t_.dataq.push_back(s);
        t_.cv.notify_all();
        return data.size();
      case FakeTree::kNdb:
        if (off + s.size() > 1024) return Err::TooBig;
        if (t_.ndb.size() < off + s.size()) t_.ndb.resize(off + s.size());
        t_.ndb.replace(off, s.size(), s);
        return data.size();
      default:
        if (s.rfind("bad", 0) == 0) return Error(Err::BadCtl, s);
        t_.ctl_msgs.push_back(s);
        return data.size();
    }
  }
  void interrupt() override {
    std::lock_guard<std::mutex> g(t_.mu);
    intr_ = true;
    t_.interrupts++;
    t_.cv.notify_all();
  }

 private:
  static size_t copy(const std::string& s, std::span<uint8_t> buf, uint64_t off) {
    if (off >= s.size()) return 0;
    size_t n = std::min<size_t>(buf.size(), s.size() - off);
    std::memcpy(buf.data(), s.data() + off, n);
    return n;
  }
  FakeTree& t_;
  ns::Qid q_;
  bool intr_ = false;
  bool rendered_ = false;
  std::string text_;
};

Result<std::unique_ptr<ns::Handle>> FakeTree::open(ns::Qid q, int flags, const ns::User& who,
                                                   ns::OpenCancel* cancel) {
  auto s = stat(q);
  if (!s) return s.error();
  if (s->dir) return Err::IsDir;
  {
    std::lock_guard<std::mutex> g(mu);
    users.push_back(who.name);
  }
  if (q == kCtl && (flags & O_ACCMODE) != O_RDONLY && who.name != "root") return Err::Access;
  if (q == kClone) {
    std::lock_guard<std::mutex> g(mu);
    q = conv_ctl(nconv++);
  }
  if (q == kListen) {
    std::unique_lock<std::mutex> l(mu);
    if (cancel)
      cancel->set_waker([this] {
        std::lock_guard<std::mutex> g(mu);
        cv.notify_all();
      });
    listeners++;
    cv.notify_all();
    cv.wait(l, [&] { return listen_go || (cancel && cancel->cancelled()); });
    listeners--;
    cv.notify_all();
    bool go = listen_go;
    if (go) q = conv_ctl(nconv++);
    l.unlock();
    if (cancel) cancel->set_waker(nullptr);
    if (!go) return Err::Interrupted;
  }
  if (q == kNdb && (flags & O_TRUNC)) {
    std::lock_guard<std::mutex> g(mu);
    ndb.clear();
  }
  return std::unique_ptr<ns::Handle>(new FakeHandle(*this, q));
}

// ---------------------------------------------------------------- server

constexpr auto kHang = std::chrono::seconds(20);

class NinepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    srv_.serve(sv[0]);
    // Small messages: reads span several. As root, who may write ctl.
    auto c = NinepClient::over_fd(sv[1], 1024 + 24, "root");
    ASSERT_TRUE(c) << c.error().text();
    c_ = std::move(*c);
  }
  void TearDown() override {
    c_.reset();
    srv_.stop();
    std::lock_guard<std::mutex> g(tree_.mu);
    EXPECT_EQ(tree_.handles, 0);  // every open was closed
  }

  // A raw connection for what the client library would not send.
  struct Raw {
    int fd = -1;
    bool dotu = false;  // encode and decode 9P2000.u
    ~Raw() {
      if (fd >= 0) ::close(fd);
    }
    void send(const Fcall& f) {
      auto b = ninep::encode(f, dotu);
      ASSERT_EQ(::write(fd, b.data(), b.size()), ssize_t(b.size()));
    }
    void send_bytes(const std::vector<uint8_t>& b) {
      ASSERT_EQ(::write(fd, b.data(), b.size()), ssize_t(b.size()));
    }
    // The next reply, or nothing at EOF.
    std::optional<Fcall> recv() {
      uint8_t h[4];
      if (!full(h, 4)) return std::nullopt;
      uint32_t n = uint32_t(h[0] | h[1] << 8 | h[2] << 16 | h[3] << 24);
      std::vector<uint8_t> b(n);
      std::memcpy(b.data(), h, 4);
      if (n < 4 || !full(b.data() + 4, n - 4)) return std::nullopt;
      auto f = ninep::decode(b, dotu);
      if (!f) return std::nullopt;
      return *f;
    }
    bool full(uint8_t* p, size_t n) {
      while (n) {
        ssize_t r = ::read(fd, p, n);
        if (r <= 0) return false;
        p += r;
        n -= size_t(r);
      }
      return true;
    }
    Fcall rpc(Fcall t) {
      send(t);
      auto r = recv();
      return r ? *r : Fcall{};
    }
    // Fid 1: the attached root's `data`, walked (tag 2) and opened (tag 3).
    bool open_data(uint8_t mode) {
      Fcall w = msg(ninep::Twalk, 2, 0);
      w.newfid = 1;
      w.wname = {"data"};
      Fcall o = msg(ninep::Topen, 3, 1);
      o.mode = mode;
      return rpc(w).type == ninep::Rwalk && rpc(o).type == ninep::Ropen;
    }
  };
  std::unique_ptr<Raw> raw(bool attach = true) {
    int sv[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    srv_.serve(sv[0]);
    auto r = std::make_unique<Raw>();
    r->fd = sv[1];
    if (attach) {
      Fcall v;
      v.type = ninep::Tversion;
      v.msize = 8192;
      v.version = "9P2000";
      EXPECT_EQ(r->rpc(v).type, ninep::Rversion);
      Fcall a;
      a.type = ninep::Tattach;
      a.tag = 1;
      a.fid = 0;
      a.afid = ninep::kNoFid;
      EXPECT_EQ(r->rpc(a).type, ninep::Rattach);
    }
    return r;
  }
  static Fcall msg(uint8_t type, uint16_t tag, uint32_t fid) {
    Fcall f;
    f.type = type;
    f.tag = tag;
    f.fid = fid;
    return f;
  }

  FakeTree tree_;
  NinepServer srv_{tree_};
  std::unique_ptr<NinepClient> c_;
};

TEST_F(NinepTest, WalkStatAndErrors) {
  auto f = c_->walk("sub/hello");
  ASSERT_TRUE(f) << f.error().text();
  auto d = c_->stat(*f);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->name, "hello");
  EXPECT_EQ(d->qid.path, FakeTree::kHello);
  EXPECT_EQ(d->qid.type, ninep::QTFILE);
  EXPECT_EQ(d->mode, 0444u);
  EXPECT_TRUE(c_->clunk(*f));
  auto root = c_->stat(c_->root());
  ASSERT_TRUE(root);
  EXPECT_EQ(root->mode, ninep::DMDIR | 0555);
  EXPECT_EQ(root->qid.type, ninep::QTDIR);

  auto missing = c_->walk("sub/nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Err::NotFound);
  // ".." walks back up; walking through a file fails.
  auto up = c_->walk("sub/../text");
  ASSERT_TRUE(up);
  EXPECT_EQ(c_->stat(*up)->qid.path, FakeTree::kText);
  EXPECT_TRUE(c_->clunk(*up));
  EXPECT_FALSE(c_->walk("text/x"));

  // A partial walk answers the qids it got and makes no newfid.
  Fcall t = msg(ninep::Twalk, 0, c_->root());
  t.newfid = 77;
  t.wname = {"sub", "nope"};
  auto r = c_->rpc(t);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->type, ninep::Rwalk);
  EXPECT_EQ(r->wqid.size(), 1u);
  auto s = c_->rpc(msg(ninep::Tstat, 0, 77));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->type, ninep::Rerror);
  EXPECT_EQ(s->ename, "bad arg in system call: unknown fid");
  // Bad names are refused before they reach the tree.
  t.wname = {"a/b"};
  EXPECT_EQ(c_->rpc(t)->type, ninep::Rerror);
}

TEST_F(NinepTest, ReadsGeneratedFilesAndDirectories) {
  auto a = c_->read_file("text");
  auto b = c_->read_file("text");
  ASSERT_TRUE(a) << a.error().text();
  ASSERT_TRUE(b);
  EXPECT_GT(a->size(), 6000u);  // many 1 KiB messages, one rendering
  EXPECT_EQ(a->substr(a->size() - 4), "end\n");
  EXPECT_EQ(a->substr(0, 9), "render 1\n");
  EXPECT_EQ(b->substr(0, 9), "render 2\n");

  auto l = c_->list("/");
  ASSERT_TRUE(l) << l.error().text();
  std::set<std::string> names;
  for (auto& d : *l)
    names.insert(d.name);
  EXPECT_EQ(names, (std::set<std::string>{"text", "ctl", "clone", "data", "ndb", "listen", "sub"}));
  for (auto& d : *l)
    if (d.name == "sub") EXPECT_EQ(d.mode, ninep::DMDIR | 0555);

  // Directory offsets must fall on a record.
  auto f = c_->walk("");
  ASSERT_TRUE(f);
  ASSERT_TRUE(c_->open(*f, ninep::OREAD));
  uint8_t buf[512];
  auto n = c_->read(*f, buf, 0);
  ASSERT_TRUE(n);
  EXPECT_GT(*n, 0u);
  EXPECT_FALSE(c_->read(*f, buf, 3));
  EXPECT_FALSE(c_->write(*f, "x"));  // not open for writing
  EXPECT_TRUE(c_->clunk(*f));
}

TEST_F(NinepTest, CtlWritesAreMessagesAndErrorsAreText) {
  std::string msg = "connect 10.0.0.1!80 " + std::string(900, 'a');
  EXPECT_TRUE(c_->write_file("ctl", msg));
  auto bad = c_->write_file("ctl", "bad verb");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Err::BadCtl);
  EXPECT_EQ(bad.error().text(), "unknown control request: bad verb");
  auto ro = c_->write_file("text", "x");
  ASSERT_FALSE(ro);
  EXPECT_EQ(ro.error().code(), Err::ReadOnly);
  std::lock_guard<std::mutex> g(tree_.mu);
  EXPECT_EQ(tree_.ctl_msgs, (std::vector<std::string>{msg}));
}

TEST_F(NinepTest, CloneOpensNewConversation) {
  auto f = c_->walk("clone");
  ASSERT_TRUE(f);
  auto q = c_->open(*f, ninep::ORDWR);
  ASSERT_TRUE(q) << q.error().text();
  EXPECT_EQ(q->path, FakeTree::conv_ctl(0));  // the fid now names 0/ctl
  uint8_t buf[16];
  auto n = c_->read(*f, buf, 0);
  ASSERT_TRUE(n);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), *n), "0");
  EXPECT_EQ(c_->stat(*f)->name, "ctl");
  EXPECT_TRUE(c_->write(*f, "announce 80"));
  auto l = c_->list("0");
  ASSERT_TRUE(l);
  ASSERT_EQ(l->size(), 1u);
  EXPECT_EQ((*l)[0].name, "ctl");
  EXPECT_TRUE(c_->clunk(*f));
  EXPECT_EQ(*c_->read_file("0/ctl"), "0");
}

TEST_F(NinepTest, BlockedReadDoesNotHoldUpTheConnection) {
  auto f = c_->walk("data");
  ASSERT_TRUE(f);
  ASSERT_TRUE(c_->open(*f, ninep::ORDWR));
  auto got = std::async(std::launch::async, [&] {
    uint8_t buf[64];
    auto n = c_->read(*f, buf, 0);
    return n ? std::string(reinterpret_cast<char*>(buf), *n) : n.error().text();
  });
  ASSERT_TRUE(tree_.wait([&] { return tree_.readers == 1; }));
  // Same connection, while the read blocks: walks, reads, a write to data.
  EXPECT_EQ(*c_->read_file("sub/hello"), "hello\n");
  auto w = c_->walk("data");
  ASSERT_TRUE(w);
  ASSERT_TRUE(c_->open(*w, ninep::OWRITE));
  EXPECT_TRUE(c_->write(*w, "packet"));
  ASSERT_EQ(got.wait_for(kHang), std::future_status::ready);
  EXPECT_EQ(got.get(), "packet");
  EXPECT_TRUE(c_->clunk(*w));
  EXPECT_TRUE(c_->clunk(*f));
}

TEST_F(NinepTest, FlushInterruptsBlockedRead) {
  auto f = c_->walk("data");
  ASSERT_TRUE(f);
  ASSERT_TRUE(c_->open(*f, ninep::OREAD));
  auto got = std::async(std::launch::async, [&] {
    uint8_t buf[64];
    auto n = c_->read(*f, buf, 0);
    return n ? Err::Ok : n.error().code();
  });
  ASSERT_TRUE(tree_.wait([&] { return tree_.readers == 1; }));
  c_->flush(*f);
  ASSERT_EQ(got.wait_for(kHang), std::future_status::ready);
  EXPECT_EQ(got.get(), Err::Interrupted);
  {
    std::lock_guard<std::mutex> g(tree_.mu);
    EXPECT_EQ(tree_.interrupts, 1);
    EXPECT_EQ(tree_.readers, 0);
  }
  // The fid still works: data queued now is read.
  EXPECT_TRUE(c_->write_file("data", "later"));
  uint8_t buf[64];
  auto n = c_->read(*f, buf, 0);
  ASSERT_TRUE(n);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), *n), "later");
  EXPECT_TRUE(c_->clunk(*f));
}

TEST_F(NinepTest, FlushCancelsBlockedOpen) {
  auto f = c_->walk("listen");
  ASSERT_TRUE(f);
  auto opened = std::async(std::launch::async, [&] {
    auto q = c_->open(*f, ninep::ORDWR);
    return q ? Err::Ok : q.error().code();
  });
  ASSERT_TRUE(tree_.wait([&] { return tree_.listeners == 1; }));
  c_->flush(*f);  // Rflush at once; the open is cancelled in the tree
  ASSERT_EQ(opened.wait_for(kHang), std::future_status::ready);
  EXPECT_EQ(opened.get(), Err::Interrupted);
  // It ended without a call: no conversation was made, the fid is unopened.
  ASSERT_TRUE(tree_.wait([&] { return tree_.listeners == 0 && tree_.handles == 0; }));
  EXPECT_TRUE(tree_.wait([&] { return tree_.nconv == 0; }));
  uint8_t buf[8];
  auto n = c_->read(*f, buf, 0);
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().text(), "bad arg in system call: fid not open");
  EXPECT_TRUE(c_->clunk(*f));
}

TEST_F(NinepTest, ClunkAndDisconnectEndBlockedCalls) {
  auto f = c_->walk("data");
  ASSERT_TRUE(f);
  ASSERT_TRUE(c_->open(*f, ninep::OREAD));
  auto got = std::async(std::launch::async, [&] {
    uint8_t buf[8];
    auto n = c_->read(*f, buf, 0);
    return n ? Err::Ok : n.error().code();
  });
  ASSERT_TRUE(tree_.wait([&] { return tree_.readers == 1; }));
  EXPECT_TRUE(c_->clunk(*f));  // interrupts the read (the handle closes after)
  ASSERT_EQ(got.wait_for(kHang), std::future_status::ready);
  EXPECT_EQ(got.get(), Err::Interrupted);

  // A client that goes away while reading: the server ends the call.
  auto r = raw();
  EXPECT_TRUE(r->open_data(ninep::OREAD));
  Fcall rd = msg(ninep::Tread, 4, 1);
  rd.count = 100;
  r->send(rd);
  ASSERT_TRUE(tree_.wait([&] { return tree_.readers == 1; }));
  r.reset();
  ASSERT_TRUE(tree_.wait([&] { return tree_.readers == 0 && tree_.handles == 0; }));
}

TEST_F(NinepTest, NdbTruncatesOnlyByWstatToZero) {
  EXPECT_TRUE(c_->write_file("ndb", "sys=a\n"));
  EXPECT_EQ(*c_->read_file("ndb"), "sys=a\n");
  auto f = c_->walk("ndb");
  ASSERT_TRUE(f);
  EXPECT_EQ(c_->stat(*f)->length, 6u);
  ninep::Dir d = ninep::Dir::dont_touch();
  EXPECT_TRUE(c_->wstat(*f, d));  // changes nothing: allowed
  d.name = "other";
  EXPECT_EQ(c_->wstat(*f, d).error().code(), Err::Perm);
  d = ninep::Dir::dont_touch();
  d.length = 3;
  EXPECT_EQ(c_->wstat(*f, d).error().code(), Err::Perm);
  EXPECT_TRUE(c_->truncate(*f));
  EXPECT_EQ(*c_->read_file("ndb"), "");
  EXPECT_TRUE(c_->clunk(*f));
  auto t = c_->walk("text");
  EXPECT_EQ(c_->truncate(*t).error().code(), Err::Perm);
  EXPECT_TRUE(c_->clunk(*t));
  // OTRUNC reaches the tree's open.
  EXPECT_TRUE(c_->write_file("ndb", "x"));
  auto g = c_->walk("ndb");
  ASSERT_TRUE(c_->open(*g, ninep::OWRITE | ninep::OTRUNC));
  EXPECT_TRUE(c_->clunk(*g));
  EXPECT_EQ(*c_->read_file("ndb"), "");
}

TEST_F(NinepTest, RefusesAuthCreateRemove) {
  Fcall a = msg(ninep::Tauth, 0, ninep::kNoFid);
  a.afid = 5;
  EXPECT_EQ(c_->rpc(a)->ename, "permission denied: authentication not required");
  Fcall cr = msg(ninep::Tcreate, 0, c_->root());
  cr.name = "new";
  EXPECT_EQ(c_->rpc(cr)->ename, "permission denied");
  auto f = c_->walk("ctl");
  ASSERT_TRUE(f);
  EXPECT_EQ(c_->rpc(msg(ninep::Tremove, 0, *f))->ename, "permission denied");
  // remove(5) clunks the fid even when it fails.
  EXPECT_EQ(c_->rpc(msg(ninep::Tstat, 0, *f))->ename, "bad arg in system call: unknown fid");
  auto g = c_->walk("ctl");
  EXPECT_EQ(c_->open(*g, ninep::ORDWR | ninep::ORCLOSE).error().code(), Err::Perm);
  EXPECT_EQ(c_->open(c_->root(), ninep::OWRITE).error().code(), Err::IsDir);
  EXPECT_TRUE(c_->clunk(*g));
}

TEST_F(NinepTest, VersionRules) {
  auto r = raw(false);
  Fcall s = msg(ninep::Tstat, 1, 0);
  EXPECT_EQ(r->rpc(s).ename, "bad arg in system call: version not negotiated");
  Fcall v;
  v.type = ninep::Tversion;
  v.msize = 100;
  v.version = "9P2000";
  EXPECT_EQ(r->rpc(v).type, ninep::Rerror);
  v.msize = 1 << 30;
  v.version = "9P2000.L";  // not served: answered with the base dialect
  Fcall rv = r->rpc(v);
  EXPECT_EQ(rv.type, ninep::Rversion);
  EXPECT_EQ(rv.version, "9P2000");
  EXPECT_EQ(rv.msize, NinepServer::Options{}.max_msize);
  v.version = "9P1999";
  EXPECT_EQ(r->rpc(v).version, "unknown");
  // Tversion resets the session: fids are gone.
  v.version = "9P2000";
  v.msize = 8192;
  EXPECT_EQ(r->rpc(v).msize, 8192u);
  Fcall a = msg(ninep::Tattach, 1, 0);
  a.afid = ninep::kNoFid;
  EXPECT_EQ(r->rpc(a).type, ninep::Rattach);
  EXPECT_EQ(r->rpc(a).ename, "connection in use: fid in use");
  EXPECT_EQ(r->rpc(v).type, ninep::Rversion);
  EXPECT_EQ(r->rpc(msg(ninep::Tstat, 1, 0)).ename, "bad arg in system call: unknown fid");
}

TEST_F(NinepTest, SurvivesGarbage) {
  auto r = raw();
  // Well framed but meaningless: answered with Rerror, the session goes on.
  r->send_bytes(bytes({9, 0, 0, 0, 200, 5, 0, 1, 2}));
  auto e = r->recv();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, ninep::Rerror);
  EXPECT_EQ(e->tag, 5);
  r->send_bytes(bytes({11, 0, 0, 0, ninep::Twalk, 6, 0, 0, 0, 0, 0}));  // cut short
  EXPECT_EQ(r->recv()->tag, 6);
  EXPECT_EQ(r->rpc(msg(ninep::Tstat, 7, 0)).type, ninep::Rstat);
  // A size beyond msize cannot be framed: the server hangs up.
  r->send_bytes(bytes({0xff, 0xff, 0xff, 0x7f, 100, 0, 0}));
  EXPECT_FALSE(r->recv());
}

// Who a request is: the attach name, believed (no authentication).
TEST_F(NinepTest, TheAttachNameIsTheUser) {
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  srv_.serve(sv[0]);
  auto g = NinepClient::over_fd(sv[1], 8192 + 24, "glenda");
  ASSERT_TRUE(g) << g.error().text();
  auto w = (*g)->write_file("ctl", "hangup");
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().text(), "permission denied");  // 9P2000: the text alone
  EXPECT_EQ(*(*g)->read_file("ctl"), "ctl\n");       // reading is allowed
  EXPECT_TRUE(c_->write_file("ctl", "hangup"));      // ... and root may write
  std::lock_guard<std::mutex> l(tree_.mu);
  ASSERT_GE(tree_.users.size(), 3u);
  EXPECT_EQ(tree_.users[0], "glenda");
  EXPECT_EQ(tree_.users[1], "glenda");
  EXPECT_EQ(tree_.ctl_msgs, (std::vector<std::string>{"hangup"}));
}

// 9P2000.u, as Linux's v9fs speaks it: an attach by number, errno beside
// every error's text, numeric owners in stat.
TEST_F(NinepTest, DotuCarriesErrnoAndNumericUsers) {
  auto r = raw(false);
  r->dotu = true;
  Fcall v;
  v.type = ninep::Tversion;
  v.msize = 8192;
  v.version = "9P2000.u";
  EXPECT_EQ(r->rpc(v).version, "9P2000.u");
  Fcall a = msg(ninep::Tattach, 1, 0);
  a.afid = ninep::kNoFid;
  a.n_uname = 65534;  // Linux: uname "", the local uid
  ASSERT_EQ(r->rpc(a).type, ninep::Rattach);
  Fcall w = msg(ninep::Twalk, 2, 0);
  w.newfid = 1;
  w.wname = {"ctl"};
  ASSERT_EQ(r->rpc(w).type, ninep::Rwalk);
  Fcall o = msg(ninep::Topen, 3, 1);
  o.mode = ninep::OWRITE | ninep::OTRUNC;
  Fcall e = r->rpc(o);
  EXPECT_EQ(e.type, ninep::Rerror);
  EXPECT_EQ(e.ename, "permission denied");
  EXPECT_EQ(e.errnum, uint32_t(EACCES));
  {
    std::lock_guard<std::mutex> l(tree_.mu);
    passwd* pw = getpwuid(65534);
    EXPECT_EQ(tree_.users.back(), pw ? std::string(pw->pw_name) : "65534");
  }
  Fcall st = r->rpc(msg(ninep::Tstat, 4, 1));
  ASSERT_EQ(st.type, ninep::Rstat);
  auto d = ninep::unpack_dir(st.stat, true);
  ASSERT_TRUE(d) << d.error().text();
  EXPECT_EQ(d->uid, "root");
  EXPECT_EQ(d->n_uid, 0u);
  EXPECT_EQ(d->n_gid, 0u);
  // A bad ctl message: EINVAL, not a number Linux does not know.
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  srv_.serve(sv[0]);
  auto u = NinepClient::over_fd(sv[1], 8192 + 24, "root", true);
  ASSERT_TRUE(u) << u.error().text();
  EXPECT_TRUE((*u)->dotu());
  auto bad = (*u)->write_file("ctl", "bad verb");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Err::BadCtl);
  Fcall raw_w;
  raw_w.type = ninep::Twrite;
  auto g = (*u)->walk("ctl");
  ASSERT_TRUE((*u)->open(*g, ninep::OWRITE));
  raw_w.fid = *g;
  raw_w.data = {'b', 'a', 'd'};
  auto rr = (*u)->rpc(raw_w);
  ASSERT_TRUE(rr);
  EXPECT_EQ(rr->type, ninep::Rerror);
  EXPECT_EQ(rr->errnum, uint32_t(EINVAL));
  EXPECT_TRUE((*u)->clunk(*g));
  // A non-owner over 9P2000.u: the client knows EACCES from EPERM.
  int sv2[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv2), 0);
  srv_.serve(sv2[0]);
  auto n = NinepClient::over_fd(sv2[1], 8192 + 24, "glenda", true);
  ASSERT_TRUE(n);
  EXPECT_EQ((*n)->write_file("ctl", "hangup").error().code(), Err::Access);
}

// What Linux's v9fs sends for `echo x > ctl` (open O_TRUNC, then a wstat of
// length 0 with the time), chmod (mode) and chown (uid): the tree decides.
TEST_F(NinepTest, WstatAsLinuxSendsIt) {
  auto f = c_->walk("ctl");
  ASSERT_TRUE(c_->open(*f, ninep::OWRITE | ninep::OTRUNC));
  ninep::Dir d = ninep::Dir::dont_touch();
  d.length = 0;
  d.mtime = 1700000000;
  EXPECT_TRUE(c_->wstat(*f, d));
  EXPECT_TRUE(c_->write(*f, "hangup"));
  EXPECT_TRUE(c_->clunk(*f));
  // A conversation's mode and owner: only its owner ("nobody") may.
  auto clone = c_->walk("clone");
  ASSERT_TRUE(c_->open(*clone, ninep::ORDWR));
  auto conv = c_->walk("0/ctl");
  ASSERT_TRUE(conv);
  d = ninep::Dir::dont_touch();
  d.mode = 0600;
  EXPECT_EQ(c_->wstat(*conv, d).error().code(), Err::Perm);  // we are root here
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  srv_.serve(sv[0]);
  auto nb = NinepClient::over_fd(sv[1], 8192 + 24, "nobody");
  ASSERT_TRUE(nb);
  auto c2 = (*nb)->walk("0/ctl");
  ASSERT_TRUE(c2);
  EXPECT_TRUE((*nb)->wstat(*c2, d));
  EXPECT_EQ((*nb)->stat(*c2)->mode, 0600u);
  EXPECT_EQ((*nb)->stat(*c2)->uid, "nobody");
  d = ninep::Dir::dont_touch();
  d.uid = "glenda";
  EXPECT_TRUE((*nb)->wstat(*c2, d));
  EXPECT_EQ((*nb)->stat(*c2)->uid, "glenda");
  // The group is the owner's: another is refused; so is a name change.
  d = ninep::Dir::dont_touch();
  d.gid = "sys";
  EXPECT_EQ((*nb)->wstat(*c2, d).error().code(), Err::Perm);
  EXPECT_TRUE((*nb)->clunk(*c2));
  EXPECT_TRUE(c_->clunk(*conv));
  EXPECT_TRUE(c_->clunk(*clone));
}

// A client may use a tag again as soon as its reply arrives, which can be
// before the worker that sent the reply has put the request away.
TEST_F(NinepTest, ATagIsFreeOnceItsReplyArrives) {
  auto r = raw();
  Fcall w = msg(ninep::Twalk, 2, 0);
  w.newfid = 1;
  w.wname = {"sub", "hello"};
  ASSERT_EQ(r->rpc(w).type, ninep::Rwalk);
  Fcall o = msg(ninep::Topen, 3, 1);
  o.mode = ninep::OREAD;
  ASSERT_EQ(r->rpc(o).type, ninep::Ropen);
  Fcall rd = msg(ninep::Tread, 5, 1);
  rd.count = 100;
  for (int i = 0; i < 2000; i++) {
    Fcall got = r->rpc(rd);
    ASSERT_EQ(got.type, ninep::Rread) << "read " << i << ": " << got.ename;
    ASSERT_EQ(got.data, bytes({'h', 'e', 'l', 'l', 'o', '\n'}));
  }
}

// Linux's v9fs repeats a short read at the next offset until its buffer is
// full: over 9P2000.u that continuation of a stream read gets 0 bytes at
// once, and the read after it blocks as usual.
TEST_F(NinepTest, DotuShortStreamReadEndsLinuxsLoop) {
  auto r = raw(false);
  r->dotu = true;
  Fcall v;
  v.type = ninep::Tversion;
  v.msize = 8192;
  v.version = "9P2000.u";
  ASSERT_EQ(r->rpc(v).version, "9P2000.u");
  Fcall a = msg(ninep::Tattach, 1, 0);
  a.afid = ninep::kNoFid;
  a.uname = "root";
  ASSERT_EQ(r->rpc(a).type, ninep::Rattach);
  ASSERT_TRUE(r->open_data(ninep::ORDWR));
  Fcall wr = msg(ninep::Twrite, 4, 1);
  wr.data = {'p', 'k', 't'};
  ASSERT_EQ(r->rpc(wr).type, ninep::Rwrite);
  Fcall rd = msg(ninep::Tread, 5, 1);
  rd.count = 100;
  Fcall got = r->rpc(rd);
  EXPECT_EQ(got.data, bytes({'p', 'k', 't'}));
  rd.offset = 3;  // Linux's loop goes on
  got = r->rpc(rd);
  EXPECT_EQ(got.type, ninep::Rread);
  EXPECT_TRUE(got.data.empty());
  r->send(rd);  // the next read(2), at the same offset: it waits for data
  ASSERT_TRUE(tree_.wait([&] { return tree_.readers == 1; }));
  EXPECT_TRUE(c_->write_file("data", "two"));
  auto next = r->recv();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->data, bytes({'t', 'w', 'o'}));
}

// A read of 0 bytes (no Linux client sends one; a fuzzer did) is answered
// at once with nothing, and a stream keeps the datagram it had.
TEST_F(NinepTest, AReadOfNothingTakesNothing) {
  auto r = raw();
  // A reply that never comes fails the test instead of hanging it (a guard).
  timeval tv{10, 0};
  ASSERT_EQ(setsockopt(r->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
  ASSERT_TRUE(r->open_data(ninep::ORDWR));
  Fcall rd = msg(ninep::Tread, 4, 1);
  rd.count = 0;
  Fcall got = r->rpc(rd);
  EXPECT_EQ(got.type, ninep::Rread) << "with nothing queued, no wait";
  EXPECT_TRUE(got.data.empty());
  Fcall wr = msg(ninep::Twrite, 5, 1);
  wr.data = {'p', 'k', 't'};
  ASSERT_EQ(r->rpc(wr).type, ninep::Rwrite);
  got = r->rpc(rd);
  EXPECT_EQ(got.type, ninep::Rread);
  EXPECT_TRUE(got.data.empty());
  rd.count = 100;
  got = r->rpc(rd);
  EXPECT_EQ(got.data, bytes({'p', 'k', 't'})) << "the datagram was kept";
}

TEST(NinepSockets, UnixAndLoopbackTcp) {
  FakeTree tree;
  NinepServer srv(tree);
  char dir[] = "/tmp/ninet-9p-test-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/sock";
  // A stale socket file (its server gone) is replaced.
  int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
  auto sa = ninep::parse_addr(path, true);
  ASSERT_TRUE(sa);
  ASSERT_EQ(::bind(s, sa->addr(), sa->len), 0);  // a socket file nobody serves
  ::close(s);
  ASSERT_TRUE(srv.listen("unix!" + path));
  EXPECT_EQ(srv.listen("unix!" + path).error().code(), Err::AddrInUse);  // live: refused
  ASSERT_TRUE(srv.listen("tcp!127.0.0.1!0"));
  uint16_t port = srv.tcp_port();
  EXPECT_NE(port, 0);
  EXPECT_EQ(srv.listen("tcp!192.0.2.1!564").error().code(), Err::Perm);

  auto u = NinepClient::connect("unix!" + path);
  ASSERT_TRUE(u) << u.error().text();
  EXPECT_EQ(*(*u)->read_file("sub/hello"), "hello\n");
  auto t = NinepClient::connect("tcp!127.0.0.1!" + std::to_string(port));
  ASSERT_TRUE(t) << t.error().text();
  EXPECT_EQ(*(*t)->read_file("sub/hello"), "hello\n");

  // stop() ends connections with calls blocked in the tree.
  auto f = (*t)->walk("data");
  ASSERT_TRUE((*t)->open(*f, ninep::OREAD));
  auto got = std::async(std::launch::async, [&] {
    uint8_t buf[8];
    return (*t)->read(*f, buf, 0).ok();
  });
  ASSERT_TRUE(tree.wait([&] { return tree.readers == 1; }));
  srv.stop();
  ASSERT_EQ(got.wait_for(kHang), std::future_status::ready);
  EXPECT_FALSE(got.get());
  EXPECT_NE(::access(path.c_str(), F_OK), 0);  // the socket file is gone
  EXPECT_FALSE(NinepClient::connect("unix!" + path));
  u->reset();
  t->reset();
  ::rmdir(dir);
  std::lock_guard<std::mutex> g(tree.mu);
  EXPECT_EQ(tree.handles, 0);
}

}  // namespace
}  // namespace ninet
