// fuse_server_test.cc — mounts a small fake tree and uses it through plain
// POSIX calls, as `ls`, `cat` and `echo >` would. Needs root and /dev/fuse.
#include "serve/fuse/fuse_server.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

namespace ninet {
namespace {

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

// /            text ctl clone data ndb log listen sub/ N/
// sub/         hello
// N/           ctl            (made by opening clone or listen; reading ctl gives N)
// data and log are streams (log a byte stream that keeps what a read leaves);
// opening listen blocks until release_listen() or the opener's interrupt.
// ctl belongs to root: only a privileged user may write it. A conversation's
// ctl belongs to nobody; writing "block" to it blocks until unblock() or an
// interrupt.
class FakeTree final : public ns::Tree {
 public:
  enum : ns::Qid {
    kRoot = 0,
    kText,
    kCtl,
    kClone,
    kData,
    kNdb,
    kSub,
    kHello,
    kLog,
    kListen,
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
    switch (q) {
      case kRoot:
        return mk(q, "/", true, 0555, 0, true);
      case kText:
        return mk(q, "text", false, 0444, 0, true);
      case kCtl: {
        auto s = mk(q, "ctl", false, 0644, 0, true);
        s.owner = "root";
        return s;
      }
      case kClone: {
        auto s = mk(q, "clone", false, 0666, 0, true);
        s.clone = true;
        return s;
      }
      case kData: {
        auto s = mk(q, "data", false, 0660, 0, true);
        s.stream = true;
        return s;
      }
      case kLog: {
        auto s = mk(q, "log", false, 0444, 0, true);
        s.stream = true;
        return s;
      }
      case kListen: {
        auto s = mk(q, "listen", false, 0666, 0, true);
        s.clone = true;
        return s;
      }
      case kNdb:
        return mk(q, "ndb", false, 0664, ndb.size(), false);
      case kSub:
        return mk(q, "sub", true, 0555, 0, true);
      case kHello:
        return mk(q, "hello", false, 0444, 0, true);
      default:
        break;
    }
    if (q >= kConv0 && (q - kConv0) / 2 < nconv) {
      unsigned n = unsigned(q - kConv0) / 2;
      if (q == conv_dir(n)) return mk(q, std::to_string(n), true, 0555, 0, true);
      auto s = mk(q, "ctl", false, conv_mode, 0, true);
      s.owner = "nobody";
      return s;
    }
    return Err::NotFound;
  }

  Result<std::vector<ns::Stat>> readdir(ns::Qid dir) override {
    std::vector<ns::Qid> qs;
    {
      std::lock_guard<std::mutex> g(mu);
      if (dir == kRoot) {
        qs = {kText, kCtl, kClone, kData, kNdb, kLog, kListen, kSub};
        for (unsigned n = 0; n < nconv; n++)
          qs.push_back(conv_dir(n));
      } else if (dir == kSub) {
        qs = {kHello};
      } else if (dir >= kConv0 && (dir - kConv0) % 2 == 0 && (dir - kConv0) / 2 < nconv) {
        qs = {dir + 1};
      } else {
        return Err::NotFound;
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
    if (q < kConv0 || who.name != "root") return Err::Perm;
    conv_mode = mode;
    return {};
  }

  Status truncate(ns::Qid q, const ns::User&) override {
    if (q != kNdb) return Err::Perm;
    std::lock_guard<std::mutex> g(mu);
    ndb.clear();
    truncates++;
    return {};
  }

  // Waits until `n` reads of data are waiting in the tree (false: they never
  // came; the bound only keeps a broken server from hanging the suite).
  bool wait_readers(int n) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, std::chrono::seconds(20), [&] { return readers >= n; });
  }
  template <typename Pred>
  bool wait_for(Pred p) {  // the same bound, for any state of the tree
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, std::chrono::seconds(20), p);
  }
  void release_listen() {
    std::lock_guard<std::mutex> g(mu);
    listen_go = true;
    cv.notify_all();
  }
  void unblock() {
    std::lock_guard<std::mutex> g(mu);
    unblocked = true;
    cv.notify_all();
  }

