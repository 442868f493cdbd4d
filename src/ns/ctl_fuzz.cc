// ctl_fuzz — the /net tree of one stack under hostile ctl input: "no input,
// packet or ctl, crashes or hangs the daemon". Each fuzzer input is a small
// script of file operations run against a fresh Stack (manual clock, no
// engine thread: Stack::run_once after each step stands in for it), through
// the same ns::Tree interface FUSE and 9P use. At the end every handle is
// closed and the stack destroyed, so ASan sees every leak.
//
// Script: one operation per line; `#` starts a comment.
//   PATH [MSG]     open PATH (read-write, else read-only) and keep the handle;
//                  write MSG to it if given. A clone's handle becomes `.`.
//                  ninetd configurations (docs/ninetd.md) are such scripts.
//   . MSG          write MSG to the handle of the last clone
//   w N MSG        write MSG to kept handle N (modulo the count)
//   d N BYTES      write BYTES to handle N (a data file; \xHH escapes)
//   e N SRC DST    write an ICMP echo request IP packet SRC -> DST to handle
//                  N (a pkt interface's data), checksums filled in
//   r PATH         open, read twice and compare, list a directory, close
//   R N            read handle N (never blocks: streams only when ready)
//   c N            close handle N
//   i N            interrupt handle N (as FUSE INTERRUPT / 9P Tflush)
//   t N            advance the clock by N * 100 ms and run timers
//   T PATH         truncate
//   stack ...      ignored (ninetd configuration lines)
// In PATH and MSG a token `~X` (X any byte) becomes an entry of the word
// tables below, so single-byte mutations move between real verbs, paths and
// addresses.
//
// Never bound: ether and netdev (real Linux devices). Only loopback and pkt
// (so an ether conversation's connect is parsed, then refused).
// Inputs over 8192 bytes are refused; run with -max_len=4096.
//
// Checked (a violation traps):
//   - a write ends in success (the whole message taken) or an error with a
//     code; a failed ctl write leaves exactly its text in the err file and
//     changes nothing else (interfaces, addresses, routes, ARP, self table,
//     conversations);
//   - reading a generated file twice without a write in between, by another
//     open and in small pieces at offsets, gives the same text;
//   - every name a directory lists walks to the qid it lists; the last close
//     of an unbound interface or a conversation removes its directory;
//   - every address of a bound interface keeps its routes (until iproute
//     is edited by hand);
//   - once every interface is unbound, no self entry and no interface route
//     is left.
//
// CTL_FUZZ_TRACE=1 in the environment prints each step and its outcome.
#include <fcntl.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/checksum.h"
#include "base/fields.h"
#include "media/pkt.h"
#include "ns/stack_tree.h"
#include "stack/stack.h"

