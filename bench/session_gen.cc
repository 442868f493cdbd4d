// session_gen — many PPP clients at once, the load for bench/pipex_e2e.sh
// (an LNS or PPPoE server: ninet's pipex, or l2tpns).
//
//   session_gen l2tp IFNAME SERVER_MAC CLIENT_IP SERVER_IP SESSIONS [options]
//   session_gen pppoe IFNAME SESSIONS [options]
//   session_gen plain IFNAME DST_MAC SRC_IP FIRST_DST COUNT SIZE RATE SECONDS
//
// l2tp: an LAC. First an ARP request for SERVER_IP (so that the server knows
// our MAC before it answers), then TUNNELS tunnels (SCCRQ/SCCRP/SCCCN) to
// SERVER_IP:1701, each from its own UDP port (1701, 1702, ...), then SESSIONS
// sessions spread over them (ICRQ/ICRP/ICCN), each with its own PPP: LCP
// (answering the server's options, rejecting what it does not know; our
// request, sent once the server's has come, has only a magic number), PAP or
// CHAP (MD5 or MS-CHAPv2) as the server asks, and IPCP, which gives the
// session its framed address. CLIENT_IP is answered for ARP by this
// program with a MAC of its own (02:5e:00:00:00:01), not the device's, so
// that the client namespace's kernel drops the server's frames at once
// (PACKET_OTHERHOST) instead of running them through its IP and UDP input.
// pppoe: one PPPoE client per session, each with its own MAC (02:5e:ii:ii:ii:ii,
// i the session's index): PADI/PADO/PADR/PADS, then the same PPP.
//
// Options: -T TUNNELS (l2tp; default SESSIONS/150, 1-400: l2tpns gives a
// tunnel a control window of 4 messages and holds at most 499 tunnels), -P PARALLEL
// (sessions in setup at once, default 256), -u USER (a "%d" in it becomes the
// session's index), -p PASSWORD, -w SECONDS (give up setting up after this,
// default 600).
//
// Control is reliable where the protocol asks for it: L2TP control messages
// in order within the server's receive window, retransmitted (go-back-N)
// after 1 s, doubling to 8 s; a tunnel without SCCRP after 10 s is opened
// again under a new id, a session without ICRP after 30 s asks again (twice);
// PPP requests and PPPoE discovery are resent every 3 s, 20 times.
// LCP Echo-Requests are answered, so a server's keepalive keeps the sessions
// up. Anything malformed or unexpected from the server is counted ("bad"),
// never trusted.
//
// Once every session is up (or failed, or the wait ran out) it prints
//   up U of N in S s failed F first A last B contiguous C
// (A and B the lowest and highest framed address; C 1 when the framed
// addresses are exactly A..B) and reads commands on stdin, one a line:
//   send SIZE RATE SECONDS DST   IPv4/UDP packets of SIZE bytes of IP payload
//                                (UDP header and data) from each session's
//                                framed address to DST port 9, encapsulated
//                                (L2TP data without sequencing, PPP with
//                                ff 03; PPPoE), round robin over the sessions,
//                                at RATE pps (0: as fast as possible) for
//                                SECONDS. Prints "sent N seconds S rate R
//                                cpu_user U cpu_sys Y errors E" (the sending
//                                thread's CPU).
//   count 0|1                    1: the server's IP data frames reach this
//                                program and are counted (rx_data); 0 (the
//                                default): a socket filter drops them in the
//                                kernel, so that counting costs nothing (the
//                                device's rx_packets still counts them).
//   stats                        "stats up U down D failed F rx_ctl C rx_data X
//                                bad B echo E"
//   quit
// The sessions stay up while it waits.
//
// plain: the downstream load: UDP/IPv4 packets of SIZE bytes of IP payload
// from SRC_IP to FIRST_DST + (i mod COUNT), port 9, in Ethernet frames to
// DST_MAC, at RATE pps (0: as fast as possible) for SECONDS; prints the "sent"
// line. Frames of all three modes are built once (per session and size) and
// sent with PACKET_QDISC_BYPASS and sendmmsg(2), as bench/fwd_gen.cc does.
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "base/endian.h"
#include "crypto/libcrypto.h"
#include "crypto/mschap.h"
#include "wire/l2tp.h"
#include "wire/ppp.h"
#include "wire/pppoe.h"

namespace {

using ninet::append16, ninet::append32, ninet::load16, ninet::load32, ninet::store16,
    ninet::store32;
using Bytes = std::vector<uint8_t>;
using Span = std::span<const uint8_t>;

constexpr int kBatch = 64;
constexpr uint16_t kL2tpPort = 1701;
// Our UDP port of tunnel id: 1701, 1702... (l2tpns takes one tunnel per
// peer address and port: an SCCRQ from a port it has a tunnel for is, to it,
// out of sequence on that tunnel).
constexpr uint16_t kMaxPorts = 60000;
uint16_t tunnel_port(uint16_t id) {
  return uint16_t(kL2tpPort + (id - 1u) % kMaxPorts);
}
constexpr uint64_t kSecond = 1000000000u;

uint64_t now_ns() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return uint64_t(t.tv_sec) * kSecond + uint64_t(t.tv_nsec);
}

void append(Bytes& b, Span s) {
  b.insert(b.end(), s.begin(), s.end());
}

uint32_t sum16(const uint8_t* p, size_t n, uint32_t s = 0) {
  for (size_t i = 0; i + 1 < n; i += 2)
    s += uint32_t(p[i]) << 8 | p[i + 1];
  if (n & 1) s += uint32_t(p[n - 1]) << 8;
  return s;
}
uint16_t fold(uint32_t s) {
  while (s >> 16)
    s = (s & 0xffff) + (s >> 16);
  return uint16_t(~s);
}