  std::mutex mu;
  std::condition_variable cv;
  unsigned nconv = 0;
  unsigned renders = 0;
  std::vector<std::string> ctl_msgs;
  std::string ndb;
  int truncates = 0;
  std::deque<std::string> dataq;
  int readers = 0;     // reads of data blocked now
  int interrupts = 0;  // Handle::interrupt calls
  std::string logbuf;  // the log stream's unread bytes
  bool listen_go = false;
  int listening = 0;  // opens of listen waiting now
  int blocked = 0;    // "block" writes waiting now
  bool unblocked = false;
  uint32_t conv_mode = 0660;
  std::vector<std::pair<std::string, bool>> users;  // who opened, in order
};

class FakeHandle final : public ns::Handle {
 public:
  FakeHandle(FakeTree& t, ns::Qid q) : t_(t), q_(q) {}
  ns::Qid qid() const override { return q_; }

  Result<size_t> read(std::span<uint8_t> buf, uint64_t off) override {
    std::unique_lock<std::mutex> l(t_.mu);
    if (q_ == FakeTree::kData) {
      t_.readers++;
      t_.cv.notify_all();
      t_.cv.wait(l, [&] { return !t_.dataq.empty() || intr_; });
      t_.readers--;
      if (t_.dataq.empty()) {
        intr_ = false;
        return Err::Interrupted;
      }
      std::string s = std::move(t_.dataq.front());
      t_.dataq.pop_front();
      size_t n = std::min(s.size(), buf.size());
      std::memcpy(buf.data(), s.data(), n);
      return n;
    }
    if (q_ == FakeTree::kNdb) return copy(t_.ndb, buf, off);
    if (q_ == FakeTree::kLog) {
      t_.cv.wait(l, [&] { return !t_.logbuf.empty() || intr_; });
      if (t_.logbuf.empty()) {
        intr_ = false;
        return Err::Interrupted;
      }
      size_t n = std::min(t_.logbuf.size(), buf.size());
      std::memcpy(buf.data(), t_.logbuf.data(), n);
      t_.logbuf.erase(0, n);
      return n;
    }
    if (off == 0 || !rendered_) {
      rendered_ = true;
      if (q_ == FakeTree::kText) {
        text_ =
            "render " + std::to_string(++t_.renders) + "\n" + std::string(6000, 'x') + "\nend\n";
      } else if (q_ == FakeTree::kHello) {
        text_ = "hello\n";
      } else if (q_ == FakeTree::kCtl) {
        text_ = "ctl\n";
      } else {
        text_ = std::to_string((q_ - FakeTree::kConv0) / 2);  // a conversation's ctl
      }
    }
    return copy(text_, buf, off);
  }