namespace ninet::ns {
namespace {

using T = StackTree;
// The stack's owner (root by default): every file may be opened.
const User kUser{"root"};

[[noreturn]] void fail(const char* what, std::string_view a = {}, std::string_view b = {}) {
  std::fprintf(stderr, "ctl_fuzz: invariant failed: %s\n  [%.*s]\n  [%.*s]\n", what, int(a.size()),
               a.data(), int(b.size()), b.data());
  std::abort();
}

bool tracing() {
  static const bool on = std::getenv("CTL_FUZZ_TRACE") != nullptr;
  return on;
}

void trace(std::string_view what, std::string_view text) {
  if (tracing())
    std::fprintf(stderr, "  %.*s: %.*s\n", int(what.size()), what.data(), int(text.size()),
                 text.data());
}

constexpr std::string_view kWords[] = {
    // ipifc ctl
    "bind", "loopback", "pkt", "unbind", "add", "try", "add6", "remove", "mtu", "reassemble",
    "iprouting", "promiscuous", "connect", "addmulti", "remmulti", "headersonly", "bridge",
    "scanbs", "ra6", "recvra", "sendra", "mflag", "oflag", "maxraint", "minraint", "linkmtu",
    "reachtime", "rxmitra", "ttl", "routerlt", "proxy",
    // conversations
    "announce", "headers", "tos", "ignoreadvice", "hangup",
    // iproute, arp, log
    "flush", "tag", "route", "delete", "del", "ether", "set", "clear", "only", "ip", "icmp", "udp",
    "tcp", "ipmsg", "ppp",
    // arguments
    "127.0.0.1", "255.0.0.0", "127.0.0.5", "10.0.0.1", "255.255.255.0", "10.0.0.2", "10.0.0.255",
    "10.0.0.0", "0.0.0.0", "255.255.255.255", "224.0.0.1", "239.1.2.3", "10.1.0.1", "10.1.0.2",
    "192.168.0.0", "255.255.0.0", "::1", "::", "fe80::1", "ff02::1", "ff02::2", "fd00::1",
    "fd00::2", "fd01::1", "::ffff:10.0.0.1", "/64", "/128", "/0", "/24", "/32", "/8", "64", "128",
    "1", "0", "-1", "2", "4294967295", "65535", "65536", "68", "1500", "4096", "16384", "4000",
    "3000", "1800000", "52:54:00:12:34:56", "01005e000001", "333300000001", "5000", "7",
    "10.0.0.1!5000", "127.0.0.1!7", "::1!7", "*", "*!0", "127.0.0.1!*", "!r", "0!r", "ospf", "none",
    "ifc", "0!0x8863", "1!34916", "0!0x0800", "esp", "ah", "aes_128_cbc", "hmac_sha1_96",
    "000102030405060708090a0b0c0d0e0f", "127.0.0.1!*", "127.0.0.1!4660", "noheader",
    // ipmux filters
    "proto=01", "proto=11;data[2:3]=0007", "src=127.0.0.0&255.0.0.0", "dst=127.0.0.1|10.0.0.1",
    "ifc=127.0.0.1;iph[0]=45", "data[0:1]=0800&ff00", "proto=zz", "randdrop", "rudp"};

constexpr std::string_view kPaths[] = {"ipifc/clone",
                                       "ipifc/stats",
                                       "ipifc/0/ctl",
                                       "ipifc/0/status",
                                       "ipifc/0/local",
                                       "ipifc/0/err",
                                       "ipifc/0/data",
                                       "ipifc/1/ctl",
                                       "ipifc/1/status",
                                       "ipifc/1/data",
                                       "ipifc/2/ctl",
                                       "iproute",
                                       "arp",
                                       "log",
                                       "ndb",
                                       "ipselftab",
                                       "icmp/clone",
                                       "icmp/stats",
                                       "icmp/0/ctl",
                                       "icmp/0/data",
                                       "icmp/0/local",
                                       "icmp/0/remote",
                                       "icmp/0/status",
                                       "icmp/0/err",
                                       "icmp/0/listen",
                                       "icmp/1/ctl",
                                       "icmp/1/data",
                                       "icmpv6/clone",
                                       "icmpv6/stats",
                                       "icmpv6/0/ctl",
                                       "icmpv6/0/data",
                                       "icmpv6/0/status",
                                       "icmpv6/0/err",
                                       "icmpv6/0/listen",
                                       "icmpv6/1/ctl",
                                       "ipifc",
                                       "ipifc/0",
                                       "icmp",
                                       "icmp/0",
                                       "icmpv6",
                                       ".",
                                       "/",
                                       "ipifc/0/..",
                                       "icmp/0/../clone",
                                       "ether/clone",
                                       "ether/stats",
                                       "ether/0/ctl",
                                       "ether/0/data",
                                       "esp/clone",
                                       "esp/0/ctl",
                                       "esp/0/data",
                                       "ipmux/clone",
                                       "ipmux/stats",
                                       "ipmux/0/ctl",
                                       "ipmux/0/data",
                                       "ipmux/0/remote",
                                       "rudp/clone",
                                       "rudp/stats",
                                       "rudp/0/ctl",
                                       "rudp/0/data",
                                       "rudp/0/err",
                                       "rudp/0/status",
                                       "rudp/1/data"};

// `~X` tokens become table words.
std::string expand(std::string_view s, bool path) {
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '~' && i + 1 < s.size()) {
      uint8_t x = uint8_t(s[++i]);
      if (path)
        out += kPaths[x % std::size(kPaths)];
      else
        out += kWords[x % std::size(kWords)];
    } else {
      out += s[i];
    }
  }
  return out;
}

