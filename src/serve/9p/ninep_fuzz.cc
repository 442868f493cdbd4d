// ninep_fuzz — the 9P2000 decoder and server under hostile bytes.
//
// The first input byte picks what is fed the rest:
//   0  ninep::decode (9P2000 and 9P2000.u): must not crash; what decodes
//      re-encodes to the same bytes (the encoding is canonical) and
//      encoded_size agrees.
//   1  ninep::unpack_dirs: the same, for directory-read data.
//   2  a NinepServer connection over a socketpair, as a byte stream (many
//      messages, any framing); the server answers or hangs up, and all it
//      opened on the tree is closed when the connection ends.
//
//   cmake -DNINET_FUZZ=ON ... && ninja ninep_fuzz && ./ninep_fuzz -max_len=4096
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <span>

#include "serve/9p/ninep.h"
#include "serve/9p/server.h"

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

// /  f (read-write text)  d/ (holding g)
class TinyTree final : public ns::Tree {
 public:
  ns::Qid root() const override { return 0; }
  Result<ns::Qid> walk(ns::Qid dir, std::string_view name) override {
    if (dir == 0 && name == "f") return 1;
    if (dir == 0 && name == "d") return 2;
    if (dir == 2 && name == "g") return 3;
    return Err::NotFound;
  }
  Result<ns::Stat> stat(ns::Qid q) override {
    switch (q) {
      case 0:
        return mk(0, "/", true, 0555, 0, true);
      case 1:
        return mk(1, "f", false, 0660, 0, true);
      case 2:
        return mk(2, "d", true, 0555, 0, true);
      case 3:
        return mk(3, "g", false, 0444, 5, false);
    }
    return Err::NotFound;
  }
  Result<std::vector<ns::Stat>> readdir(ns::Qid dir) override {
    if (dir == 0) return std::vector<ns::Stat>{*stat(1), *stat(2)};
    if (dir == 2) return std::vector<ns::Stat>{*stat(3)};
    return Err::NotFound;
  }
  Result<std::unique_ptr<ns::Handle>> open(ns::Qid q, int flags, const ns::User&,
                                           ns::OpenCancel* cancel) override;
  Status truncate(ns::Qid q, const ns::User&) override {
    return q == 1 ? Status() : Status(Err::Perm);
  }
  std::atomic<int> handles{0};
};

class TinyHandle final : public ns::Handle {
 public:
  TinyHandle(TinyTree& t, ns::Qid q) : t_(t), q_(q) { t_.handles++; }
  ~TinyHandle() override { t_.handles--; }
  ns::Qid qid() const override { return q_; }
  Result<size_t> read(std::span<uint8_t> buf, uint64_t off) override {
    static const char kText[] = "hello";
    if (off >= 5) return size_t(0);
    size_t n = std::min<size_t>(buf.size(), 5 - off);
    std::memcpy(buf.data(), kText + off, n);
    return n;
  }
  Result<size_t> write(std::span<const uint8_t> data, uint64_t) override {
    if (!data.empty() && data[0] == 'x') return Err::BadCtl;
    return data.size();
  }

 private:
  TinyTree& t_;
  ns::Qid q_;
};

Result<std::unique_ptr<ns::Handle>> TinyTree::open(ns::Qid q, int, const ns::User&,
                                                   ns::OpenCancel*) {
  auto s = stat(q);
  if (!s) return s.error();
  if (s->dir) return Err::IsDir;
  return std::unique_ptr<ns::Handle>(new TinyHandle(*this, q));
}

// Both dialects: 9P2000 and 9P2000.u.
void check_decode(std::span<const uint8_t> in) {
  for (bool dotu : {false, true}) {
    auto f = ninep::decode(in, dotu);
    if (!f) continue;
    auto out = ninep::encode(*f, dotu);
    if (out.size() != ninep::encoded_size(*f, dotu) || out.size() != in.size() ||
        std::memcmp(out.data(), in.data(), in.size()) != 0)
      std::abort();
  }
}

void check_dirs(std::span<const uint8_t> in) {
  for (bool dotu : {false, true}) {
    auto ds = ninep::unpack_dirs(in, dotu);
    if (!ds) continue;
    std::vector<uint8_t> out;
    for (const auto& d : *ds)
      ninep::pack_dir(d, out, dotu);
    if (out.size() != in.size() || (!in.empty() && std::memcmp(out.data(), in.data(), in.size())))
      std::abort();
  }
}

void check_server(std::span<const uint8_t> in) {
  static TinyTree tree;
  static NinepServer* srv = new NinepServer(tree, NinepServer::Options{8192 + 24, 4});
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) return;
  srv->serve(sv[0]);
  // Write everything (a reader drains replies meanwhile), then end our side.
  std::thread drain([fd = sv[1]] {
    uint8_t buf[4096];
    while (::read(fd, buf, sizeof buf) > 0) {
    }
  });
  size_t off = 0;
  while (off < in.size()) {
    ssize_t n = ::send(sv[1], in.data() + off, in.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;
    off += size_t(n);
  }
  ::shutdown(sv[1], SHUT_WR);
  drain.join();  // EOF: the server has torn the connection down
  ::close(sv[1]);
  if (tree.handles != 0) std::abort();
}

}  // namespace
}  // namespace ninet

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::span<const uint8_t> in(data + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      ninet::check_decode(in);
      break;
    case 1:
      ninet::check_dirs(in);
      break;
    default:
      ninet::check_server(in);
      break;
  }
  return 0;
}