  Result<size_t> write(std::span<const uint8_t> data, uint64_t off) override {
    std::string s(reinterpret_cast<const char*>(data.data()), data.size());
    std::unique_lock<std::mutex> l(t_.mu);
    switch (q_) {
      case FakeTree::kText:
      case FakeTree::kHello:
        return Err::ReadOnly;
      case FakeTree::kData:
        t_.dataq.push_back(s);
        t_.cv.notify_all();
        return data.size();
      case FakeTree::kLog:
        t_.logbuf += s;
        t_.cv.notify_all();
        return data.size();
      case FakeTree::kNdb:
        if (off + s.size() > 1024) return Err::TooBig;
        if (t_.ndb.size() < off + s.size()) t_.ndb.resize(off + s.size());
        t_.ndb.replace(off, s.size(), s);
        return data.size();
      default:
        if (s.rfind("bad", 0) == 0) return Error(Err::BadCtl, s);
        if (s == "block") {
          t_.blocked++;
          t_.cv.notify_all();
          t_.cv.wait(l, [&] { return t_.unblocked || intr_; });
          t_.blocked--;
          t_.cv.notify_all();
          bool ok = t_.unblocked;
          intr_ = false;
          if (!ok) return Err::Interrupted;
        }
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
  bool intr_ = false;  // guarded by t_.mu
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
    users.emplace_back(who.name, who.privileged);
  }
  if (q == kCtl && (flags & O_ACCMODE) != O_RDONLY && !who.privileged) return Err::Access;
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
    listening++;
    cv.notify_all();
    cv.wait(l, [&] { return listen_go || (cancel && cancel->cancelled()); });
    listening--;
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

bool mounted_at(const std::string& dir) {
  std::ifstream f("/proc/self/mountinfo");
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream in(line);
    std::string id, parent, dev, root, mp;
    in >> id >> parent >> dev >> root >> mp;
    if (mp == dir) return true;
  }
  return false;
}

std::string slurp(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return "<open: " + std::string(std::strerror(errno)) + ">";
  std::string out;
  char buf[1000];  // small reads: offsets beyond the first matter
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0)
    out.append(buf, size_t(n));
  if (n < 0) out += "<read: " + std::string(std::strerror(errno)) + ">";
  ::close(fd);
  return out;
}

std::set<std::string> ls(const std::string& path) {
  std::set<std::string> names;
  DIR* d = opendir(path.c_str());
  if (!d) return {"<opendir failed>"};
  while (dirent* e = ::readdir(d))
    names.insert(e->d_name);
  closedir(d);
  return names;
}

void on_signal(int) {}

class FuseServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to mount";
    int fd = ::open("/dev/fuse", O_RDWR);
    if (fd < 0) GTEST_SKIP() << "no /dev/fuse";
    ::close(fd);
    char tmpl[] = "/tmp/ninet-fuse-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    mp_ = base_ + "/mnt";  // does not exist yet: mount() makes it
    auto m = FuseServer::mount(tree_, mp_);
    ASSERT_TRUE(m) << m.error().text();
    srv_ = std::move(*m);
  }
  void TearDown() override {
    srv_.reset();
    if (!base_.empty()) {
      EXPECT_FALSE(mounted_at(mp_));
      rmdir(mp_.c_str());
      rmdir(base_.c_str());
    }
  }
  std::string path(const std::string& p) { return mp_ + "/" + p; }

  FakeTree tree_;
  std::string base_, mp_;
  std::unique_ptr<FuseServer> srv_;
};