// `\xHH` and `\\` escapes, for data.
std::string unescape(std::string_view s) {
  auto hex = [](char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
  };
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] == 'x' && hex(s[i + 2]) >= 0 &&
        hex(s[i + 3]) >= 0) {
      out += char(hex(s[i + 2]) << 4 | hex(s[i + 3]));
      i += 3;
    } else if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == '\\') {
      out += '\\';
      i++;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Real media stay out of the fuzzer (the ipifc ctl splits words this way).
bool real_medium(std::string_view msg) {
  auto a = ctl_fields(msg);
  return a.size() >= 2 && a[0] == "bind" && (a[1] == "ether" || a[1] == "netdev");
}

// An IPv4 or IPv6 ICMP echo request with correct checksums.
std::string echo_packet(const Ipaddr& src, const Ipaddr& dst, uint16_t seq) {
  const char payload[] = "ctl_fuzz";
  uint8_t icmp[8 + sizeof payload] = {};
  bool v4 = src.is_v4();
  icmp[0] = v4 ? 8 : 128;
  icmp[6] = uint8_t(seq >> 8);
  icmp[7] = uint8_t(seq);
  std::memcpy(icmp + 8, payload, sizeof payload);
  std::string p;
  if (v4) {
    uint8_t h[20] = {0x45, 0, 0, uint8_t(20 + sizeof icmp), 0, 1, 0, 0, 64, 1};
    uint32_t s = src.v4(), d = dst.v4();
    for (int k = 0; k < 4; k++) {
      h[12 + k] = uint8_t(s >> (24 - 8 * k));
      h[16 + k] = uint8_t(d >> (24 - 8 * k));
    }
    uint16_t c = csum_fold(csum_partial(h, sizeof h, 0));
    h[10] = uint8_t(c >> 8);
    h[11] = uint8_t(c);
    c = csum_fold(csum_partial(icmp, sizeof icmp, 0));
    icmp[2] = uint8_t(c >> 8);
    icmp[3] = uint8_t(c);
    p.assign(reinterpret_cast<char*>(h), sizeof h);
  } else {
    uint8_t h[40] = {0x60, 0, 0, 0, 0, uint8_t(sizeof icmp), 58, 64};
    std::memcpy(h + 8, src.data(), 16);
    std::memcpy(h + 24, dst.data(), 16);
    uint16_t c = csum_fold(
        csum_partial(icmp, sizeof icmp, csum_pseudo(src, dst, 58, uint32_t(sizeof icmp))));
    icmp[2] = uint8_t(c >> 8);
    icmp[3] = uint8_t(c);
    p.assign(reinterpret_cast<char*>(h), sizeof h);
  }
  p.append(reinterpret_cast<char*>(icmp), sizeof icmp);
  return p;
}

std::span<const uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

bool is_stream(Qid q) {
  auto k = T::kind(q);
  auto f = T::file(q);
  return (k == T::kTopFile && (f == T::fLog || f == T::fNdb)) ||
         ((k == T::kConvFile || k == T::kIfcFile) && (f == T::fData || f == T::fListen));
}

// pipex/closed: each read at offset 0 takes the PPP ids it lists, so two
// reads differ by design.
bool takes_on_read(Qid q) {
  return T::kind(q) == T::kPipexFile && T::file(q) == T::fClosed;
}

bool is_dir(Qid q) {
  auto k = T::kind(q);
  return k == T::kRoot || k == T::kIfcDir || k == T::kIfcN || k == T::kProtoDir ||
         k == T::kConvDir || k == T::kPipexDir || k == T::kSessionsDir || k == T::kSessionDir;
}

class Session {
 public:
  static constexpr size_t kMaxHandles = 48;
  static constexpr size_t kMaxOps = 400;

  Session() : stack_(0, &clock_), tree_(stack_) {}
  ~Session() {
    handles_.clear();
    check_unbind_all();
  }

  void run(std::string_view script) {
    size_t ops = 0;
    while (!script.empty() && ops < kMaxOps) {
      size_t nl = script.find('\n');
      std::string_view line = script.substr(0, nl);
      script = nl == std::string_view::npos ? std::string_view() : script.substr(nl + 1);
      if (line.empty() || line[0] == '#') continue;
      ops++;
      if (tracing()) std::fprintf(stderr, "%.*s\n", int(line.size()), line.data());
      step(line);
      (void)stack_.run_once();  // the engine: media input, flushes, timers
      check_address_routes();
    }
  }

 private:
  struct Open {
    std::unique_ptr<Handle> h;
    Qid q;
  };

  static std::string_view word(std::string_view& s) {
    size_t i = 0;
    while (i < s.size() && s[i] == ' ')
      i++;
    size_t j = s.find(' ', i);
    std::string_view w = s.substr(i, j == std::string_view::npos ? s.size() - i : j - i);
    s = j == std::string_view::npos ? std::string_view() : s.substr(j + 1);
    return w;
  }
  static size_t number(std::string_view w) {
    size_t n = 0;
    for (char c : w)
      if (c >= '0' && c <= '9') n = n * 10 + size_t(c - '0');
    return n % 1000;
  }
  Open* pick(std::string_view w) {
    if (handles_.empty()) return nullptr;
    return &handles_[number(w) % handles_.size()];
  }

  void step(std::string_view line) {
    std::string_view rest = line;
    std::string_view op = word(rest);
    if (op == "stack") return;
    if (op == ".") {
      if (last_clone_ < handles_.size()) write_msg(handles_[last_clone_], expand(rest, false));
      return;
    }
    if (op.size() == 1 && line.size() > 1 && line[1] == ' ') {
      std::string_view arg = word(rest);
      Open* o = pick(arg);
      switch (op[0]) {
        case 'w':
          if (o) write_msg(*o, expand(rest, false));
          return;
        case 'd':
          if (o) write_data(*o, unescape(rest));
          return;
        case 'e':
          if (o) write_echo(*o, rest);
          return;
        case 'r':
          read_path(expand(arg, true));
          return;
        case 'R':
          if (o) read_handle(*o);
          return;
        case 'c':
          if (o) close(size_t(o - handles_.data()));
          return;
        case 'i':
          if (o) o->h->interrupt();
          return;
        case 't':
          clock_.advance(ms(100) * int64_t(number(arg) % 600));
          return;
        case 'T':
          if (auto q = tree_.walk_path(expand(arg, true))) (void)tree_.truncate(*q, kUser);
          return;
        default:
          break;
      }
    }
    // PATH [MSG]
    std::string path = expand(op, true);
    if (path == ".") {
      if (last_clone_ < handles_.size()) write_msg(handles_[last_clone_], expand(rest, false));
      return;
    }
    auto q = tree_.walk_path(path);
    if (!q) return;
    auto o = open(*q, O_RDWR);
    if (!o) return;
    if (!rest.empty()) write_msg(*o, expand(rest, false));
  }

  // Opens q and keeps the handle; nullptr if the open failed or would block.
  Open* open(Qid q, int flags) {
    if (would_block_open(q)) return nullptr;
    auto h = tree_.open(q, flags, kUser);
    if (!h && (flags & O_ACCMODE) != O_RDONLY) h = tree_.open(q, O_RDONLY, kUser);
    if (!h) {
      trace("open", h.error().text());
      if (h.error().code() == Err::Ok) fail("open failed without a code");
      return nullptr;
    }
    if (handles_.size() >= kMaxHandles) close(0);
    Qid hq = (*h)->qid();
    bool clone = T::file(q) == T::fClone || T::file(q) == T::fListen;
    handles_.push_back({std::move(*h), hq});
    if (clone) {
      last_clone_ = handles_.size() - 1;
      // The clone's handle is the new ctl: it reads its number, which names it.
      check_clone(handles_.back());
    }
    return &handles_.back();
  }

  void close(size_t i) {
    Qid q = handles_[i].q;
    handles_.erase(handles_.begin() + long(i));
    if (last_clone_ == i)
      last_clone_ = SIZE_MAX;
    else if (last_clone_ != SIZE_MAX && last_clone_ > i)
      last_clone_--;
    check_released(q);
  }

  // The last close of an unbound interface's or a conversation's files
  // frees it: its directory is gone.
  void check_released(Qid q) {
    auto k = T::kind(q);
    if (k != T::kIfcFile && k != T::kConvFile) return;
    for (auto& o : handles_)
      if (T::kind(o.q) == k && T::proto_of(o.q) == T::proto_of(q) && T::num(o.q) == T::num(q))
        return;
    std::string dir;
    {
      Ip& ip = stack_.ip();
      std::lock_guard<std::mutex> g(ip.mu);
      if (k == T::kIfcFile) {
        if (ip.ifcs()[size_t(T::num(q))]->bound()) return;
        dir = "ipifc/";
      } else {
        dir = ip.protos()[T::proto_of(q)]->name + "/";
      }
    }
    dir += std::to_string(T::num(q));
    if (tree_.walk_path(dir)) fail("a closed, unused directory is still there", dir);
  }

  // A listen open waits for a call; nothing calls an icmp conversation.
  bool would_block_open(Qid q) {
    if (T::kind(q) != T::kConvFile || T::file(q) != T::fListen) return false;
    Ip& ip = stack_.ip();
    std::lock_guard<std::mutex> g(ip.mu);
    if (T::proto_of(q) >= ip.protos().size()) return false;
    Conv* c = ip.protos()[T::proto_of(q)]->conv(int(T::num(q)));
    return c && c->state == ConvState::kAnnounced;
  }

  void check_clone(Open& o) {
    auto s = o.h->read_all();
    if (!s) fail("clone: ctl read failed", s.error().text());
    std::string dir =
        T::kind(o.q) == T::kIfcFile ? "ipifc/" : stack_.ip().protos()[T::proto_of(o.q)]->name + "/";
    auto q = tree_.walk_path(dir + *s + "/ctl");
    if (!q || *q != o.q) fail("clone: the number read does not name the ctl", *s);
  }

  std::string err_path(Qid q) {
    if (T::kind(q) == T::kIfcFile) return "ipifc/" + std::to_string(T::num(q)) + "/err";
    return stack_.ip().protos()[T::proto_of(q)]->name + "/" + std::to_string(T::num(q)) + "/err";
  }

  void write_msg(Open& o, const std::string& msg) {
    bool ifc_ctl = T::kind(o.q) == T::kIfcFile && T::file(o.q) == T::fCtl;
    bool conv_ctl = T::kind(o.q) == T::kConvFile && T::file(o.q) == T::fCtl;
    bool table =
        T::kind(o.q) == T::kTopFile && (T::file(o.q) == T::fIproute || T::file(o.q) == T::fArp);
    if (ifc_ctl && real_medium(msg)) return;
    std::string before = (ifc_ctl || conv_ctl || table) ? snapshot() : std::string();
    auto r = o.h->write(bytes(msg), 0);
    trace("write " + msg, r ? "ok" : r.error().text());
    if (r) {
      if ((ifc_ctl || conv_ctl) && *r != msg.size()) fail("ctl write took part", msg);
      if (table && T::file(o.q) == T::fIproute) {
        auto a = ctl_fields(msg);
        if (a[0] == "add" || a[0] == "remove" || a[0] == "delete") routes_edited_ = true;
      }
      return;
    }
    if (r.error().code() == Err::Ok) fail("write failed without a code", msg);
    if (!ifc_ctl && !conv_ctl && !table) return;
    std::string after = snapshot();
    if (after != before) {
      size_t i = 0;  // show from the first line that differs
      while (i < before.size() && i < after.size() && before[i] == after[i])
        i++;
      size_t nl = i ? before.rfind('\n', i - 1) : std::string::npos;
      i = nl == std::string::npos ? 0 : nl + 1;
      fail("a failed ctl write changed the stack", msg,
           before.substr(i, 160) + " ==> " + after.substr(i, 160));
    }
    if (table) return;  // no err file: the text goes to the log
    // An error write leaves its text in the err file.
    auto q = tree_.walk_path(err_path(o.q));
    if (!q) fail("no err file after a failed ctl write", msg);
    auto e = tree_.open(*q, O_RDONLY, kUser);
    if (!e) fail("err file does not open", msg);
    auto text = (*e)->read_all();
    if (!text || *text != r.error().text() + "\n")
      fail("err file does not hold the error", text ? *text : "", r.error().text());
  }

  void write_data(Open& o, const std::string& data) {
    if (would_block_write(o, bytes(data))) return;
    auto r = o.h->write(bytes(data), 0);
    trace("data", r ? std::to_string(*r) : r.error().text());
    if (!r && r.error().code() == Err::Ok) fail("data write failed without a code");
  }

  void write_echo(Open& o, std::string_view rest) {
    std::string a = expand(word(rest), false), b = expand(word(rest), false);
    auto src = Ipaddr::parse(a);
    auto dst = Ipaddr::parse(b);
    if (!src || !dst || src->is_v4() != dst->is_v4()) return;
    write_data(o, echo_packet(*src, *dst, uint16_t(++seq_)));
  }

  // Whether a data write would wait: rudp's 101st unacknowledged message
  // to a remote that never answers (nothing would end the wait).
  bool would_block_write(Open& o, std::span<const uint8_t> d) {
    if (T::kind(o.q) != T::kConvFile || T::file(o.q) != T::fData) return false;
    Ip& ip = stack_.ip();
    std::lock_guard<std::mutex> g(ip.mu);
    if (T::proto_of(o.q) >= ip.protos().size()) return false;
    Proto* p = ip.protos()[T::proto_of(o.q)].get();
    Conv* c = p->conv(int(T::num(o.q)));
    return c && !c->stream && !p->message_fits(*c, d);
  }

  // Whether a read of a stream handle would block now.
  bool would_block_read(Open& o) {
    Ip& ip = stack_.ip();
    auto k = T::kind(o.q);
    auto f = T::file(o.q);
    if (k == T::kTopFile && f == T::fLog) {
      ip.log.print("ctl_fuzz: a log read");  // text to read: the read returns
      return false;
    }
    std::lock_guard<std::mutex> g(ip.mu);
    if (k == T::kConvFile && f == T::fData) {
      Conv* c = ip.protos()[T::proto_of(o.q)]->conv(int(T::num(o.q)));
      return c->rq.empty() && !c->hungup;
    }
    if (k == T::kIfcFile && f == T::fData) {
      Ifc* fc = ip.ifcs()[size_t(T::num(o.q))].get();
      auto* pkt = as_pkt(fc->medium.get());
      return pkt && pkt->queued_for_user() == 0;
    }
    return false;
  }

  // Reads the whole text at offset 0, then again in pieces at offsets.
  std::string read_text(Handle& h, const std::string& what) {
    auto all = h.read_all();
    if (!all) return {};
    std::string pieces;
    uint8_t buf[7];
    for (;;) {
      auto n = h.read(buf, pieces.size());
      if (!n) fail("a read at an offset failed", what, n.error().text());
      if (*n == 0) break;
      pieces.append(reinterpret_cast<char*>(buf), *n);
      if (pieces.size() > all->size()) break;
    }
    if (pieces != *all) fail("pieces differ from the whole", *all, pieces);
    return *all;
  }

  void read_handle(Open& o) {
    if (is_dir(o.q)) return;
    if (takes_on_read(o.q)) {
      auto r = o.h->read_all();
      trace("read (takes)", r ? *r : r.error().text());
      return;
    }
    if (is_stream(o.q)) {
      if (would_block_read(o)) return;
      uint8_t buf[256];
      auto r = o.h->read(buf, 0);
      trace("stream read", r ? std::to_string(*r) + " bytes" : r.error().text());
      if (!r && r.error().code() == Err::Ok) fail("stream read failed without a code");
      return;
    }
    std::string a = read_text(*o.h, "handle");
    trace("read", a);
    auto h2 = tree_.open(o.q, O_RDONLY, kUser);
    if (!h2) return;  // the conversation or interface went away
    auto b = (*h2)->read_all();
    if (b && *b != a) fail("two reads without a write differ", a, *b);
  }

  void read_path(const std::string& path) {
    auto q = tree_.walk_path(path);
    if (!q) return;
    auto st = tree_.stat(*q);
    if (!st) fail("a walked file does not stat", path);
    if (st->dir) {
      auto d = tree_.readdir(*q);
      if (!d) fail("a directory does not list", path);
      for (auto& e : *d) {
        auto w = tree_.walk(*q, e.name);
        if (!w || *w != e.qid) fail("a listed name does not walk to its qid", path, e.name);
      }
      return;
    }
    // clone: an open reserves
    if (is_stream(*q) || T::file(*q) == T::fClone || takes_on_read(*q)) return;
    auto h1 = tree_.open(*q, O_RDONLY, kUser);
    if (!h1) return;
    std::string a = read_text(**h1, path);
    trace("read " + path, a);
    auto h2 = tree_.open(*q, O_RDONLY, kUser);
    if (!h2) fail("a second open failed", path);
    auto b = (*h2)->read_all();
    if (b && *b != a) fail("two reads without a write differ", a, *b);
  }

  // The configuration a ctl write may change, as text (err files and the
  // log excepted: a failed write changes those).
  std::string snapshot() {
    Ip& ip = stack_.ip();
    std::lock_guard<std::mutex> g(ip.mu);
    std::string s = ip.route_text() + ip.arp_text() + ip.selftab_text() + ip.ipifc_stats();
    for (auto& f : ip.ifcs()) {
      if (!f->inuse) continue;
      const Ra6Params& r = f->ra6;
      s += "ifc " + std::to_string(f->index) + " " + ip.ifc_status(*f) + ip.ifc_local(*f);
      for (int v : {int(f->reassemble), int(f->iprouting), int(f->promiscuous), int(f->headersonly),
                    int(r.recvra), int(r.sendra), int(r.mflag), int(r.oflag), r.maxraint,
                    r.minraint, int(r.linkmtu), int(r.reachtime), int(r.rxmitra), int(r.ttl),
                    int(r.routerlt), int(f->multi.size()), int(f->groups.size())})
        s += " " + std::to_string(v);
      s += "\n";
    }
    for (auto& p : ip.protos())
      for (auto& c : p->convs) {
        if (!c->inuse) continue;
        s += p->name + " " + std::to_string(c->index) + " " + p->status(*c) + p->local(*c) +
             p->remote(*c);
        for (int v : {int(c->ttl), int(c->tos), int(c->ignoreadvice), int(c->headers),
                      int(c->restricted), int(c->multi.size())})
          s += " " + std::to_string(v);
        s += "\n";
      }
    return s;
  }

  // Every address of a bound interface has its routes (ifcctl.cc's
  // lifc_routes), as long as no one edited the table by hand.
  void check_address_routes() {
    if (routes_edited_) return;
    Ip& ip = stack_.ip();
    std::lock_guard<std::mutex> g(ip.mu);
    std::vector<std::pair<Ipaddr, Ipaddr>> have;
    for (const Route& r : ip.routes.list())
      have.push_back({r.target, r.mask});
    auto need = [&](const Ipaddr& t, const Ipaddr& m, const Lifc& l) {
      for (auto& [ht, hm] : have)
        if (ht == t && hm == m) return;
      bool v4 = t.is_v4();
      fail("an address lost a route", l.local.str() + " " + l.mask.mask_str(v4),
           t.str() + " " + m.mask_str(v4) + "\n" + ip.route_text());
    };
    for (auto& f : ip.ifcs()) {
      if (!f->bound()) continue;
      for (const Lifc& l : f->lifcs) {
        bool v4 = l.local.is_v4();
        Ipaddr host = v4 ? Ipaddr::mask_v4(32) : Ipaddr::mask_v6(128);
        need(l.local, host, l);
        if (l.p2p)
          need(l.remote, host, l);
        else if (l.mask.prefix_len(v4) != (v4 ? 32 : 128) && (v4 || l.onlink))
          need(l.net, l.mask, l);
        if (!v4) continue;
        if (!l.p2p && l.mask.prefix_len(true) < 31) {
          need(l.net | ~l.mask, host, l);
          need(l.net, host, l);
        }
        need(kIpv4Bcast, host, l);
      }
    }
  }

  // Unbinds every interface and checks that its addresses left nothing.
  void check_unbind_all() {
    Ip& ip = stack_.ip();
    std::lock_guard<std::mutex> g(ip.mu);
    for (auto& f : ip.ifcs())
      if (f->bound()) (void)ip.ifc_ctl(*f, "unbind");
    std::string self = ip.selftab_text();
    if (!self.empty()) fail("self entries left after unbinding everything", self);
    for (const Route& r : ip.routes.list())
      if (r.flags & (route::kUnicast | route::kBcast | route::kP2p))
        fail("an interface route left after unbinding everything", ip.route_text());
  }

  ManualClock clock_;
  Stack stack_;
  StackTree tree_;
  std::vector<Open> handles_;
  size_t last_clone_ = SIZE_MAX;
  bool routes_edited_ = false;  // an iproute add or remove succeeded
  unsigned seq_ = 0;
};

}  // namespace
}  // namespace ninet::ns

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 8192) return -1;
  ninet::ns::Session s;
  s.run(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
