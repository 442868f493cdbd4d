// fwd_gen — the load for bench/forward_e2e.sh: 64-byte UDP/IPv4 frames
// (60 bytes on the wire before the FCS) sent through an AF_PACKET socket at a
// steady rate, or as fast as the sender's CPU allows.
//
//   fwd_gen IFNAME DST_MAC SRC_IP DST_IP RATE_PPS SECONDS [TICK_US]
//
// RATE_PPS 0 is "as fast as possible" (batches of 64). Otherwise the sender
// wakes every TICK_US microseconds (default 20) and sends the frames due by
// then, so a 125 kpps load is a burst of 2-3 frames every 20 us, not one
// burst a millisecond. Frames go with PACKET_QDISC_BYPASS (straight to the
// device, as trafgen does) and sendmmsg(2). Each frame has its own UDP source
// port (1024 + sequence mod 50000) so that a flow-hashing receiver sees many
// flows; the UDP checksum is filled in.
//
// Prints one line: "sent N seconds S rate R cpu_user U cpu_sys Y errors E",
// with N the frames the kernel took, the CPU seconds this process used (user
// and system), and E the frames sendmmsg refused (ENOBUFS, ...).
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

constexpr int kFrameLen = 60;  // 64-byte Ethernet frame less its FCS
constexpr int kBatch = 64;

uint64_t now_ns() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return uint64_t(t.tv_sec) * 1000000000u + uint64_t(t.tv_nsec);
}

uint16_t fold(uint32_t s) {
  while (s >> 16)
    s = (s & 0xffff) + (s >> 16);
  return uint16_t(~s);
}

uint32_t sum16(const uint8_t* p, int n, uint32_t s = 0) {
  for (int i = 0; i + 1 < n; i += 2)
    s += uint32_t(p[i]) << 8 | p[i + 1];
  if (n & 1) s += uint32_t(p[n - 1]) << 8;
  return s;
}

bool parse_mac(const char* s, uint8_t* m) {
  unsigned v[6];
  if (std::sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
    return false;
  for (int i = 0; i < 6; i++)
    m[i] = uint8_t(v[i]);
  return true;
}

// One frame: Ethernet, IPv4 (TTL 64, DF), UDP to port 9 (discard).
void build(uint8_t* f, const uint8_t* dst, const uint8_t* src, uint32_t sip, uint32_t dip,
           uint16_t sport) {
  std::memset(f, 0, kFrameLen);
  std::memcpy(f, dst, 6);
  std::memcpy(f + 6, src, 6);
  f[12] = 0x08;
  uint8_t* ip = f + 14;
  const int ip_len = kFrameLen - 14;
  ip[0] = 0x45;
  ip[2] = uint8_t(ip_len >> 8);
  ip[3] = uint8_t(ip_len);
  ip[6] = 0x40;
  ip[8] = 64;
  ip[9] = 17;
  std::memcpy(ip + 12, &sip, 4);
  std::memcpy(ip + 16, &dip, 4);
  uint16_t c = fold(sum16(ip, 20));
  ip[10] = uint8_t(c >> 8);
  ip[11] = uint8_t(c);
  uint8_t* u = ip + 20;
  const int udp_len = ip_len - 20;
  u[0] = uint8_t(sport >> 8);
  u[1] = uint8_t(sport);
  u[3] = 9;
  u[4] = uint8_t(udp_len >> 8);
  u[5] = uint8_t(udp_len);
  std::memcpy(u + 8, "ninet fwd_gen", 13);
  uint32_t ps = sum16(ip + 12, 8) + 17 + uint32_t(udp_len);
  c = fold(sum16(u, udp_len, ps));
  if (c == 0) c = 0xffff;
  u[6] = uint8_t(c >> 8);
  u[7] = uint8_t(c);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7) {
    std::fprintf(stderr,
                 "usage: fwd_gen IFNAME DST_MAC SRC_IP DST_IP RATE_PPS SECONDS [TICK_US]\n");
    return 2;
  }
  const char* ifname = argv[1];
  uint8_t dmac[6], smac[6];
  in_addr sip, dip;
  if (!parse_mac(argv[2], dmac) || inet_pton(AF_INET, argv[3], &sip) != 1 ||
      inet_pton(AF_INET, argv[4], &dip) != 1) {
    std::fprintf(stderr, "fwd_gen: bad MAC or address\n");
    return 2;
  }
  const double rate = std::atof(argv[5]);
  const double seconds = std::atof(argv[6]);
  const uint64_t tick_ns = uint64_t(argc > 7 ? std::atof(argv[7]) : 20) * 1000;
  prctl(PR_SET_TIMERSLACK, 1UL);

  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    std::perror("fwd_gen: socket");
    return 1;
  }
  int one = 1;
  (void)setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
  int sndbuf = 4 << 20;
  (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf);
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_ifindex = int(if_nametoindex(ifname));
  sll.sll_protocol = 0;  // send only
  if (sll.sll_ifindex == 0 || bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) {
    std::perror("fwd_gen: bind");
    return 1;
  }
  {
    // Our source MAC: the interface's own.
    char path[128];
    std::snprintf(path, sizeof path, "/sys/class/net/%s/address", ifname);
    FILE* f = std::fopen(path, "r");
    char buf[32] = {};
    if (!f || !std::fgets(buf, sizeof buf, f) || !parse_mac(buf, smac)) {
      std::fprintf(stderr, "fwd_gen: cannot read %s\n", path);
      return 1;
    }
    std::fclose(f);
  }

  // A ring of prebuilt frames, one per source port; the sender cycles them.
  constexpr int kFrames = 4096;
  std::vector<uint8_t> frames(size_t(kFrames) * kFrameLen);
  for (int i = 0; i < kFrames; i++)
    build(&frames[size_t(i) * kFrameLen], dmac, smac, sip.s_addr, dip.s_addr,
          uint16_t(1024 + i % 50000));

  mmsghdr msgs[kBatch];
  iovec iovs[kBatch];
  uint64_t sent = 0, errors = 0, next = 0;
  const uint64_t start = now_ns();
  const uint64_t end = start + uint64_t(seconds * 1e9);
  uint64_t wake = start;
  for (;;) {
    uint64_t t = now_ns();
    if (t >= end) break;
    uint64_t due = rate > 0 ? uint64_t(double(t - start) * rate / 1e9) + 1 : sent + errors + kBatch;
    uint64_t done = sent + errors;
    if (due <= done) {
      wake += tick_ns;
      if (wake < t) wake = t + tick_ns;
      timespec ts{time_t(wake / 1000000000u), long(wake % 1000000000u)};
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
      continue;
    }
    int k = int(std::min<uint64_t>(due - done, kBatch));
    for (int i = 0; i < k; i++) {
      iovs[i] = {&frames[size_t(next % kFrames) * kFrameLen], kFrameLen};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_iov = &iovs[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      next++;
    }
    int r = sendmmsg(fd, msgs, unsigned(k), 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      errors++;  // the first frame was refused; the rest go next round
      next -= uint64_t(k - 1);
      continue;
    }
    sent += uint64_t(r);
    if (r < k) next -= uint64_t(k - r);
  }
  const double el = double(now_ns() - start) / 1e9;
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& tv) { return double(tv.tv_sec) + double(tv.tv_usec) / 1e6; };
  std::printf("sent %llu seconds %.3f rate %.0f cpu_user %.3f cpu_sys %.3f errors %llu\n",
              (unsigned long long)sent, el, double(sent) / el, secs(ru.ru_utime), secs(ru.ru_stime),
              (unsigned long long)errors);
  return 0;
}