bool parse_mac(const char* s, uint8_t* m) {
  unsigned v[6];
  if (std::sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
    return false;
  for (int i = 0; i < 6; i++)
    m[i] = uint8_t(v[i]);
  return true;
}

bool parse_ip(const char* s, uint32_t* host) {
  in_addr a{};
  if (inet_pton(AF_INET, s, &a) != 1) return false;
  *host = ntohl(a.s_addr);
  return true;
}

std::string ip_text(uint32_t host) {
  char b[INET_ADDRSTRLEN];
  in_addr a{htonl(host)};
  inet_ntop(AF_INET, &a, b, sizeof b);
  return b;
}

// An IPv4 packet (20-byte header, DF, TTL 64) with UDP around payload, both
// checksums filled in.
Bytes ip_udp(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, Span payload) {
  Bytes p(28);
  const size_t len = 28 + payload.size();
  p[0] = 0x45;
  store16(&p[2], uint16_t(len));
  p[6] = 0x40;
  p[8] = 64;
  p[9] = 17;
  store32(&p[12], src);
  store32(&p[16], dst);
  store16(&p[10], fold(sum16(p.data(), 20)));
  store16(&p[20], sport);
  store16(&p[22], dport);
  store16(&p[24], uint16_t(8 + payload.size()));
  append(p, payload);
  uint16_t c = fold(sum16(&p[20], 8 + payload.size(), sum16(&p[12], 8) + 17 + 8 + payload.size()));
  store16(&p[26], c == 0 ? 0xffff : c);
  return p;
}

// The inner packet of session idx: SIZE bytes of IP payload (UDP header and
// data) from its framed address to dst, port 9.
Bytes inner_packet(uint32_t framed, uint32_t dst, uint32_t idx, int size) {
  Bytes data(size_t(std::max(size - 8, 0)), 0);
  const char tag[] = "ninet session_gen";
  std::memcpy(data.data(), tag, std::min(data.size(), sizeof tag - 1));
  return ip_udp(framed, dst, uint16_t(1024 + idx % 50000), 9, data);
}

Bytes ether(const uint8_t* dst, const uint8_t* src, uint16_t type) {
  Bytes f(dst, dst + 6);
  f.insert(f.end(), src, src + 6);
  append16(f, type);
  return f;
}

// Frames to send, built once: a ring the sender cycles through.
struct FrameSet {
  std::vector<uint8_t> buf;
  std::vector<uint32_t> off, len;
  void add(const Bytes& f) {
    off.push_back(uint32_t(buf.size()));
    len.push_back(uint32_t(f.size()));
    append(buf, f);
  }
};

struct SendResult {
  uint64_t sent = 0, errors = 0;
  double seconds = 0, user = 0, sys = 0;
};

double secs(const timeval& tv) {
  return double(tv.tv_sec) + double(tv.tv_usec) / 1e6;
}

// A send-only AF_PACKET socket on ifname that bypasses the qdisc.
int tx_socket(const char* ifname) {
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  (void)setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
  int sndbuf = 4 << 20;
  (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf);
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_ifindex = int(if_nametoindex(ifname));
  if (sll.sll_ifindex == 0 || bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Sends the frames of fs round robin at rate pps (0: as fast as possible) for
// seconds, as fwd_gen does; the CPU is this thread's.
SendResult send_frames(int fd, const FrameSet& fs, double rate, double seconds) {
  SendResult r;
  const size_t n = fs.off.size();
  if (n == 0) return r;
  mmsghdr msgs[kBatch];
  iovec iovs[kBatch];
  uint64_t next = 0;
  const uint64_t start = now_ns(), end = start + uint64_t(seconds * 1e9), tick = 20000;
  uint64_t wake = start;
  for (;;) {
    const uint64_t t = now_ns();
    if (t >= end) break;
    const uint64_t done = r.sent + r.errors;
    const uint64_t due = rate > 0 ? uint64_t(double(t - start) * rate / 1e9) + 1 : done + kBatch;
    if (due <= done) {
      wake += tick;
      if (wake < t) wake = t + tick;
      timespec ts{time_t(wake / kSecond), long(wake % kSecond)};
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
      continue;
    }
    const int k = int(std::min<uint64_t>(due - done, kBatch));
    for (int i = 0; i < k; i++) {
      const size_t j = (next + uint64_t(i)) % n;
      iovs[i] = {const_cast<uint8_t*>(&fs.buf[fs.off[j]]), fs.len[j]};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_iov = &iovs[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int s = sendmmsg(fd, msgs, unsigned(k), 0);
    if (s < 0) {
      if (errno == EINTR) continue;
      r.errors++;  // the first frame was refused; it goes again next round
      next++;
      continue;
    }
    r.sent += uint64_t(s);
    next += uint64_t(s);
  }
  r.seconds = double(now_ns() - start) / 1e9;
  rusage ru{};
  getrusage(RUSAGE_THREAD, &ru);
  r.user = secs(ru.ru_utime);
  r.sys = secs(ru.ru_stime);
  return r;
}

void print_sent(const SendResult& r) {
  std::printf("sent %llu seconds %.3f rate %.0f cpu_user %.3f cpu_sys %.3f errors %llu\n",
              (unsigned long long)r.sent, r.seconds, r.seconds > 0 ? double(r.sent) / r.seconds : 0,
              r.user, r.sys, (unsigned long long)r.errors);
  std::fflush(stdout);
}

// ---- The clients.

// PPP's protocols, control codes and CHAP algorithms (RFC 1661, 1332, 1334,
// 1994, 2759), and L2TP's message and AVP types (RFC 2661): src/wire.
using namespace ninet::wire::ppp;
using namespace ninet::wire::l2tp;
// PPPoE discovery (RFC 2516): CODE and TAG_TYPE values.
using namespace ninet::wire::pppoe;
constexpr int kMaxTries = 20;
// PPP's restart timer (RFC 1661 4.6; l2tpns's default). Our LCP request goes
// out when the server's arrives (or after this): an LNS ignores LCP before it
// has processed ICCN, which a full control window may hold back.
constexpr uint64_t kPppRestart = 3 * kSecond;

enum class State : uint8_t { kWaiting, kStarting, kPpp, kUp, kDown };

struct Sess {
  uint32_t idx = 0;
  State state = State::kWaiting;
  uint16_t tun = 0;       // l2tp: the tunnel's index
  uint16_t peer_sid = 0;  // l2tp: the server's session id; pppoe: the session id
  uint8_t ac[6] = {};     // pppoe: the server's MAC
  Bytes cookie, relay;    // pppoe: PADO's AC-Cookie and Relay-Session-Id, for PADR
  bool have_ac = false;
  uint32_t magic = 0;
  uint8_t next_id = 1, lcp_id = 0, ipcp_id = 0, pap_id = 0;
  bool lcp_acked = false, lcp_peer = false, no_magic = false;
  uint16_t auth = 0;
  uint8_t chap_alg = 0;
  bool authed = false, ipcp_acked = false, ipcp_peer = false;
  uint32_t addr = 0;  // framed address, host order
  uint64_t deadline = 0;
  int tries = 0;
  bool lcp_open() const { return lcp_acked && lcp_peer; }
};

struct Msg {
  uint16_t session;  // the header's session id
  Bytes avps;
};

struct Tun {
  uint16_t id = 0;  // ours: the index + 1, + the number of tunnels for each retry
  uint16_t peer_id = 0;
  bool up = false, down = false, need_ack = false;
  uint16_t ns_base = 0;  // Ns of q.front()
  uint16_t nr = 0;       // the server's next Ns we expect
  uint16_t window = 4;   // the server's receive window (RFC 2661 5.8: 4 if not given)
  std::deque<Msg> q;     // our messages not yet acknowledged (the first `sent` went out)
  size_t sent = 0;
  uint64_t rtx = 0;
  int tries = 0;
  uint64_t opened = 0;
  std::vector<uint32_t> waiting;  // sessions to start once the tunnel is up
};

struct Options {
  bool l2tp = true;
  std::string ifname;
  uint8_t server_mac[6] = {};
  uint8_t mac[6] = {0x02, 0x5e, 0, 0, 0, 1};  // l2tp: ours for CLIENT_IP
  uint32_t client_ip = 0, server_ip = 0;
  int sessions = 0, tunnels = 0, parallel = 256;
  std::string user = "client", password = "secret123";
  double wait = 600;
};

class Gen {
 public:
  explicit Gen(Options o) : o_(std::move(o)), rng_(std::random_device{}()) {}

  bool open();
  void run();

 private:
  // I/O
  void send_raw(const Bytes& f);
  void send_l2tp(const Tun& t, const Bytes& msg);
  void ppp_send(Sess& s, uint16_t proto, const Bytes& info);
  void cp_send(Sess& s, uint16_t proto, uint8_t code, uint8_t id, Span data);
  void set_filter(bool data);
  void input(Span f);
  void arp_input(Span f);
  void arp_request();
  void l2tp_input(Span u);
  void pppoe_disc_input(Span f);
  void pppoe_sess_input(Span f);
  // L2TP control
  void tun_open(Tun& t);
  void tun_queue(Tun& t, uint16_t session, Bytes avps);
  void tun_xmit(Tun& t);
  void tun_send(Tun& t, const Msg& m, uint16_t ns);
  void tun_ack(Tun& t, uint16_t nr);
  void control_input(Tun& t, const uint8_t* hdr, uint16_t ns, Span avps);
  // PPPoE discovery
  void padi(Sess& s);
  void padr(Sess& s);
  // PPP
  void ppp_input(Sess& s, Span p);
  void lcp_input(Sess& s, uint8_t code, uint8_t id, Span data);
  void lcp_request(Sess& s);
  void ipcp_request(Sess& s);
  void pap_request(Sess& s);
  void chap_input(Sess& s, uint8_t code, uint8_t id, Span data);
  void ipcp_input(Sess& s, uint8_t code, uint8_t id, Span data);
  void progress(Sess& s);
  void start(Sess& s);
  void icrq(Sess& s);
  void down(Sess& s, const char* why);
  void tick();
  void schedule();
  void command(const std::string& line);
  bool build(int size, uint32_t dst, FrameSet* fs);
  std::string user(const Sess& s) const;
  Sess* by_sid(uint16_t sid);
  Sess* by_mac(const uint8_t* mac);

  Options o_;
  std::mt19937 rng_;
  int fd_ = -1, tx_ = -1, ifindex_ = 0;
  std::vector<Sess> sess_;
  std::vector<Tun> tuns_;
  size_t next_start_ = 0;
  int in_setup_ = 0, up_ = 0, failed_ = 0, downs_ = 0;
  bool reported_ = false, data_filter_ = true, arp_ok_ = false;
  uint64_t t0_ = 0, next_progress_ = 0;
  uint64_t rx_ctl_ = 0, rx_data_ = 0, bad_ = 0, echo_ = 0;
  std::shared_ptr<const ninet::crypto::Libcrypto> lib_;
  std::thread sender_;
  std::atomic<bool> sending_{false};
  SendResult result_;
};

bool Gen::open() {
  ifindex_ = int(if_nametoindex(o_.ifname.c_str()));
  fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ALL));
  tx_ = tx_socket(o_.ifname.c_str());
  if (ifindex_ == 0 || fd_ < 0 || tx_ < 0) return false;
  int one = 1;
  (void)setsockopt(fd_, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  int rcvbuf = 8 << 20;
  (void)setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);
  set_filter(true);
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = ifindex_;
  if (bind(fd_, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) return false;
  sess_.resize(size_t(o_.sessions));
  for (size_t i = 0; i < sess_.size(); i++) {
    sess_[i].idx = uint32_t(i);
    sess_[i].magic = uint32_t(rng_()) | 1;
  }
  if (o_.l2tp) {
    int t = o_.tunnels > 0 ? o_.tunnels : std::clamp(o_.sessions / 150, 1, 400);
    tuns_.resize(size_t(std::min(t, o_.sessions)));
    for (size_t i = 0; i < sess_.size(); i++) {
      sess_[i].tun = uint16_t(i % tuns_.size());
      tuns_[i % tuns_.size()].waiting.push_back(uint32_t(i));
    }
    for (auto& w : tuns_)
      std::reverse(w.waiting.begin(), w.waiting.end());  // popped from the back
  }
  return true;
}

// The socket's filter (classic BPF): ARP, PPPoE discovery, PPPoE session
// frames and L2TP (UDP port 1701) messages; with data set, not the frames
// that carry IP (PPP protocol 0x0021), which the kernel then drops here.
void Gen::set_filter(bool data) {
  struct Ins {
    uint16_t code;
    uint32_t k;
    int jt = -1, jf = -1;  // labels
  };
  enum { kAccept = 1000, kDrop, kPppoe, kIpv4, kAcf, kProto };
  std::vector<Ins> p;
  std::vector<std::pair<int, size_t>> labels;
  auto op = [&](uint16_t c, uint32_t k) { p.push_back({c, k}); };
  auto jmp = [&](uint16_t c, uint32_t k, int t, int f) { p.push_back({c, k, t, f}); };
  auto label = [&](int l) { labels.push_back({l, p.size()}); };
  const int kNext = -2;
  op(BPF_LD | BPF_H | BPF_ABS, 12);
  jmp(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_ARP, kAccept, kNext);
  jmp(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_PPP_DISC, kAccept, kNext);
  jmp(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_PPP_SES, kPppoe, kNext);
  jmp(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, kIpv4, kDrop);
  label(kPppoe);
  op(BPF_LD | BPF_H | BPF_ABS, 20);  // PPP protocol after the 6-byte PPPoE header
  jmp(BPF_JMP | BPF_JEQ | BPF_K, kIp4, data ? kDrop : kAccept, kAccept);
  label(kIpv4);
  op(BPF_LD | BPF_B | BPF_ABS, 23);
  jmp(BPF_JMP | BPF_JEQ | BPF_K, 17, kNext, kDrop);
  op(BPF_LD | BPF_H | BPF_ABS, 20);
  jmp(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, kDrop, kNext);  // a later fragment
  op(BPF_LDX | BPF_B | BPF_MSH, 14);
  op(BPF_LD | BPF_H | BPF_IND, 16);  // UDP destination port
  jmp(BPF_JMP | BPF_JGE | BPF_K, kL2tpPort, kNext, kDrop);
  jmp(BPF_JMP | BPF_JGT | BPF_K, kL2tpPort + kMaxPorts - 1u, kDrop, kNext);
  op(BPF_LD | BPF_B | BPF_IND, 22);                       // L2TP flags
  jmp(BPF_JMP | BPF_JSET | BPF_K, 0x80, kAccept, kNext);  // T: control
  jmp(BPF_JMP | BPF_JSET | BPF_K, 0x02, kAccept, kNext);  // O: left to us
  op(BPF_ST, 0);
  op(BPF_ALU | BPF_AND | BPF_K, 0x40);  // L: 2 bytes
  op(BPF_ALU | BPF_RSH | BPF_K, 5);
  op(BPF_ST, 1);
  op(BPF_LD | BPF_MEM, 0);
  op(BPF_ALU | BPF_AND | BPF_K, 0x08);  // S: 4 bytes
  op(BPF_ALU | BPF_RSH | BPF_K, 1);
  op(BPF_LDX | BPF_MEM, 1);
  op(BPF_ALU | BPF_ADD | BPF_X, 0);
  op(BPF_ALU | BPF_ADD | BPF_K, 14 + 8 + 6);
  op(BPF_LDX | BPF_B | BPF_MSH, 14);
  op(BPF_ALU | BPF_ADD | BPF_X, 0);
  op(BPF_MISC | BPF_TAX, 0);  // X: the PPP frame's offset
  op(BPF_LD | BPF_H | BPF_IND, 0);
  jmp(BPF_JMP | BPF_JEQ | BPF_K, 0xff03, kAcf, kProto);
  label(kAcf);
  op(BPF_LD | BPF_H | BPF_IND, 2);
  label(kProto);
  jmp(BPF_JMP | BPF_JEQ | BPF_K, kIp4, data ? kDrop : kAccept, kAccept);
  label(kAccept);
  op(BPF_RET | BPF_K, 0x40000);
  label(kDrop);
  op(BPF_RET | BPF_K, 0);
  std::vector<sock_filter> prog;
  auto target = [&](int l, size_t at) -> uint8_t {
    if (l == kNext) return 0;
    for (auto& [name, pos] : labels)
      if (name == l) return uint8_t(pos - at - 1);
    return 0;
  };
  for (size_t i = 0; i < p.size(); i++)
    prog.push_back({p[i].code, target(p[i].jt, i), target(p[i].jf, i), p[i].k});
  sock_fprog fp{uint16_t(prog.size()), prog.data()};
  if (setsockopt(fd_, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof fp) < 0)
    std::perror("session_gen: SO_ATTACH_FILTER");
  data_filter_ = data;
}

void Gen::send_raw(const Bytes& f0) {
  Bytes f = f0;
  if (f.size() < 60) f.resize(60, 0);
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_ifindex = ifindex_;
  sll.sll_halen = 6;
  std::memcpy(sll.sll_addr, f.data(), 6);
  (void)sendto(fd_, f.data(), f.size(), 0, reinterpret_cast<sockaddr*>(&sll), sizeof sll);
}

void Gen::send_l2tp(const Tun& t, const Bytes& msg) {
  Bytes f = ether(o_.server_mac, o_.mac, ETH_P_IP);
  append(f, ip_udp(o_.client_ip, o_.server_ip, tunnel_port(t.id), kL2tpPort, msg));
  send_raw(f);
}

void Gen::ppp_send(Sess& s, uint16_t proto, const Bytes& info) {
  if (o_.l2tp) {
    Bytes m = {0x00, 0x02};  // data, no length or sequence, version 2
    append16(m, tuns_[s.tun].peer_id);
    append16(m, s.peer_sid);
    m.push_back(0xff);
    m.push_back(0x03);
    append16(m, proto);
    append(m, info);
    send_l2tp(tuns_[s.tun], m);
  } else {
    uint8_t mac[6] = {
        0x02,          0x5e, uint8_t(s.idx >> 24), uint8_t(s.idx >> 16), uint8_t(s.idx >> 8),
        uint8_t(s.idx)};
    Bytes f = ether(s.ac, mac, ETH_P_PPP_SES);
    f.push_back(0x11);
    f.push_back(0x00);
    append16(f, s.peer_sid);
    append16(f, uint16_t(2 + info.size()));
    append16(f, proto);
    append(f, info);
    send_raw(f);
  }
}

void Gen::cp_send(Sess& s, uint16_t proto, uint8_t code, uint8_t id, Span data) {
  Bytes p = {code, id};
  append16(p, uint16_t(4 + data.size()));
  append(p, data);
  ppp_send(s, proto, p);
}

std::string Gen::user(const Sess& s) const {
  const size_t at = o_.user.find("%d");
  if (at == std::string::npos) return o_.user;
  return o_.user.substr(0, at) + std::to_string(s.idx) + o_.user.substr(at + 2);
}

Sess* Gen::by_sid(uint16_t sid) {
  // l2tp: our session id is the index + 1.
  if (sid == 0 || sid > sess_.size()) return nullptr;
  return &sess_[sid - 1u];
}

Sess* Gen::by_mac(const uint8_t* m) {
  if (m[0] != 0x02 || m[1] != 0x5e) return nullptr;
  const uint32_t idx = load32(m + 2);
  return idx < sess_.size() ? &sess_[idx] : nullptr;
}

// ---- L2TP control connection.

Bytes avp(uint16_t type, Span v) {
  Bytes b;
  append16(b, uint16_t(0x8000 | (6 + v.size())));
  append16(b, 0);
  append16(b, type);
  append(b, v);
  return b;
}
Bytes avp16(uint16_t type, uint16_t v) {
  const uint8_t x[2] = {uint8_t(v >> 8), uint8_t(v)};
  return avp(type, x);
}
Bytes avp32(uint16_t type, uint32_t v) {
  const uint8_t x[4] = {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
  return avp(type, x);
}

void Gen::tun_send(Tun& t, const Msg& m, uint16_t ns) {
  Bytes h = {0xc8, 0x02};  // T, L, S, version 2
  append16(h, uint16_t(12 + m.avps.size()));
  append16(h, t.peer_id);
  append16(h, m.session);
  append16(h, ns);
  append16(h, t.nr);
  append(h, m.avps);
  send_l2tp(t, h);
  t.need_ack = false;
}

void Gen::tun_xmit(Tun& t) {
  while (t.sent < t.q.size() && t.sent < t.window) {
    tun_send(t, t.q[t.sent], uint16_t(t.ns_base + t.sent));
    t.sent++;
    if (!t.rtx) t.rtx = now_ns() + (kSecond << std::min(t.tries, 3));
  }
}

// SCCRQ (RFC 2661 6.1) with our tunnel id t.id, on a fresh control connection.
void Gen::tun_open(Tun& t) {
  t.peer_id = t.ns_base = t.nr = 0;
  t.up = false;
  t.window = 4;
  t.q.clear();
  t.sent = 0;
  t.rtx = 0;
  t.tries = 0;
  t.opened = now_ns();
  Bytes a = avp16(kAvpMessageType, kSccrq);
  append(a, avp16(kAvpProtocolVersion, 0x0100));
  const uint8_t caps[4] = {0, 0, 0, 3};
  append(a, avp(kAvpFramingCaps, caps));
  const std::string host = "session_gen";
  append(a, avp(kAvpHostName, Span(reinterpret_cast<const uint8_t*>(host.data()), host.size())));
  append(a, avp16(kAvpTunnelId, t.id));
  append(a, avp16(kAvpWindow, 64));
  tun_queue(t, 0, std::move(a));
}

void Gen::tun_queue(Tun& t, uint16_t session, Bytes avps) {
  t.q.push_back({session, std::move(avps)});
  tun_xmit(t);
}

void Gen::tun_ack(Tun& t, uint16_t nr) {
  bool moved = false;
  while (!t.q.empty() && int16_t(uint16_t(nr - t.ns_base)) > 0) {
    t.q.pop_front();
    t.ns_base++;
    if (t.sent) t.sent--;
    moved = true;
  }
  if (moved) {
    t.tries = 0;
    t.rtx = t.sent ? now_ns() + kSecond : 0;  // (tries is 0 again)
    tun_xmit(t);
  }
}

void Gen::l2tp_input(Span u) {
  if (u.size() < 6) return void(bad_++);
  const uint16_t fl = load16(u.data());
  if ((fl & 0x000f) != 2) return void(bad_++);
  size_t at = 2;
  uint16_t len = uint16_t(u.size());
  if (fl & 0x4000) {
    len = load16(u.data() + at);
    at += 2;
    if (len > u.size() || len < 6) return void(bad_++);
  }
  if (at + 4 > len) return void(bad_++);
  const uint16_t tid = load16(u.data() + at), sid = load16(u.data() + at + 2);
  at += 4;
  uint16_t ns = 0, nr = 0;
  if (fl & 0x0800) {
    if (at + 4 > len) return void(bad_++);
    ns = load16(u.data() + at);
    nr = load16(u.data() + at + 2);
    at += 4;
  }
  if (fl & 0x0200) {
    if (at + 2 > len) return void(bad_++);
    at += 2 + load16(u.data() + at);
    if (at > len) return void(bad_++);
  }
  if (fl & 0x8000) {
    rx_ctl_++;
    if (!(fl & 0x0800) || !(fl & 0x4000) || tid == 0) return void(bad_++);
    Tun& t = tuns_[(tid - 1u) % tuns_.size()];
    if (t.id != tid) return void(bad_++);
    tun_ack(t, nr);
    if (at == len) return;  // a ZLB acknowledgement
    if (ns != t.nr) {       // a repeat (or out of order): acknowledge what we have
      t.need_ack = true;
    } else {
      t.nr++;
      t.need_ack = true;
      control_input(t, u.data(), sid, u.subspan(at, len - at));
    }
    if (t.need_ack) tun_send(t, Msg{0, {}}, uint16_t(t.ns_base + t.sent));
    return;
  }
  Sess* s = by_sid(sid);
  if (!s || s->state < State::kPpp || s->state == State::kDown || tid != tuns_[s->tun].id)
    return void(bad_++);
  ppp_input(*s, u.subspan(at, len - at));
}

void Gen::control_input(Tun& t, const uint8_t* hdr, uint16_t sid, Span p) {
  uint16_t type = 0xffff, tunnel_id = 0, session_id = 0, window = 0;
  bool has_window = false;
  while (!p.empty()) {
    if (p.size() < 6) return void(bad_++);
    const uint16_t fl = load16(p.data()), len = fl & 0x03ff;
    if (len < 6 || len > p.size() || (fl & 0x4000)) return void(bad_++);  // no hidden AVPs
    if (load16(p.data() + 2) == 0 && len == 8) {
      const uint16_t v = load16(p.data() + 6);
      switch (load16(p.data() + 4)) {
        case kAvpMessageType:
          type = v;
          break;
        case kAvpTunnelId:
          tunnel_id = v;
          break;
        case kAvpSessionId:
          session_id = v;
          break;
        case kAvpWindow:
          window = v;
          has_window = true;
          break;
      }
    }
    p = p.subspan(len);
  }
  switch (type) {
    case kSccrp: {
      if (t.up || tunnel_id == 0) return void(bad_++);
      t.peer_id = tunnel_id;
      if (has_window && window > 0) t.window = window;
      t.up = true;
      tun_queue(t, 0, avp16(kAvpMessageType, kScccn));
      return;
    }
    case kIcrp: {
      Sess* s = by_sid(sid);
      if (!s || s->state != State::kStarting || session_id == 0) return void(bad_++);
      s->peer_sid = session_id;
      Bytes a = avp16(kAvpMessageType, kIccn);
      append(a, avp32(kAvpTxSpeed, 100000000));
      append(a, avp32(kAvpFramingType, 1));  // synchronous
      tun_queue(t, session_id, std::move(a));
      s->state = State::kPpp;
      s->tries = 0;
      s->deadline = now_ns() + kPppRestart;  // LCP: the server's request first
      return;
    }
    case kCdn: {
      if (Sess* s = by_sid(sid)) down(*s, "CDN");
      return;
    }
    case kStopccn:
      t.down = true;
      for (Sess& s : sess_)
        if (&tuns_[s.tun] == &t) down(s, "StopCCN");
      return;
    case kHello:
      return;
    default:
      bad_++;
      return;
  }
}

// ---- PPPoE discovery.

void put_tag(Bytes& b, uint16_t type, Span v) {
  append16(b, type);
  append16(b, uint16_t(v.size()));
  append(b, v);
}

void Gen::padi(Sess& s) {
  static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  uint8_t mac[6] = {
      0x02, 0x5e, uint8_t(s.idx >> 24), uint8_t(s.idx >> 16), uint8_t(s.idx >> 8), uint8_t(s.idx)};
  Bytes tags;
  put_tag(tags, kServiceName, {});
  put_tag(tags, kHostUniq, Span(mac + 2, 4));
  Bytes f = ether(bcast, mac, ETH_P_PPP_DISC);
  f.push_back(0x11);
  f.push_back(kPadi);
  append16(f, 0);
  append16(f, uint16_t(tags.size()));
  append(f, tags);
  send_raw(f);
}

void Gen::padr(Sess& s) {
  uint8_t mac[6] = {
      0x02, 0x5e, uint8_t(s.idx >> 24), uint8_t(s.idx >> 16), uint8_t(s.idx >> 8), uint8_t(s.idx)};
  Bytes tags;
  put_tag(tags, kServiceName, {});
  put_tag(tags, kHostUniq, Span(mac + 2, 4));
  if (!s.cookie.empty()) put_tag(tags, kAcCookie, s.cookie);
  if (!s.relay.empty()) put_tag(tags, kRelaySessionId, s.relay);
  Bytes f = ether(s.ac, mac, ETH_P_PPP_DISC);
  f.push_back(0x11);
  f.push_back(kPadr);
  append16(f, 0);
  append16(f, uint16_t(tags.size()));
  append(f, tags);
  send_raw(f);
}

void Gen::pppoe_disc_input(Span f) {
  rx_ctl_++;
  if (f.size() < 20 || f[14] != 0x11) return void(bad_++);
  Sess* s = by_mac(f.data());
  const uint8_t code = f[15];
  const uint16_t sid = load16(&f[16]), len = load16(&f[18]);
  if (!s || size_t(20) + len > f.size()) return void(bad_++);
  Span tags = f.subspan(20, len);
  bool uniq = false;
  Bytes cookie, relay;
  while (tags.size() >= 4) {
    const uint16_t type = load16(tags.data()), tl = load16(tags.data() + 2);
    if (size_t(4) + tl > tags.size()) return void(bad_++);
    Span v = tags.subspan(4, tl);
    if (type == kHostUniq) uniq = tl == 4 && load32(v.data()) == s->idx;
    if (type == kAcCookie) cookie.assign(v.begin(), v.end());
    if (type == kRelaySessionId) relay.assign(v.begin(), v.end());
    tags = tags.subspan(4 + tl);
  }
  switch (code) {
    case kPado:
      if (!uniq || s->state != State::kStarting || s->have_ac) return void(bad_++);
      std::memcpy(s->ac, f.data() + 6, 6);
      s->have_ac = true;
      s->cookie = std::move(cookie);
      s->relay = std::move(relay);
      s->tries = 0;
      s->deadline = now_ns() + kPppRestart;
      padr(*s);
      return;
    case kPads:
      if (!uniq || s->state != State::kStarting || !s->have_ac) return void(bad_++);
      if (sid == 0) return down(*s, "PADS refused");
      s->peer_sid = sid;
      s->cookie.clear();
      s->cookie.shrink_to_fit();
      s->relay.clear();
      s->relay.shrink_to_fit();
      s->state = State::kPpp;
      s->tries = 0;
      s->deadline = now_ns() + kPppRestart;  // LCP: the server's request first
      return;
    case kPadt:
      if (s->state != State::kDown && sid == s->peer_sid) down(*s, "PADT");
      return;
    default:
      bad_++;
  }
}

void Gen::pppoe_sess_input(Span f) {
  if (f.size() < 22 || f[14] != 0x11 || f[15] != 0) return void(bad_++);
  Sess* s = by_mac(f.data());
  const uint16_t len = load16(&f[18]);
  if (!s || s->state < State::kPpp || s->state == State::kDown || load16(&f[16]) != s->peer_sid ||
      std::memcmp(s->ac, f.data() + 6, 6) != 0 || size_t(20) + len > f.size())
    return void(bad_++);
  ppp_input(*s, f.subspan(20, len));
}

// ---- PPP.

void Gen::ppp_input(Sess& s, Span p) {
  if (p.size() >= 2 && p[0] == 0xff && p[1] == 0x03) p = p.subspan(2);
  if (p.empty()) return void(bad_++);
  uint16_t proto;
  if (p[0] & 1) {  // a compressed protocol field
    proto = p[0];
    p = p.subspan(1);
  } else {
    if (p.size() < 2) return void(bad_++);
    proto = load16(p.data());
    p = p.subspan(2);
  }
  if (proto == kIp4) {
    rx_data_++;
    return;
  }
  rx_ctl_++;
  if (p.size() < 4 || load16(p.data() + 2) < 4 || load16(p.data() + 2) > p.size())
    return void(bad_++);
  const uint8_t code = p[0], id = p[1];
  const Span data = p.subspan(4, load16(p.data() + 2) - 4u);
  switch (proto) {
    case kLcp:
      lcp_input(s, code, id, data);
      break;
    case kPap:
      if (code == 2 && id == s.pap_id && !s.authed) {
        s.authed = true;
      } else if (code == 3) {
        return down(s, "PAP refused");
      }
      break;
    case kChap:
      chap_input(s, code, id, data);
      break;
    case kIpcp:
      ipcp_input(s, code, id, data);
      break;
    default:
      // IPV6CP, CCP...: not here (RFC 1661 5.7).
      if (s.lcp_open()) {
        Bytes d;
        append16(d, proto);
        append(d, p);
        cp_send(s, kLcp, kProtRej, s.next_id++, d);
      } else {
        bad_++;
      }
      return;
  }
  progress(s);
}

struct Opt {
  uint8_t type;
  Span value, whole;
};
bool parse_opts(Span d, std::vector<Opt>* out) {
  while (!d.empty()) {
    if (d.size() < 2 || d[1] < 2 || d[1] > d.size()) return false;
    out->push_back({d[0], d.subspan(2, d[1] - 2u), d.first(d[1])});
    d = d.subspan(d[1]);
  }
  return true;
}

void Gen::lcp_request(Sess& s) {
  s.lcp_id = s.next_id++;
  Bytes o;
  if (!s.no_magic) {
    o = {5, 6};
    append32(o, s.magic);
  }
  cp_send(s, kLcp, kConfReq, s.lcp_id, o);
  s.deadline = now_ns() + kPppRestart;
}

void Gen::lcp_input(Sess& s, uint8_t code, uint8_t id, Span data) {
  switch (code) {
    case kConfReq: {
      std::vector<Opt> opts;
      if (!parse_opts(data, &opts)) return void(bad_++);
      Bytes rej, nak;
      uint16_t auth = 0;
      uint8_t alg = 0;
      for (const Opt& x : opts) {
        const size_t n = x.value.size();
        if ((x.type == 1 && n == 2) || (x.type == 2 && n == 4) || (x.type == 5 && n == 4) ||
            ((x.type == 7 || x.type == 8) && n == 0))
          continue;  // MRU, ACCM, magic number, PFC, ACFC
        if (x.type == 3 && n >= 2) {
          auth = load16(x.value.data());
          if (auth == kPap && n == 2) continue;
          if (auth == kChap && n == 3 && (x.value[2] == kChapMd5 || x.value[2] == kMsChapV2)) {
            alg = x.value[2];
            continue;
          }
          const uint8_t pap[4] = {3, 4, 0xc0, 0x23};
          nak.insert(nak.end(), pap, pap + 4);
          continue;
        }
        append(rej, x.whole);
      }
      if (!rej.empty()) return cp_send(s, kLcp, kConfRej, id, rej);
      if (!nak.empty()) return cp_send(s, kLcp, kConfNak, id, nak);
      cp_send(s, kLcp, kConfAck, id, data);
      s.auth = auth;
      s.chap_alg = alg;
      s.lcp_peer = true;
      if (s.lcp_id == 0) lcp_request(s);
      return;
    }
    case kConfAck:
      if (id == s.lcp_id) s.lcp_acked = true;
      return;
    case kConfNak:
    case kConfRej:
      if (id != s.lcp_id) return;
      if (code == kConfRej) s.no_magic = true;
      s.magic = uint32_t(rng_()) | 1;
      return lcp_request(s);
    case kEchoReq: {
      Bytes d;
      append32(d, s.no_magic ? 0 : s.magic);
      if (data.size() > 4) d.insert(d.end(), data.begin() + 4, data.end());
      echo_++;
      return cp_send(s, kLcp, kEchoRep, id, d);
    }
    case kTermReq:
      cp_send(s, kLcp, kTermAck, id, {});
      return down(s, "LCP Terminate-Request");
    case kEchoRep:
    case kTermAck:
    case 11:  // Discard-Request
      return;
    default:
      bad_++;  // Code-Reject, Protocol-Reject, unknown
  }
}

void Gen::pap_request(Sess& s) {
  s.pap_id = s.next_id++;
  const std::string u = user(s);
  Bytes d = {uint8_t(u.size())};
  d.insert(d.end(), u.begin(), u.end());
  d.push_back(uint8_t(o_.password.size()));
  d.insert(d.end(), o_.password.begin(), o_.password.end());
  cp_send(s, kPap, 1, s.pap_id, d);
  s.deadline = now_ns() + kPppRestart;
}

void Gen::chap_input(Sess& s, uint8_t code, uint8_t id, Span data) {
  if (code == 3) {
    s.authed = true;
    return;
  }
  if (code == 4) return down(s, "CHAP failure");
  if (code != 1 || data.empty() || size_t(1) + data[0] > data.size()) return void(bad_++);
  const Span ch = data.subspan(1, data[0]);
  const std::string u = user(s);
  Bytes value;
  if (s.chap_alg == kMsChapV2) {
    if (ch.size() != 16) return void(bad_++);
    if (!lib_) {
      auto lib = ninet::crypto::Libcrypto::open();
      if (!lib) return down(s, "no MS-CHAPv2 (OpenSSL's legacy provider)");
      lib_ = *lib;
    }
    ninet::crypto::MschapChallenge auth_ch, peer_ch;
    std::copy(ch.begin(), ch.end(), auth_ch.begin());
    for (auto& b : peer_ch)
      b = uint8_t(rng_());
    auto nt = ninet::crypto::generate_nt_response(*lib_, auth_ch, peer_ch, u, o_.password);
    if (!nt) return down(s, "MS-CHAPv2 failed");
    value.assign(peer_ch.begin(), peer_ch.end());
    value.resize(24, 0);
    value.insert(value.end(), nt->begin(), nt->end());
    value.push_back(0);
  } else {  // MD5 (RFC 1994 4.1): MD5(id || secret || challenge)
    Bytes in = {id};
    in.insert(in.end(), o_.password.begin(), o_.password.end());
    append(in, ch);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!EVP_Digest(in.data(), in.size(), md, &n, EVP_md5(), nullptr)) return down(s, "MD5");
    value.assign(md, md + n);
  }
  Bytes d = {uint8_t(value.size())};
  append(d, value);
  d.insert(d.end(), u.begin(), u.end());
  cp_send(s, kChap, 2, id, d);
}

void Gen::ipcp_request(Sess& s) {
  s.ipcp_id = s.next_id++;
  Bytes o = {3, 6};
  append32(o, s.addr);
  cp_send(s, kIpcp, kConfReq, s.ipcp_id, o);
  s.deadline = now_ns() + kPppRestart;
}

void Gen::ipcp_input(Sess& s, uint8_t code, uint8_t id, Span data) {
  switch (code) {
    case kConfReq: {
      std::vector<Opt> opts;
      if (!parse_opts(data, &opts)) return void(bad_++);
      Bytes rej;
      for (const Opt& x : opts)
        if (!(x.type == 3 && x.value.size() == 4)) append(rej, x.whole);
      if (!rej.empty()) return cp_send(s, kIpcp, kConfRej, id, rej);
      cp_send(s, kIpcp, kConfAck, id, data);
      s.ipcp_peer = true;
      return;
    }
    case kConfAck:
      if (id == s.ipcp_id && s.addr) s.ipcp_acked = true;
      return;
    case kConfNak: {
      if (id != s.ipcp_id) return;
      std::vector<Opt> opts;
      if (!parse_opts(data, &opts)) return void(bad_++);
      for (const Opt& x : opts)
        if (x.type == 3 && x.value.size() == 4) s.addr = load32(x.value.data());
      return ipcp_request(s);
    }
    case kConfRej:
      if (id == s.ipcp_id) return down(s, "IPCP address rejected");
      return;
    case kTermReq:
      cp_send(s, kIpcp, kTermAck, id, {});
      return down(s, "IPCP Terminate-Request");
    default:
      return;
  }
}

// Moves s to its next phase once the present one is done.
void Gen::progress(Sess& s) {
  if (s.state != State::kPpp || !s.lcp_open()) return;
  if (!s.authed) {
    if (s.auth == 0) {
      s.authed = true;
    } else if (s.auth == kPap && s.pap_id == 0) {
      return pap_request(s);
    } else {
      return;  // CHAP: the server's challenge comes
    }
  }
  if (s.ipcp_id == 0) return ipcp_request(s);
  if (s.ipcp_acked && s.ipcp_peer) {
    s.state = State::kUp;
    in_setup_--;
    up_++;
  }
}

void Gen::start(Sess& s) {
  s.state = State::kStarting;
  s.tries = 0;
  s.deadline = now_ns() + kPppRestart;
  in_setup_++;
  if (o_.l2tp) {
    icrq(s);
  } else {
    padi(s);
  }
}

// ICRQ (RFC 2661 6.6): our session id is the index + 1. Sent again when no
// ICRP came in 30 s (a server that lost its ICRP acknowledges our resent
// ICRQ without answering it again: a new ICRQ is a new call).
void Gen::icrq(Sess& s) {
  Bytes a = avp16(kAvpMessageType, kIcrq);
  append(a, avp16(kAvpSessionId, uint16_t(s.idx + 1)));
  append(a, avp32(kAvpCallSerial, s.idx + 1));
  tun_queue(tuns_[s.tun], 0, std::move(a));
  s.deadline = now_ns() + 30 * kSecond;
}

void Gen::down(Sess& s, const char* why) {
  if (s.state == State::kDown) return;
  if (s.state == State::kUp) {
    up_--;
    downs_++;
    std::fprintf(stderr, "session_gen: session %u down (%s)\n", s.idx, why);
  } else {
    if (s.state != State::kWaiting) in_setup_--;
    failed_++;
    if (failed_ <= 10) std::fprintf(stderr, "session_gen: session %u failed (%s)\n", s.idx, why);
  }
  s.state = State::kDown;
}

// Starts sessions while fewer than PARALLEL are in setup.
void Gen::schedule() {
  if (o_.l2tp) {
    bool more = true;
    while (in_setup_ < o_.parallel && more) {
      more = false;
      for (Tun& t : tuns_) {
        if (!t.up || t.down || t.waiting.empty() || in_setup_ >= o_.parallel) continue;
        Sess& s = sess_[t.waiting.back()];
        t.waiting.pop_back();
        if (s.state == State::kWaiting) start(s);
        more = true;
      }
    }
    return;
  }
  while (in_setup_ < o_.parallel && next_start_ < sess_.size())
    start(sess_[next_start_++]);
}

void Gen::tick() {
  const uint64_t now = now_ns();
  for (Tun& t : tuns_) {
    // No SCCRP 10 s after the SCCRQ (a server that lost its SCCRP acknowledges
    // our resent SCCRQ without answering it again): a new tunnel id.
    if (t.opened && !t.up && !t.down && now > t.opened + 10 * kSecond) {
      if (t.id + tuns_.size() > 65535) {
        t.down = true;
        for (Sess& s : sess_)
          if (&tuns_[s.tun] == &t) down(s, "no tunnel");
        continue;
      }
      std::fprintf(stderr, "session_gen: tunnel %u: no SCCRP, again as %zu\n", t.id,
                   t.id + tuns_.size());
      t.id = uint16_t(t.id + tuns_.size());
      tun_open(t);
      continue;
    }
    if (t.down || !t.rtx || now < t.rtx) continue;
    if (++t.tries > 10) {
      t.down = true;
      std::fprintf(stderr, "session_gen: tunnel %zu: no acknowledgement\n", &t - tuns_.data());
      for (Sess& s : sess_)
        if (&tuns_[s.tun] == &t) down(s, "tunnel lost");
      continue;
    }
    t.sent = 0;  // go back N
    t.rtx = 0;
    tun_xmit(t);
  }
  for (Sess& s : sess_) {
    if ((s.state != State::kStarting && s.state != State::kPpp) || now < s.deadline) continue;
    if (++s.tries > kMaxTries) {
      down(s, "setup timed out");
      continue;
    }
    s.deadline = now + kPppRestart;
    if (s.state == State::kStarting) {
      if (o_.l2tp) {
        s.tries += 9;  // every 30 s, twice (each is a new call to a server)
        icrq(s);
      } else {
        s.have_ac ? padr(s) : padi(s);
      }
    } else if (!s.lcp_acked) {
      lcp_request(s);
    } else if (s.lcp_open() && s.auth == kPap && !s.authed) {
      pap_request(s);
    } else if (s.authed && !s.ipcp_acked) {
      ipcp_request(s);
    }
  }
}

bool Gen::build(int size, uint32_t dst, FrameSet* fs) {
  for (const Sess& s : sess_) {
    if (s.state != State::kUp) continue;
    const Bytes in = inner_packet(s.addr, dst, s.idx, size);
    Bytes f;
    if (o_.l2tp) {
      Bytes m = {0x00, 0x02};
      append16(m, tuns_[s.tun].peer_id);
      append16(m, s.peer_sid);
      m.push_back(0xff);
      m.push_back(0x03);
      append16(m, kIp4);
      append(m, in);
      f = ether(o_.server_mac, o_.mac, ETH_P_IP);
      append(f, ip_udp(o_.client_ip, o_.server_ip, tunnel_port(tuns_[s.tun].id), kL2tpPort, m));
    } else {
      uint8_t mac[6] = {
          0x02,          0x5e, uint8_t(s.idx >> 24), uint8_t(s.idx >> 16), uint8_t(s.idx >> 8),
          uint8_t(s.idx)};
      f = ether(s.ac, mac, ETH_P_PPP_SES);
      f.push_back(0x11);
      f.push_back(0x00);
      append16(f, s.peer_sid);
      append16(f, uint16_t(2 + in.size()));
      append16(f, kIp4);
      append(f, in);
    }
    if (f.size() < 60) f.resize(60, 0);
    fs->add(f);
  }
  return !fs->off.empty();
}

void Gen::command(const std::string& line) {
  char verb[16] = {};
  if (std::sscanf(line.c_str(), "%15s", verb) != 1) return;
  const std::string v = verb;
  if (v == "send") {
    int size = 0;
    double rate = 0, seconds = 0;
    char dst[64] = {};
    uint32_t d = 0;
    if (std::sscanf(line.c_str(), "send %d %lf %lf %63s", &size, &rate, &seconds, dst) != 4 ||
        size < 8 || size > 1450 || !parse_ip(dst, &d) || sending_) {
      std::printf("error send SIZE RATE SECONDS DST\n");
      std::fflush(stdout);
      return;
    }
    auto fs = std::make_shared<FrameSet>();
    if (!build(size, d, fs.get())) {
      std::printf("error no session up\n");
      std::fflush(stdout);
      return;
    }
    sending_ = true;
    sender_ = std::thread([this, fs, rate, seconds] {
      result_ = send_frames(tx_, *fs, rate, seconds);
      sending_ = false;
    });
  } else if (v == "count") {
    set_filter(line.find('1') == std::string::npos);
    std::printf("count %d\n", data_filter_ ? 0 : 1);
  } else if (v == "stats") {
    std::printf("stats up %d down %d failed %d rx_ctl %llu rx_data %llu bad %llu echo %llu\n", up_,
                downs_, failed_, (unsigned long long)rx_ctl_, (unsigned long long)rx_data_,
                (unsigned long long)bad_, (unsigned long long)echo_);
  } else {
    std::printf("error unknown command %s\n", verb);
  }
  std::fflush(stdout);
}

// An ARP request (RFC 826) from CLIENT_IP for SERVER_IP: the server learns
// our MAC before its first reply (a server that drops its first packet while
// it resolves ours would lose an SCCRP, which it does not resend).
void Gen::arp_request() {
  static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  Bytes r = ether(bcast, o_.mac, ETH_P_ARP);
  const uint8_t hdr[8] = {0, 1, 8, 0, 6, 4, 0, 1};
  r.insert(r.end(), hdr, hdr + 8);
  r.insert(r.end(), o_.mac, o_.mac + 6);
  append32(r, o_.client_ip);
  r.resize(r.size() + 6, 0);
  append32(r, o_.server_ip);
  send_raw(r);
}

void Gen::arp_input(Span f) {
  if (!o_.l2tp || f.size() < 42 || load16(&f[14]) != 1 || load16(&f[16]) != ETH_P_IP) return;
  if (load16(&f[20]) == 2 && load32(&f[28]) == o_.server_ip) {  // the server's reply
    if (std::memcmp(&f[22], o_.server_mac, 6) != 0) bad_++;
    arp_ok_ = true;
    return;
  }
  // A request for CLIENT_IP: answered with our MAC.
  if (load16(&f[20]) != 1 || load32(&f[38]) != o_.client_ip) return;
  Bytes r = ether(f.data() + 22, o_.mac, ETH_P_ARP);
  const uint8_t hdr[8] = {0, 1, 8, 0, 6, 4, 0, 2};
  r.insert(r.end(), hdr, hdr + 8);
  r.insert(r.end(), o_.mac, o_.mac + 6);
  append32(r, o_.client_ip);
  r.insert(r.end(), f.begin() + 22, f.begin() + 32);  // the asker's MAC and address
  send_raw(r);
}

void Gen::input(Span f) {
  if (f.size() < 14) return;
  switch (load16(&f[12])) {
    case ETH_P_ARP:
      return arp_input(f);
    case ETH_P_PPP_DISC:
      if (!o_.l2tp) pppoe_disc_input(f);
      return;
    case ETH_P_PPP_SES:
      if (!o_.l2tp) pppoe_sess_input(f);
      return;
    case ETH_P_IP: {
      if (!o_.l2tp || std::memcmp(f.data(), o_.mac, 6) != 0) return;
      if (f.size() < 34 || (f[14] >> 4) != 4 || f[23] != 17) return void(bad_++);
      const size_t ihl = size_t(f[14] & 0xf) * 4, tot = load16(&f[16]);
      if (ihl < 20 || 14 + tot > f.size() || tot < ihl + 8 || load32(&f[26]) != o_.server_ip ||
          (load16(&f[20]) & 0x3fff))
        return void(bad_++);
      const uint8_t* u = &f[14 + ihl];
      if (load16(u + 2) < kL2tpPort || load16(u + 2) >= kL2tpPort + kMaxPorts ||
          load16(u + 4) < 8 || load16(u + 4) > tot - ihl)
        return void(bad_++);
      return l2tp_input(Span(u + 8, load16(u + 4) - 8u));
    }
    default:
      return;
  }
}

void Gen::run() {
  t0_ = now_ns();
  next_progress_ = t0_ + 10 * kSecond;
  bool opened = !o_.l2tp;
  uint64_t next_arp = 0;
  constexpr int kRx = 64;
  static uint8_t bufs[kRx][2048];
  mmsghdr msgs[kRx];
  iovec iovs[kRx];
  std::string pending;
  bool in_open = true;
  uint64_t next_tick = now_ns();
  for (;;) {
    pollfd p[2] = {{fd_, POLLIN, 0}, {0, POLLIN, 0}};
    const int np = in_open ? 2 : 1;
    (void)poll(p, nfds_t(np), sending_ ? 20 : 100);
    for (int round = 0; round < 16; round++) {
      for (int i = 0; i < kRx; i++) {
        iovs[i] = {bufs[i], sizeof bufs[i]};
        msgs[i] = {};
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
      }
      const int n = recvmmsg(fd_, msgs, kRx, MSG_DONTWAIT, nullptr);
      if (n <= 0) break;
      for (int i = 0; i < n; i++)
        input(Span(bufs[i], std::min<size_t>(msgs[i].msg_len, sizeof bufs[i])));
    }
    if (np == 2 && (p[1].revents & (POLLIN | POLLHUP))) {
      char buf[512];
      const ssize_t n = read(0, buf, sizeof buf);
      if (n <= 0) in_open = false;
      if (n > 0) pending.append(buf, size_t(n));
      for (size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
        const std::string line = pending.substr(0, nl);
        pending.erase(0, nl + 1);
        if (line.rfind("quit", 0) == 0) in_open = false;
        if (in_open) command(line);
      }
    }
    if (!sending_ && sender_.joinable()) {
      sender_.join();
      print_sent(result_);
    }
    if (!in_open && !sending_ && !sender_.joinable()) return;
    const uint64_t now = now_ns();
    if (!opened && arp_ok_) {
      for (size_t i = 0; i < tuns_.size(); i++) {
        tuns_[i].id = uint16_t(i + 1);
        tun_open(tuns_[i]);
      }
      opened = true;
    } else if (!opened && now >= next_arp) {
      arp_request();
      next_arp = now + 200000000;
    }
    if (!reported_ && now >= next_progress_) {
      std::fprintf(stderr, "session_gen: %.0f s: up %d, in setup %d, failed %d\n",
                   double(now - t0_) / 1e9, up_, in_setup_, failed_);
      next_progress_ = now + 10 * kSecond;
    }
    if (now >= next_tick) {
      tick();
      next_tick = now + 100000000;
    }
    schedule();
    if (!reported_) {
      const bool all =
          up_ + failed_ == o_.sessions || double(now - t0_) / 1e9 > o_.wait ||
          (o_.l2tp && std::all_of(tuns_.begin(), tuns_.end(), [](const Tun& t) { return t.down; }));
      if (all) {
        reported_ = true;
        uint32_t lo = UINT32_MAX, hi = 0;
        std::vector<uint32_t> addrs;
        for (const Sess& s : sess_)
          if (s.state == State::kUp) {
            lo = std::min(lo, s.addr);
            hi = std::max(hi, s.addr);
            addrs.push_back(s.addr);
          }
        std::sort(addrs.begin(), addrs.end());
        const bool contiguous = !addrs.empty() && uint64_t(hi) - lo + 1 == addrs.size() &&
                                std::adjacent_find(addrs.begin(), addrs.end()) == addrs.end();
        std::printf("up %d of %d in %.2f s failed %d first %s last %s contiguous %d\n", up_,
                    o_.sessions, double(now - t0_) / 1e9, failed_, ip_text(up_ ? lo : 0).c_str(),
                    ip_text(hi).c_str(), contiguous ? 1 : 0);
        std::fflush(stdout);
      }
    }
  }
}

int usage() {
  std::fprintf(stderr,
               "usage: session_gen l2tp IFNAME SERVER_MAC CLIENT_IP SERVER_IP SESSIONS [options]\n"
               "       session_gen pppoe IFNAME SESSIONS [options]\n"
               "       session_gen plain IFNAME DST_MAC SRC_IP FIRST_DST COUNT SIZE RATE SECONDS\n"
               "options: -T TUNNELS -P PARALLEL -u USER -p PASSWORD -w SECONDS\n");
  return 2;
}

int plain(int argc, char** argv) {
  if (argc != 10) return usage();
  uint8_t dmac[6], smac[6];
  uint32_t src = 0, first = 0;
  const int count = std::atoi(argv[6]), size = std::atoi(argv[7]);
  if (!parse_mac(argv[3], dmac) || !parse_ip(argv[4], &src) || !parse_ip(argv[5], &first) ||
      count < 1 || count > (1 << 20) || size < 8 || size > 1472)
    return usage();
  char path[128];
  std::snprintf(path, sizeof path, "/sys/class/net/%s/address", argv[2]);
  FILE* f = std::fopen(path, "r");
  char buf[32] = {};
  if (!f || !std::fgets(buf, sizeof buf, f) || !parse_mac(buf, smac)) {
    std::fprintf(stderr, "session_gen: cannot read %s\n", path);
    return 1;
  }
  std::fclose(f);
  const int fd = tx_socket(argv[2]);
  if (fd < 0) {
    std::perror("session_gen: AF_PACKET");
    return 1;
  }
  FrameSet fs;
  for (int i = 0; i < count; i++) {
    Bytes fr = ether(dmac, smac, ETH_P_IP);
    append(fr, inner_packet(src, first + uint32_t(i), uint32_t(i), size));
    if (fr.size() < 60) fr.resize(60, 0);
    fs.add(fr);
  }
  print_sent(send_frames(fd, fs, std::atof(argv[8]), std::atof(argv[9])));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  prctl(PR_SET_TIMERSLACK, 1UL);
  const std::string mode = argv[1];
  if (mode == "plain") return plain(argc, argv);
  Options o;
  int at;
  if (mode == "l2tp") {
    if (argc < 7) return usage();
    o.ifname = argv[2];
    if (!parse_mac(argv[3], o.server_mac) || !parse_ip(argv[4], &o.client_ip) ||
        !parse_ip(argv[5], &o.server_ip))
      return usage();
    o.sessions = std::atoi(argv[6]);
    at = 7;
  } else if (mode == "pppoe") {
    if (argc < 4) return usage();
    o.l2tp = false;
    o.ifname = argv[2];
    o.sessions = std::atoi(argv[3]);
    at = 4;
  } else {
    return usage();
  }
  // L2TP session ids are ours per tunnel but kept unique overall here (the
  // index + 1), and PPPoE servers give 16-bit ids: at most 65,535 sessions.
  if (o.sessions < 1 || o.sessions > 65535) return usage();
  optind = at;
  for (int c; (c = getopt(argc, argv, "T:P:u:p:w:")) != -1;) {
    switch (c) {
      case 'T':
        o.tunnels = std::atoi(optarg);
        break;
      case 'P':
        o.parallel = std::max(1, std::atoi(optarg));
        break;
      case 'u':
        o.user = optarg;
        break;
      case 'p':
        o.password = optarg;
        break;
      case 'w':
        o.wait = std::atof(optarg);
        break;
      default:
        return usage();
    }
  }
  if (o.tunnels > 65535) return usage();
  Gen g(o);
  if (!g.open()) {
    std::perror("session_gen: AF_PACKET");
    return 1;
  }
  g.run();
  return 0;
}