TEST_F(FuseServerTest, ListsAndStats) {
  EXPECT_TRUE(mounted_at(mp_));
  std::set<std::string> want = {".",    "..",  "text", "ctl",    "clone",
                                "data", "ndb", "log",  "listen", "sub"};
  EXPECT_EQ(ls(mp_), want);
  EXPECT_EQ(ls(path("sub")), (std::set<std::string>{".", "..", "hello"}));
  struct stat st;
  ASSERT_EQ(::stat(path("sub").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_ino, FakeTree::kSub + 1);
  ASSERT_EQ(::stat(path("ctl").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  EXPECT_EQ(st.st_uid, 0u);  // owner "root"
  EXPECT_EQ(st.st_size, 0);
  ASSERT_EQ(::stat(mp_.c_str(), &st), 0);
  EXPECT_EQ(st.st_ino, 1u);  // root qid 0 = FUSE_ROOT_ID
  errno = 0;
  EXPECT_EQ(::stat(path("nonesuch").c_str(), &st), -1);
  EXPECT_EQ(errno, ENOENT);
}

TEST_F(FuseServerTest, GeneratedFilesAreFreshAndWhole) {
  std::string a = slurp(path("text"));
  std::string b = slurp(path("text"));
  // Longer than one read, though st_size is 0; rendered anew by each open.
  ASSERT_EQ(a.size(), b.size());
  EXPECT_GT(a.size(), 6000u);
  EXPECT_EQ(a.substr(a.size() - 4), "end\n");
  EXPECT_NE(a, b);
  EXPECT_EQ(slurp(path("sub/hello")), "hello\n");
}

TEST_F(FuseServerTest, CtlWritesAreOneMessageAndErrorsHaveErrno) {
  int fd = ::open(path("ctl").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  std::string msg = "connect 10.0.0.1!80 " + std::string(3000, 'a');
  EXPECT_EQ(::write(fd, msg.data(), msg.size()), ssize_t(msg.size()));
  errno = 0;
  EXPECT_EQ(::write(fd, "bad verb", 8), -1);
  EXPECT_EQ(errno, EINVAL);
  ::close(fd);
  // A shell's `>` opens with O_TRUNC, which a ctl file must not refuse.
  std::string cmd = "echo hangup > " + path("ctl");
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  std::lock_guard<std::mutex> g(tree_.mu);
  EXPECT_EQ(tree_.ctl_msgs, (std::vector<std::string>{msg, "hangup\n"}));
}

TEST_F(FuseServerTest, CloneOpensNewConversation) {
  int fd = ::open(path("clone").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  char buf[16] = {};
  EXPECT_EQ(::read(fd, buf, sizeof buf), 1);
  EXPECT_STREQ(buf, "0");
  // The new directory shows at once (no entry caching).
  EXPECT_TRUE(ls(mp_).count("0"));
  EXPECT_EQ(ls(path("0")), (std::set<std::string>{".", "..", "ctl"}));
  EXPECT_EQ(::write(fd, "announce 80", 11), 11);
  ::close(fd);
  EXPECT_EQ(slurp(path("clone")), "1");
  EXPECT_EQ(slurp(path("0/ctl")), "0");
  EXPECT_TRUE(ls(mp_).count("1"));
  std::lock_guard<std::mutex> g(tree_.mu);
  EXPECT_EQ(tree_.ctl_msgs, (std::vector<std::string>{"announce 80"}));
}

TEST_F(FuseServerTest, NdbTruncates) {
  std::string cmd = "printf 'sys=a\\n' > " + path("ndb");
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_EQ(slurp(path("ndb")), "sys=a\n");
  cmd = "printf 'b\\n' >> " + path("ndb");
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_EQ(slurp(path("ndb")), "sys=a\nb\n");
  ASSERT_EQ(::truncate(path("ndb").c_str(), 0), 0);
  EXPECT_EQ(slurp(path("ndb")), "");
  {
    std::lock_guard<std::mutex> g(tree_.mu);
    EXPECT_EQ(tree_.truncates, 1);
  }
  errno = 0;
  EXPECT_EQ(::truncate(path("ndb").c_str(), 3), -1);
  EXPECT_EQ(errno, EINVAL);
  errno = 0;
  EXPECT_EQ(::truncate(path("text").c_str(), 0), -1);
  EXPECT_EQ(errno, EPERM);
  std::string big(2000, 'z');
  int fd = ::open(path("ndb").c_str(), O_WRONLY);
  errno = 0;
  EXPECT_EQ(::write(fd, big.data(), big.size()), -1);
  EXPECT_EQ(errno, EMSGSIZE);
  ::close(fd);
}

TEST_F(FuseServerTest, NamesCannotBeMade) {
  errno = 0;
  EXPECT_EQ(::open(path("newfile").c_str(), O_WRONLY | O_CREAT, 0644), -1);
  EXPECT_EQ(errno, EPERM);
  EXPECT_EQ(::mkdir(path("newdir").c_str(), 0755), -1);
  EXPECT_EQ(::unlink(path("ctl").c_str()), -1);
}

// Reads `data` on its own thread; the result is (bytes or -1, errno).
struct Reader {
  explicit Reader(const std::string& p) : path(p) {
    th = std::thread([this] {
      tid = pthread_self();
      started.set_value();
      int fd = ::open(path.c_str(), O_RDONLY);
      char buf[100];
      ssize_t n = fd < 0 ? -1 : ::read(fd, buf, sizeof buf);
      int err = errno;
      if (fd >= 0) ::close(fd);
      done.set_value({n < 0 ? std::string() : std::string(buf, size_t(n)), n < 0 ? err : 0});
    });
    started.get_future().wait();
    result = done.get_future();
  }
  ~Reader() {
    if (th.joinable()) th.join();
  }
  std::string path;
  pthread_t tid;
  std::thread th;
  std::promise<void> started;
  std::promise<std::pair<std::string, int>> done;
  std::future<std::pair<std::string, int>> result;
};

// A guard against a hang, not a timing assertion.
constexpr auto kHang = std::chrono::seconds(20);

TEST_F(FuseServerTest, BlockedReadGetsDataWithoutBlockingOthers) {
  Reader r(path("data"));
  ASSERT_TRUE(tree_.wait_readers(1));
  EXPECT_EQ(slurp(path("sub/hello")), "hello\n");  // other workers still serve
  int fd = ::open(path("data").c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(::write(fd, "packet", 6), 6);
  ::close(fd);
  ASSERT_EQ(r.result.wait_for(kHang), std::future_status::ready);
  EXPECT_EQ(r.result.get(), (std::pair<std::string, int>{"packet", 0}));
}

TEST_F(FuseServerTest, SignalInterruptsBlockedRead) {
  struct sigaction sa {};
  sa.sa_handler = on_signal;  // no SA_RESTART
  sigemptyset(&sa.sa_mask);
  struct sigaction old;
  ASSERT_EQ(sigaction(SIGUSR1, &sa, &old), 0);
  Reader r(path("data"));
  ASSERT_TRUE(tree_.wait_readers(1));  // the read is in the tree: the reader is in read(2)
  pthread_kill(r.tid, SIGUSR1);
  auto st = r.result.wait_for(kHang);
  if (st != std::future_status::ready) srv_->unmount();  // do not hang the suite
  ASSERT_EQ(st, std::future_status::ready);
  EXPECT_EQ(r.result.get(), (std::pair<std::string, int>{"", EINTR}));
  {
    std::lock_guard<std::mutex> g(tree_.mu);
    EXPECT_GE(tree_.interrupts, 1);
  }
  sigaction(SIGUSR1, &old, nullptr);
  // The file system still works afterwards.
  EXPECT_EQ(slurp(path("sub/hello")), "hello\n");
}

TEST_F(FuseServerTest, UnmountEndsBlockedReadsAndLeavesNoMount) {
  std::vector<std::unique_ptr<Reader>> rs;
  for (int i = 0; i < 24; i++)
    rs.push_back(std::make_unique<Reader>(path("data")));
  ASSERT_TRUE(tree_.wait_readers(24));
  EXPECT_EQ(slurp(path("sub/hello")), "hello\n");
  int held = ::open(path("text").c_str(), O_RDONLY);  // an fd still open
  ASSERT_GE(held, 0);
  srv_->unmount();
  EXPECT_FALSE(mounted_at(mp_));
  for (auto& r : rs) {
    ASSERT_EQ(r->result.wait_for(kHang), std::future_status::ready);
    auto [data, err] = r->result.get();
    EXPECT_EQ(data, "");
    EXPECT_NE(err, 0);
  }
  char c;
  EXPECT_EQ(::read(held, &c, 1), -1);  // the connection is gone
  ::close(held);
  srv_->unmount();  // idempotent
}

TEST_F(FuseServerTest, StaleMountIsReplaced) {
  srv_.reset();
  // A mount whose server died: the device fd closes with nobody serving.
  int fd = ::open("/dev/fuse", O_RDWR);
  ASSERT_GE(fd, 0);
  std::string opts = "fd=" + std::to_string(fd) + ",rootmode=40000,user_id=0,group_id=0";
  ASSERT_EQ(::mount("ninet", mp_.c_str(), "fuse.ninet", MS_NOSUID | MS_NODEV, opts.c_str()), 0)
      << std::strerror(errno);
  ::close(fd);
  struct stat st;
  errno = 0;
  EXPECT_EQ(::stat(mp_.c_str(), &st), -1);
  EXPECT_EQ(errno, ENOTCONN);
  auto m = FuseServer::mount(tree_, mp_);
  ASSERT_TRUE(m) << m.error().text();
  srv_ = std::move(*m);
  EXPECT_EQ(slurp(path("sub/hello")), "hello\n");
  srv_->unmount();
  EXPECT_FALSE(mounted_at(mp_));
}

// Runs a shell command; its standard output.
std::string sh(const std::string& cmd) {
  std::string out;
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return "<popen failed>";
  char buf[256];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0)
    out.append(buf, n);
  pclose(f);
  return out;
}

// Streams are opened FOPEN_STREAM: no seek, no pread; generated text stays
// seekable.
TEST_F(FuseServerTest, StreamsAreNotSeekable) {
  for (const char* f : {"log", "data"}) {
    int fd = ::open(path(f).c_str(), O_RDONLY);
    ASSERT_GE(fd, 0) << f;
    errno = 0;
    EXPECT_EQ(::lseek(fd, 0, SEEK_CUR), -1) << f;
    EXPECT_EQ(errno, ESPIPE) << f;
    char c;
    errno = 0;
    EXPECT_EQ(::pread(fd, &c, 1, 0), -1) << f;
    EXPECT_EQ(errno, ESPIPE) << f;
    ::close(fd);
  }
  int fd = ::open(path("text").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(::lseek(fd, 10, SEEK_SET), 10);
  ::close(fd);
}

// bash's `read` reads ahead and seeks back on a file it can seek: on a
// stream the bytes after the first line would be gone.
TEST_F(FuseServerTest, ShellReadTakesEveryLineOfAStream) {
  {
    std::lock_guard<std::mutex> g(tree_.mu);
    tree_.logbuf = "one\ntwo\nthree\n";
  }
  // (timeout: a stream read blocks when empty; a lost line would hang.)
  std::string out =
      sh("timeout 20 bash -c 'for i in 1 2 3; do read -r l; echo \"$l\"; done' < " + path("log"));
  EXPECT_EQ(out, "one\ntwo\nthree\n");
}

// Conversations opened through one clone file each have their own inode,
// so the kernel does not make one's ctl write wait for another's.
TEST_F(FuseServerTest, ConversationsThroughOneCloneDoNotWaitForEachOther) {
  int a = ::open(path("clone").c_str(), O_RDWR);
  int b = ::open(path("clone").c_str(), O_RDWR);
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  struct stat sa, sb;
  ASSERT_EQ(::fstat(a, &sa), 0);
  ASSERT_EQ(::fstat(b, &sb), 0);
  EXPECT_NE(sa.st_ino, sb.st_ino);
  auto blocked = std::async(std::launch::async, [&] { return ::write(a, "block", 5); });
  ASSERT_TRUE(tree_.wait_for([&] { return tree_.blocked == 1; }));
  auto other = std::async(std::launch::async, [&] { return ::write(b, "hello", 5); });
  // The bound only keeps a serialized server from hanging the suite.
  bool done = other.wait_for(kHang) == std::future_status::ready;
  tree_.unblock();
  EXPECT_TRUE(done) << "the second write waited for the first";
  EXPECT_EQ(other.get(), 5);
  EXPECT_EQ(blocked.get(), 5);
  {
    std::lock_guard<std::mutex> g(tree_.mu);
    EXPECT_EQ(tree_.ctl_msgs, (std::vector<std::string>{"hello", "block"}));
  }
  ::close(a);
  ::close(b);
  // Every lookup of clone gives a new inode; forgotten ones go away.
  struct stat s1, s2;
  ASSERT_EQ(::stat(path("clone").c_str(), &s1), 0);
  ASSERT_EQ(::stat(path("clone").c_str(), &s2), 0);
  EXPECT_NE(s1.st_ino, s2.st_ino);
}

// A signal to a process blocked opening `listen` ends the open (EINTR).
TEST_F(FuseServerTest, SignalInterruptsBlockedListenOpen) {
  struct sigaction sa {};
  sa.sa_handler = on_signal;  // no SA_RESTART
  sigemptyset(&sa.sa_mask);
  struct sigaction old;
  ASSERT_EQ(sigaction(SIGUSR1, &sa, &old), 0);
  std::promise<pthread_t> tid;
  auto opened = std::async(std::launch::async, [&] {
    tid.set_value(pthread_self());
    int fd = ::open(path("listen").c_str(), O_RDWR);
    int err = errno;
    if (fd >= 0) ::close(fd);
    return std::make_pair(fd, err);
  });
  pthread_t t = tid.get_future().get();
  ASSERT_TRUE(tree_.wait_for([&] { return tree_.listening == 1; }));
  pthread_kill(t, SIGUSR1);
  auto st = opened.wait_for(kHang);
  if (st != std::future_status::ready) tree_.release_listen();  // do not hang the suite
  ASSERT_EQ(st, std::future_status::ready);
  auto [fd, err] = opened.get();
  EXPECT_EQ(fd, -1);
  EXPECT_EQ(err, EINTR);
  sigaction(SIGUSR1, &old, nullptr);
  // A call that comes is accepted by the next open: the fd reads the new ctl,
  // once (it keeps a position), and cannot seek.
  tree_.release_listen();
  EXPECT_EQ(slurp(path("listen")), "0");
  int l = ::open(path("listen").c_str(), O_RDONLY);
  ASSERT_GE(l, 0);
  errno = 0;
  EXPECT_EQ(::lseek(l, 0, SEEK_SET), -1);
  EXPECT_EQ(errno, ESPIPE);
  ::close(l);
}

// Each request is made by its caller's user: root is privileged, another
// uid is that user's name and not; owners show as uid and gid.
TEST_F(FuseServerTest, RequestsCarryTheCallersUser) {
  passwd* pw = getpwuid(65534);
  if (!pw) GTEST_SKIP() << "no user 65534";
  std::string nobody = pw->pw_name;
  ASSERT_EQ(::chmod(base_.c_str(), 0755), 0);  // let uid 65534 reach the mount
  // Runs fn in a child as uid/gid 65534; the child's errno (0: it worked).
  auto as_nobody = [&](auto fn) {
    pid_t pid = fork();
    if (pid == 0) {
      if (setgid(65534) != 0 || setuid(65534) != 0) _exit(255);
      _exit(fn());
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 254;
  };
  std::string ctl = path("ctl");
  EXPECT_EQ(as_nobody([&] {
              int fd = ::open(ctl.c_str(), O_WRONLY);
              return fd < 0 ? errno : 0;
            }),
            EACCES);
  {
    std::lock_guard<std::mutex> g(tree_.mu);
    ASSERT_FALSE(tree_.users.empty());
    EXPECT_EQ(tree_.users.back(), (std::pair<std::string, bool>{nobody, false}));
  }
  int fd = ::open(ctl.c_str(), O_WRONLY);
  EXPECT_GE(fd, 0);
  ::close(fd);
  {
    std::lock_guard<std::mutex> g(tree_.mu);
    EXPECT_EQ(tree_.users.back(), (std::pair<std::string, bool>{"root", true}));
  }
  // A conversation's ctl belongs to "nobody": uid and gid 65534.
  EXPECT_EQ(slurp(path("clone")), "0");
  struct stat st;
  ASSERT_EQ(::stat(path("0/ctl").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  // chmod goes to the tree, which decides.
  EXPECT_EQ(::chmod(path("0/ctl").c_str(), 0600), 0);
  ASSERT_EQ(::stat(path("0/ctl").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string conv = path("0/ctl");
  EXPECT_EQ(as_nobody([&] { return ::chmod(conv.c_str(), 0666) < 0 ? errno : 0; }), EPERM);
  EXPECT_EQ(::chmod(path("text").c_str(), 0666), -1);
}

}  // namespace
}  // namespace ninet
