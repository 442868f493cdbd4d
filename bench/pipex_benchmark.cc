// pipex_benchmark — pipex's data path (src/pipex/datapath.cc) and its session
// table (src/pipex/sessions.cc) on the in-memory medium, issue 7 point 7.
//
// One stack: an Ethernet TestMedium towards the peers (veth7, 192.0.2.2/24,
// the peer 192.0.2.1), a `bind pipex` interface (pppac) and an Ethernet
// TestMedium towards a host network (mem1, 10.2.0.1/24, 172.16/12 via
// 10.2.0.9), with UDP and the daemon's L2TP conversation on port 1701.
// Session i has id i and framed address 100.64.0.0 + i (a /32).
//
// Data path, per packet, in batches of 64 frames as a medium delivers them:
//   pipex/PROTO/MPPE/in/PAYLOAD   the peer's session frame on veth7 -> the
//       input hook -> decrypt -> ip.inject(pppac) -> forward -> out mem1
//   pipex/PROTO/MPPE/out/PAYLOAD  a host's packet on mem1 to the framed
//       address -> forward -> the pipex medium -> encrypt, PPP, tunnel -> out
//       veth7
// PROTO l2tp, pptp, pppoe; MPPE none, stateless or stateful (128 bits, both
// directions, required); PAYLOAD the inner IP packet's payload (64 or 1400
// bytes of UDP). Baseline in the same run:
//   forward/in/PAYLOAD, forward/out/PAYLOAD   ninet forwarding the same inner
//       packets between the two Ethernet TestMedia (no pipex: 100.64/10 is
//       routed to the peer), the cost of routing alone
//   rc4/PAYLOAD, rc4_rekey/PAYLOAD   OpenSSL's RC4 through EVP over the bytes
//       MPPE encrypts (the inner protocol field and packet): keyed once (the
//       stream alone), and with a key schedule per packet (what stateless
//       MPPE must do at least, before its SHA-1)
//   mppe_encrypt/MODE/PAYLOAD   crypto::Mppe alone on the same bytes
// Every loop copies the frames into pool blocks first (a medium's receive),
// baseline included. The peer's MPPE frames are encrypted up front, 256 of
// them (counts 0-255: one stateful key change, at 255, as in steady state;
// 384 KiB at 1400 bytes, within the L2 cache); after each 256 packets the
// session's receiving MPPE state is made anew (Mppe::create) so that they
// decrypt again, outside the timing (its CPU time is subtracted). PPTP frames get their GRE
// sequence number written after the copy; pipex acknowledges every 32 of them alone (half the
// window of 64), which is counted.
//
// Scale (L2TP sessions with framed /32s, ids 1..65535; past 65,535 the
// sessions go on as PPTP then PPPoE: session ids are 16 bits per protocol,
// so one pipex holds at most 196,605, never a million):
//   scale/add_delete/sessions:N/pool_route:R   N PIPEXASESSION from empty,
//       then N PIPEXDSESSION: sessions/s each way; memory per session from
//       the heap in use (mallinfo2 uordblks) and the resident set
//       (/proc/self/statm), and the route table's own count
//       (RouteTable::memory_bytes); R=1 adds 100.64/10 through pppac first,
//       so sessions add no route of their own (the cost of the route).
//       Each pass runs twice in one stack: cold (the memory faulted in),
//       then warm (after all were deleted: steady churn), the warm rates
//       reported as add_per_s/del_per_s
//   scale/add_delete_mppe/sessions:N   the same with stateless 128-bit MPPE
//       both ways (two crypto::Mppe, four OpenSSL contexts, per session)
//   scale/add_calls/sessions:10000/calls:K   warm L2TP adds while port 1701
//       has K connected UDP calls (one per LAC peer)
//   scale/lookup/KIND/sessions:N   diagnosis: the data path's lookups alone
//       over random sessions (see BM_Find)
//   scale/rte_lpm/sessions:N   rte_lpm_add then rte_lpm_delete of the same
//       /32s (DPDK, when built with it)
//   scale/fwd/DIR/sessions:N/spread:S   64-byte packets in DIR (in: L2TP
//       frames of the peer, out: host packets to framed addresses); S=1 a
//       random session per packet (from a pregenerated list of 2^20), S=0
//       always session 1. The frame is copied from one template and its
//       session id (and checksum) patched in both cases.
//   scale/million/{add_delete,fwd/out/spread:S,idle}   the same measures with
//       1,000,002 sessions registered: six stacks of 166,667 in one process
//       (the 16-bit ids cap one pipex at 196,605); fwd sends each batch to
//       the next stack and each packet to a random session of it
//   scale/idle/sessions:N   sessions with a 60 s timeout, ManualClock moved a
//       second at a time with Ip::tick() after each: all active at 30 s (their
//       timers file themselves again at 60 s: refile), idle from then on (to
//       close-wait at 90 s: expire), freed 30 s later (reap); CPU per session
//       of each phase, including the ticks in which nothing fired.
//
// Counters: pkts_per_s and ns_per_pkt / cycles_per_pkt (TSC cycles from this
// thread's CPU time, the TSC rate calibrated at start against
// CLOCK_MONOTONIC, as forward_benchmark), inner_bytes_per_s (the inner IP
// packets' bytes over the same CPU time; Google Benchmark's own
// bytes_per_second also counts what the loop leaves out), allocs_per_pkt
// (C++ allocations in the timed loop per packet), acks_per_pkt (PPTP's
// ack-only packets sent per packet in).
//
//   ./build/bench/pipex_benchmark --benchmark_repetitions=5 \
//       --benchmark_report_aggregates_only=true
//   ./build/bench/pipex_benchmark --benchmark_filter='^scale/'   # table scale only
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <openssl/evp.h>
#include <time.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>
#include <random>
#include <string>
#include <vector>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include "base/checksum.h"
#include "base/endian.h"
#include "crypto/libcrypto.h"
#include "crypto/mppe.h"
#include "ip/conv.h"
#include "ip/ifc.h"
#include "ip/ip.h"
#include "media/testing.h"
#include "pipex/sessions.h"
#include "pipex/testing.h"
#include "proto/udp.h"

#ifdef NINET_HAVE_DPDK
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_lpm.h>
#include <rte_malloc.h>
#endif

// Every C++ allocation of the process, counted (the benchmarks run on one
// thread): allocs_per_pkt is the count over a data path loop per packet.
// OpenSSL's own mallocs are not C++ allocations and are not counted.
namespace {
uint64_t g_allocs = 0;
}  // namespace

void* operator new(size_t n) {
  g_allocs++;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, size_t) noexcept {
  std::free(p);
}

namespace ninet::pipex {
namespace {

using namespace pipextest;

// ---- Time (as forward_benchmark) ----

double cpu_mhz() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("cpu MHz", 0) == 0) return std::stod(line.substr(line.find(':') + 1));
  return 0;
}

double clock_s(clockid_t c) {
  timespec ts;
  clock_gettime(c, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

double thread_cpu() {
  return clock_s(CLOCK_THREAD_CPUTIME_ID);
}

double tsc_hz() {
  static const double hz = [] {
#if defined(__x86_64__)
    double t0 = clock_s(CLOCK_MONOTONIC);
    uint64_t c0 = __rdtsc();
    usleep(200'000);
    uint64_t c1 = __rdtsc();
    double t1 = clock_s(CLOCK_MONOTONIC);
    double h = double(c1 - c0) / (t1 - t0);
#else
    double h = cpu_mhz() * 1e6;
#endif
    std::fprintf(stderr, "pipex_benchmark: TSC %.1f MHz (calibrated), /proc/cpuinfo %.1f MHz\n",
                 h / 1e6, cpu_mhz());
    return h;
  }();
  return hz;
}

void per_packet(benchmark::State& st, double cpu_s, uint64_t packets, size_t inner_bytes) {
  st.SetItemsProcessed(int64_t(packets));
  st.SetBytesProcessed(int64_t(packets * inner_bytes));
  if (packets == 0 || cpu_s <= 0) return;
  st.counters["pkts_per_s"] = double(packets) / cpu_s;
  st.counters["inner_bytes_per_s"] = double(packets * inner_bytes) / cpu_s;
  st.counters["ns_per_pkt"] = cpu_s * 1e9 / double(packets);
  st.counters["cycles_per_pkt"] = cpu_s * tsc_hz() / double(packets);
}

// ---- Frames ----

const uint8_t kHostMac[6] = {0x02, 0, 0, 0, 0, 0x77};
constexpr uint32_t kFramedBase = 0x64400000;  // 100.64.0.0: session i is 100.64.0.0 + i
constexpr uint16_t kSid = 7;                  // the data path's one session

Ipaddr framed(uint32_t i) {
  return Ipaddr::v4(kFramedBase + i);
}

// The i-th host address of 172.16/12, as forward_benchmark.
Ipaddr host_addr(int i) {
  return Ipaddr::v4(0xac100000u | uint32_t((i % 64) * 977 + 1));
}

// The inner packet: UDP (to the discard port: active traffic for the idle
// rule), `payload` bytes of IP payload, sent without a UDP checksum so that a
// patched address needs only the IP header's checksum changed.
Bytes inner(const Ipaddr& src, const Ipaddr& dst, size_t payload) {
  Bytes u(payload, 0x5a);
  store16(&u[0], 40000);
  store16(&u[2], 9);
  store16(&u[4], uint16_t(payload));
  store16(&u[6], 0);
  return ip4(src, dst, 17, u);
}

constexpr int kL2tp = PIPEX_PROTO_L2TP, kPptp = PIPEX_PROTO_PPTP, kPppoe = PIPEX_PROTO_PPPOE;

// Offsets in the peer's frames (no L2TP length or sequence fields).
constexpr size_t kL2tpUdpCsum = 14 + 20 + 6, kL2tpSid = 14 + 20 + 8 + 4;
constexpr size_t kPptpSeq = 14 + 20 + 8;
constexpr size_t kIpCsum = 14 + 10, kIpDst = 14 + 16;

// The peer's frame of session sid around a PPP frame that starts with its
// protocol field (the ACF is added for L2TP and PPTP; PPPoE's frames are never
// short enough to be padded).
Bytes session_frame(int proto, const Mac& us, uint16_t sid, const Bytes& ppp_body) {
  const Outer o{.to_mac = us};
  switch (proto) {
    case kL2tp:
      return l2tp_frame(cat({{0xff, 0x03}, ppp_body}), sid, o);
    case kPptp:
      return pptp_frame(cat({{0xff, 0x03}, ppp_body}), sid, 0, o);
    default:
      return pppoe_frame(ppp_body, sid, o);
  }
}

const char* proto_name(int p) {
  return p == kL2tp ? "l2tp" : p == kPptp ? "pptp" : "pppoe";
}

enum MppeMode { kNoMppe = 0, kStateless = 1, kStateful = 2 };
const char* mppe_name(int m) {
  return m == kNoMppe ? "none" : m == kStateless ? "stateless" : "stateful";
}

// The daemon's request for session `id` of `proto` with framed address
// 100.64.0.0 + addr_index.
pipex_session_req request(int proto, uint16_t id, uint32_t addr_index, int mppe,
                          uint16_t timeout = 0) {
  pipex_session_req r = session_req(proto, id, framed(addr_index));
  r.pr_ppp_id = int(addr_index);
  r.pr_peer_mru = 1500;
  r.pr_timeout_sec = timeout;
  if (mppe != kNoMppe) {
    set_mppe(r, mppe == kStateless, true);
    set_master_keys(r);
  }
  return r;
}

// Session k of a table of many (k from 0): L2TP ids 1..65535, then PPTP,
// then PPPoE; framed address 100.64.0.0 + k + 1.
constexpr uint32_t kIdsPerProto = 65535;
int scale_proto(uint32_t k) {
  return k < kIdsPerProto ? kL2tp : k < 2 * kIdsPerProto ? kPptp : kPppoe;
}
uint16_t scale_id(uint32_t k) {
  return uint16_t(k % kIdsPerProto + 1);
}

// ---- The stack ----

struct Stack {
  ManualClock clock;
  Pool pool;
  std::vector<TestMedium*> media;
  std::unique_ptr<Pipex> px;
  Ip ip{clock, pool,
        [this](std::string_view kind, std::string_view path) -> Result<std::unique_ptr<Medium>> {
          if (kind == "pipex") return px->make_medium();
          auto m = TestMedium::factory(&media)(kind, path);
          media.back()->keep_sent = false;
          return m;
        }};
  Ifc* eth = nullptr;  // towards the peers
  Ifc* host = nullptr;
  Ifc* pppac = nullptr;
  TestMedium* eth_m = nullptr;
  TestMedium* host_m = nullptr;

  // with_pipex false: no pipex; 100.64/10 is routed to the peer instead (the
  // plain forwarding baseline).
  explicit Stack(bool with_pipex) {
    std::unique_lock<std::mutex> l(ip.mu);
    ip.add_proto(make_udp(ip));
    eth = *ip.ifc_clone();
    check(ip.ifc_ctl(*eth, "bind ether veth7"));
    check(ip.ifc_ctl(*eth, "add 192.0.2.2 255.255.255.0"));
    check(ip.ifc_ctl(*eth, "iprouting 1"));
    check(ip.arp_ctl("add ether 192.0.2.1 020000000001"));
    eth_m = media.back();
    host = *ip.ifc_clone();
    check(ip.ifc_ctl(*host, "bind ether mem1"));
    check(ip.ifc_ctl(*host, "add 10.2.0.1 255.255.255.0"));
    check(ip.ifc_ctl(*host, "iprouting 1"));
    check(ip.arp_ctl("add ether 10.2.0.9 020000000099"));
    host_m = media.back();
    std::string tag = "none";
    check(ip.route_ctl("add 172.16.0.0 255.240.0.0 10.2.0.9", tag));
    if (with_pipex) {
      px = std::make_unique<Pipex>(ip);
      px->enabled = true;
      pppac = *ip.ifc_clone();
      check(ip.ifc_ctl(*pppac, "bind pipex"));
      int one = 1;
      if (px->ioctl(*pppac, PIPEXSMODE, &one) != 0) fail("PIPEXSMODE");
      Proto* u = ip.proto("udp");
      Conv* c = *u->clone("daemon");
      check(u->ctl_message(*c, "announce 1701", l, nullptr));
    } else {
      check(ip.route_ctl("add 100.64.0.0 255.192.0.0 192.0.2.1", tag));
    }
    for (int i = 0; i < 16; i++) {
      ip.flush();
      if (ip.poll() == 0) break;
    }
  }
  ~Stack() {
    std::lock_guard<std::mutex> g(ip.mu);
    px.reset();  // before ip: its hooks and routes
  }

  static void check(const Status& s) {
    if (!s) fail(std::string(s.error().text()).c_str());
  }
  [[noreturn]] static void fail(const char* what) {
    std::fprintf(stderr, "pipex_benchmark: setup: %s\n", what);
    std::abort();
  }

  int add(const pipex_session_req& r) {
    pipex_session_req c = r;
    return px->ioctl(*pppac, PIPEXASESSION, &c);
  }
};

uint64_t session_errors(const Pipex& px) {
  uint64_t e = 0;
  px.for_each([&](const Session& s) { e += s.stats.ierrors + s.stats.oerrors; });
  return e;
}

// ---- Data path ----

// Copies frames[pos..pos+64) into pool blocks, lets patch(block, k) change
// packet k, and hands the batch to ip.input (which flushes); after the last
// frame, calls wrap() and starts again. Returns the thread CPU time of the
// loop, less wrap()'s.
template <typename Patch, typename Wrap>
double run_batches(benchmark::State& st, Stack& s, Ifc& in, const std::vector<Bytes>& frames,
                   Patch&& patch, Wrap&& wrap) {
  Batch batch;
  batch.reserve(64);
  size_t pos = 0;
  uint64_t k = 0;
  double excluded = 0;
  const uint64_t a0 = g_allocs;
  const double t0 = thread_cpu();
  for (auto _ : st) {
    for (int i = 0; i < 64; i++, k++) {
      const Bytes& f = frames[pos + size_t(i)];
      batch.push_back(s.pool.copy(f.data(), uint32_t(f.size())));
      patch(*batch.back(), k);
    }
    s.ip.input(in, batch);
    batch.clear();
    pos += 64;
    if (pos == frames.size()) {
      pos = 0;
      if (wrap.timed_out) {
        const double w0 = thread_cpu();
        wrap();
        excluded += thread_cpu() - w0;
      }
    }
  }
  const double cpu = thread_cpu() - t0 - excluded;
  if (st.iterations() > 0)
    st.counters["allocs_per_pkt"] = double(g_allocs - a0) / double(st.iterations() * 64);
  return cpu;
}

struct NoPatch {
  void operator()(Block&, uint64_t) const {}
};
struct NoWrap {
  static constexpr bool timed_out = false;
  void operator()() const {}
};

// Baseline: the inner packets forwarded between the two Ethernet media.
void BM_Forward(benchmark::State& st, bool in_dir, size_t payload) {
  Stack s(false);
  std::lock_guard<std::mutex> g(s.ip.mu);
  std::vector<Bytes> frames;
  for (int i = 0; i < 64; i++) {
    if (in_dir)
      frames.push_back(cat(
          {ether(s.eth->mac, Mac(kPeerMac), 0x0800), inner(framed(kSid), host_addr(i), payload)}));
    else
      frames.push_back(cat(
          {ether(s.host->mac, Mac(kHostMac), 0x0800), inner(host_addr(i), framed(kSid), payload)}));
  }
  TestMedium* out = in_dir ? s.host_m : s.eth_m;
  const size_t before = out->sent_count;
  tsc_hz();
  double cpu = run_batches(st, s, in_dir ? *s.eth : *s.host, frames, NoPatch(), NoWrap());
  if (out->sent_count - before != uint64_t(st.iterations()) * 64) st.SkipWithError("frames lost");
  per_packet(st, cpu, uint64_t(st.iterations()) * 64, 20 + payload);
}

// Makes a session's receiving MPPE state anew (see BM_Pipex).
struct MppeRestart {
  static constexpr bool timed_out = true;
  Session* sess;
  std::shared_ptr<const crypto::Libcrypto> lib;
  crypto::MppeConfig c;
  bool on;
  void operator()() const {
    if (on)
      sess->mppe_rx = std::make_unique<crypto::Mppe>(std::move(*crypto::Mppe::create(lib, c)));
  }
};

void BM_Pipex(benchmark::State& st, int proto, int mppe, bool in_dir, size_t payload) {
  Stack s(true);
  std::lock_guard<std::mutex> g(s.ip.mu);
  const pipex_session_req req = request(proto, kSid, kSid, mppe);
  if (int e = s.add(req)) {
    st.SkipWithError(("PIPEXASESSION: " + std::string(strerror(e))).c_str());
    return;
  }
  Session* sess = s.px->find(proto, kSid);
  std::shared_ptr<const crypto::Libcrypto> lib;
  if (mppe != kNoMppe) {
    auto l = crypto::Libcrypto::open();
    if (!l) {
      st.SkipWithError("no RC4 in this OpenSSL");
      return;
    }
    lib = *l;
  }
  std::vector<Bytes> frames;
  if (in_dir && mppe != kNoMppe) {
    // Counts 0-255, encrypted by the peer.
    auto tx = crypto::Mppe::create(lib, mppe_config(req.pr_mppe_recv));
    for (int k = 0; k < 256; k++) {
      Bytes ppp = mppe_ppp(*tx, inner(framed(kSid), host_addr(k), payload), false);
      if (ppp.empty()) Stack::fail("mppe encrypt");
      frames.push_back(session_frame(proto, s.eth->mac, kSid, ppp));
    }
  } else {
    for (int i = 0; i < 64; i++) {
      if (in_dir)
        frames.push_back(
            session_frame(proto, s.eth->mac, kSid,
                          cat({be16(0x0021), inner(framed(kSid), host_addr(i), payload)})));
      else
        frames.push_back(cat({ether(s.host->mac, Mac(kHostMac), 0x0800),
                              inner(host_addr(i), framed(kSid), payload)}));
    }
  }
  // The receiving MPPE state starts again when the peer's frames do.
  MppeRestart wrap{sess, lib, mppe_config(req.pr_mppe_recv), in_dir && mppe != kNoMppe};
  auto pptp_seq = [&](Block& b, uint64_t k) { store32(b.data() + kPptpSeq, uint32_t(k)); };
  TestMedium* out = in_dir ? s.host_m : s.eth_m;
  const size_t before = out->sent_count, eth_before = s.eth_m->sent_count;
  tsc_hz();
  double cpu;
  Ifc& in = in_dir ? *s.eth : *s.host;
  if (in_dir && proto == kPptp)
    cpu = run_batches(st, s, in, frames, pptp_seq, wrap);
  else
    cpu = run_batches(st, s, in, frames, NoPatch(), wrap);
  const uint64_t n = uint64_t(st.iterations()) * 64;
  if (out->sent_count - before != n || session_errors(*s.px) != 0) st.SkipWithError("frames lost");
  st.counters["acks_per_pkt"] =
      in_dir ? double(s.eth_m->sent_count - eth_before) / double(n) : 0;  // PPTP's ack-only packets
  per_packet(st, cpu, n, 20 + payload);
}

// ---- Crypto baselines ----

std::shared_ptr<const crypto::Libcrypto> libcrypto() {
  static auto lib = [] {
    auto l = crypto::Libcrypto::open();
    return l ? *l : nullptr;
  }();
  return lib;
}

// RC4 through EVP over the bytes MPPE encrypts (2 + 20 + payload), 64 packets
// per iteration; rekey: a key schedule before each packet.
void BM_Rc4(benchmark::State& st, bool rekey, size_t payload) {
  auto lib = libcrypto();
  if (!lib) {
    st.SkipWithError("no RC4 in this OpenSSL");
    return;
  }
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  const uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  if (!EVP_EncryptInit_ex2(ctx, lib->rc4_cipher(), key, nullptr, nullptr)) {
    st.SkipWithError("EVP_EncryptInit_ex2");
    EVP_CIPHER_CTX_free(ctx);
    return;
  }
  const size_t len = 2 + 20 + payload;
  std::vector<Bytes> bufs(64, Bytes(len, 0x5a));
  tsc_hz();
  const double t0 = thread_cpu();
  for (auto _ : st) {
    for (Bytes& b : bufs) {
      if (rekey) EVP_CipherInit_ex2(ctx, nullptr, key, nullptr, 1, nullptr);
      int out = 0;
      EVP_EncryptUpdate(ctx, b.data(), &out, b.data(), int(b.size()));
    }
    benchmark::DoNotOptimize(bufs.data());
  }
  per_packet(st, thread_cpu() - t0, uint64_t(st.iterations()) * 64, 20 + payload);
  EVP_CIPHER_CTX_free(ctx);
}

// crypto::Mppe alone, sending: the same bytes, 64 packets per iteration.
void BM_MppeEncrypt(benchmark::State& st, int mode, size_t payload) {
  auto lib = libcrypto();
  if (!lib) {
    st.SkipWithError("no RC4 in this OpenSSL");
    return;
  }
  pipex_session_req r = request(kL2tp, kSid, kSid, mode);
  auto tx = crypto::Mppe::create(lib, mppe_config(r.pr_mppe_send));
  std::vector<Bytes> bufs(64, Bytes(2 + 2 + 20 + payload, 0x5a));
  tsc_hz();
  const double t0 = thread_cpu();
  for (auto _ : st) {
    for (Bytes& b : bufs)
      if (!tx->encrypt(b)) st.SkipWithError("encrypt");
    benchmark::DoNotOptimize(bufs.data());
  }
  per_packet(st, thread_cpu() - t0, uint64_t(st.iterations()) * 64, 20 + payload);
}

// ---- Scale ----

size_t heap_in_use() {
  return mallinfo2().uordblks;
}

size_t rss_bytes() {
  long pages = 0, resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
  std::fclose(f);
  return size_t(resident) * size_t(sysconf(_SC_PAGESIZE));
}

// Adds sessions 0..n-1 of the scale table (timeout seconds each); aborts on
// an error.
void add_sessions(Stack& s, uint32_t n, uint16_t timeout = 0, int mppe = kNoMppe) {
  for (uint32_t k = 0; k < n; k++) {
    pipex_session_req r = request(scale_proto(k), scale_id(k), k + 1, mppe, timeout);
    if (int e = s.px->ioctl(*s.pppac, PIPEXASESSION, &r)) {
      std::fprintf(stderr, "pipex_benchmark: PIPEXASESSION %u: %s\n", k, strerror(e));
      std::abort();
    }
  }
}

void delete_sessions(Stack& s, uint32_t n) {
  for (uint32_t k = 0; k < n; k++) {
    pipex_session_close_req c{};
    c.psr_protocol = scale_proto(k);
    c.psr_session_id = scale_id(k);
    if (int e = s.px->ioctl(*s.pppac, PIPEXDSESSION, &c)) {
      std::fprintf(stderr, "pipex_benchmark: PIPEXDSESSION %u: %s\n", k, strerror(e));
      std::abort();
    }
  }
}

// Twice in one stack: the first adds fault in the memory the table, the
// sessions and their routes grow into (cold); after all are deleted, the
// same adds and deletes again (warm: a daemon's steady churn).
void BM_AddDelete(benchmark::State& st, uint32_t n, bool pool_route, int mppe) {
  for (auto _ : st) {
    Stack s(true);
    std::lock_guard<std::mutex> g(s.ip.mu);
    if (pool_route) {
      std::string tag = "pool";
      Stack::check(s.ip.route_ctl(
          "add 100.64.0.0 255.192.0.0 100.64.0.0 " + std::to_string(s.pppac->index), tag));
    }
    // The requests are made inside the loops (a few stores each), as a
    // daemon would fill them.
    const size_t heap0 = heap_in_use(), rss0 = rss_bytes(), route0 = s.ip.routes.memory_bytes();
    const size_t routes0 = s.ip.routes.size();
    double t0 = thread_cpu();
    add_sessions(s, n, 0, mppe);
    const double add_cold = thread_cpu() - t0;
    const size_t heap1 = heap_in_use(), rss1 = rss_bytes(), route1 = s.ip.routes.memory_bytes();
    const size_t routes1 = s.ip.routes.size();
    t0 = thread_cpu();
    delete_sessions(s, n);
    const double del_cold = thread_cpu() - t0;
    if (s.px->size() != 0) st.SkipWithError("sessions left");
    t0 = thread_cpu();
    add_sessions(s, n, 0, mppe);
    const double add_warm = thread_cpu() - t0;
    t0 = thread_cpu();
    delete_sessions(s, n);
    const double del_warm = thread_cpu() - t0;
    st.SetIterationTime(add_cold + del_cold + add_warm + del_warm);
    st.counters["add_per_s"] = double(n) / add_warm;
    st.counters["del_per_s"] = double(n) / del_warm;
    st.counters["add_cold_per_s"] = double(n) / add_cold;
    st.counters["del_cold_per_s"] = double(n) / del_cold;
    st.counters["ns_per_add"] = add_warm * 1e9 / double(n);
    st.counters["ns_per_del"] = del_warm * 1e9 / double(n);
    st.counters["heap_per_session"] = (double(heap1) - double(heap0)) / double(n);
    st.counters["rss_per_session"] = (double(rss1) - double(rss0)) / double(n);
    st.counters["route_bytes_per_session"] = (double(route1) - double(route0)) / double(n);
    st.counters["routes_added"] = double(routes1 - routes0);
    st.counters["sizeof_Session"] = double(sizeof(Session));
  }
}

// Adds of L2TP sessions while the daemon's port 1701 has `calls` connected
// UDP conversations (one per LAC peer, as ip(3) makes them when a new peer
// writes to the announced port): each L2TP add visits every UDP
// conversation to hook the port's (Pipex::hook_l2tp_conv). Warm, with the
// pool route (no per-session routes).
void BM_AddWithCalls(benchmark::State& st, uint32_t n, int calls) {
  for (auto _ : st) {
    Stack s(true);
    std::lock_guard<std::mutex> g(s.ip.mu);
    std::string tag = "pool";
    Stack::check(s.ip.route_ctl(
        "add 100.64.0.0 255.192.0.0 100.64.0.0 " + std::to_string(s.pppac->index), tag));
    Proto* u = s.ip.proto("udp");
    Conv* listener = nullptr;
    for (auto& c : u->convs)
      if (c && c->inuse && c->lport == 1701 && c->state == ConvState::kAnnounced)
        listener = c.get();
    for (int j = 0; j < calls; j++)
      if (!u->new_call(*listener, kUs, 1701, Ipaddr::v4(0xc6120000u + uint32_t(j)), 1701,
                       ConvState::kConnected))
        Stack::fail("new_call");
    add_sessions(s, n);
    delete_sessions(s, n);
    double t0 = thread_cpu();
    add_sessions(s, n);
    const double add_s = thread_cpu() - t0;
    delete_sessions(s, n);
    st.SetIterationTime(add_s);
    st.counters["add_per_s"] = double(n) / add_s;
    st.counters["ns_per_add"] = add_s * 1e9 / double(n);
  }
}

// Diagnosis: the lookups the data path makes per packet, alone, over n
// sessions, each key depending on the one before (no overlap of misses):
// find (by protocol and id: input), find_v4 (by framed address: output),
// route (the RouteTable lookup of a framed /32: output), and direct: a
// plain array of Session* per protocol indexed by the 16-bit id, the
// structure a 16-bit id allows. Each reads the session (or route) found:
// one field, or (direct_hot) every field L2TP input reads and writes per
// packet (claim_l2tp, ppp_input, ip_input: 7 of Session's 10 cache lines).
enum FindKind { kFind, kFindV4, kRoute, kDirect, kDirectHot };
void BM_Find(benchmark::State& st, int kind, uint32_t n) {
  Stack s(true);
  std::lock_guard<std::mutex> g(s.ip.mu);
  add_sessions(s, n);
  std::vector<std::vector<Session*>> direct(4, std::vector<Session*>(65536));
  for (uint32_t k = 0; k < n; k++)
    direct[size_t(scale_proto(k))][scale_id(k)] = s.px->find(scale_proto(k), scale_id(k));
  std::vector<uint32_t> order(1 << 20);
  std::mt19937 rng(12345);
  for (auto& o : order)
    o = uint32_t(rng() % n);
  uint32_t carry = 0;  // 0, but the compiler cannot know: makes each key depend on the last
  size_t i = 0;
  const double t0 = thread_cpu();
  for (auto _ : st) {
    for (int j = 0; j < 64; j++, i++) {
      const uint32_t k = order[i & (order.size() - 1)] + carry;
      uint32_t v = 0;
      switch (kind) {
        case kFind:
          v = uint32_t(s.px->find(scale_proto(k), scale_id(k))->ppp_id);
          break;
        case kFindV4:
          v = uint32_t(s.px->find_v4(framed(k + 1))->ppp_id);
          break;
        case kRoute:
          v = uint32_t(s.ip.routes.lookup(framed(k + 1))->ifc) + 1;
          break;
        case kDirect:
          v = uint32_t(direct[size_t(scale_proto(k))][scale_id(k)]->ppp_id);
          break;
        default: {
          Session* x = direct[size_t(scale_proto(k))][scale_id(k)];
          v = x->ppp_flags + uint32_t(x->peer.is_zero()) + x->proto.l2tp.nr_nxt +
              uint32_t(x->ip_forward) + uint32_t(x->mppe_rx != nullptr) + uint32_t(x->ifc);
          x->last_active++;
          x->stats.ipackets++;
          x->stats.ibytes += 84;
          break;
        }
      }
      carry = v >> 31;
    }
  }
  benchmark::DoNotOptimize(carry);
  const double cpu = thread_cpu() - t0;
  const uint64_t lookups = uint64_t(st.iterations()) * 64;
  st.SetItemsProcessed(int64_t(lookups));
  st.counters["ns_per_lookup"] = cpu * 1e9 / double(lookups);
  st.counters["cycles_per_lookup"] = cpu * tsc_hz() / double(lookups);
}

#ifdef NINET_HAVE_DPDK
void BM_LpmAddDelete(benchmark::State& st, uint32_t n) {
  static int seq = 0;
  for (auto _ : st) {
    rte_lpm_config cfg{};
    cfg.max_rules = n;
    cfg.number_tbl8s = n / 256 + 16;  // one group per /24 holding /32s
    rte_malloc_socket_stats m0{}, m1{};
    rte_malloc_get_socket_stats(int(rte_socket_id()), &m0);
    std::string name = "pipex" + std::to_string(seq++);
    rte_lpm* lpm = rte_lpm_create(name.c_str(), int(rte_socket_id()), &cfg);
    if (!lpm) {
      st.SkipWithError(rte_strerror(rte_errno));
      return;
    }
    double t0 = thread_cpu();
    for (uint32_t k = 0; k < n; k++)
      if (rte_lpm_add(lpm, kFramedBase + k + 1, 32, k) < 0) {
        st.SkipWithError("rte_lpm_add");
        break;
      }
    const double add_s = thread_cpu() - t0;
    rte_malloc_get_socket_stats(int(rte_socket_id()), &m1);
    t0 = thread_cpu();
    for (uint32_t k = 0; k < n; k++)
      if (rte_lpm_delete(lpm, kFramedBase + k + 1, 32) < 0) {
        st.SkipWithError("rte_lpm_delete");
        break;
      }
    const double del_s = thread_cpu() - t0;
    rte_lpm_free(lpm);
    st.SetIterationTime(add_s + del_s);
    st.counters["add_per_s"] = double(n) / add_s;
    st.counters["del_per_s"] = double(n) / del_s;
    st.counters["ns_per_add"] = add_s * 1e9 / double(n);
    st.counters["ns_per_del"] = del_s * 1e9 / double(n);
    st.counters["heap_per_session"] =
        (double(m1.heap_allocsz_bytes) - double(m0.heap_allocsz_bytes)) / double(n);
  }
}
#endif

// 64-byte packets over n sessions: in (the peer's L2TP frames) or out (the
// host's packets to framed addresses), a random session per packet or always
// the first.
void BM_ScaleFwd(benchmark::State& st, bool in_dir, uint32_t n, bool spread) {
  Stack s(true);
  std::lock_guard<std::mutex> g(s.ip.mu);
  add_sessions(s, n);
  // Sessions to pick from: in, the L2TP ones (ids 1..); out, all of them.
  const uint32_t pick = in_dir ? std::min(n, kIdsPerProto) : n;
  std::vector<uint32_t> order(1 << 20);
  std::mt19937 rng(12345);
  for (auto& o : order)
    o = spread ? uint32_t(rng() % pick) : 0;
  std::vector<Bytes> frames;
  if (in_dir)
    frames.push_back(session_frame(kL2tp, s.eth->mac, 1,
                                   cat({be16(0x0021), inner(framed(1), host_addr(0), 64)})));
  else
    frames.push_back(
        cat({ether(s.host->mac, Mac(kHostMac), 0x0800), inner(host_addr(0), framed(1), 64)}));
  frames.resize(64, frames[0]);
  // The template is session 0's (id 1, address 100.64.0.1); patch in session k's.
  auto patch_in = [&](Block& b, uint64_t i) {
    uint8_t* p = b.data();
    const uint16_t id = scale_id(order[i & (order.size() - 1)]);
    store16(p + kL2tpUdpCsum, csum_update16(load16(p + kL2tpUdpCsum), 1, id));
    store16(p + kL2tpSid, id);
  };
  auto patch_out = [&](Block& b, uint64_t i) {
    uint8_t* p = b.data();
    const uint32_t a = kFramedBase + order[i & (order.size() - 1)] + 1;
    store16(p + kIpCsum, csum_update32(load16(p + kIpCsum), kFramedBase + 1, a));
    store32(p + kIpDst, a);
  };
  TestMedium* out = in_dir ? s.host_m : s.eth_m;
  const size_t before = out->sent_count;
  tsc_hz();
  double cpu = in_dir ? run_batches(st, s, *s.eth, frames, patch_in, NoWrap())
                      : run_batches(st, s, *s.host, frames, patch_out, NoWrap());
  const uint64_t pk = uint64_t(st.iterations()) * 64;
  if (out->sent_count - before != pk || session_errors(*s.px) != 0) st.SkipWithError("frames lost");
  per_packet(st, cpu, pk, 20 + 64);
}

// The idle timer over n sessions with a 60 s timeout.
void BM_Idle(benchmark::State& st, uint32_t n) {
  for (auto _ : st) {
    Stack s(true);
    std::lock_guard<std::mutex> g(s.ip.mu);
    add_sessions(s, n, 60);
    auto run_to = [&](Time t) {  // a second at a time, the engine's ticks
      const double t0 = thread_cpu();
      while (s.clock.now() < t) {
        s.clock.advance(sec(1));
        s.ip.tick();
      }
      return thread_cpu() - t0;
    };
    const Time start = s.clock.now();
    const double quiet = run_to(start + sec(30));  // nothing due
    s.px->for_each([&](Session& x) { s.px->active(x, s.clock.now()); });
    const double refile = run_to(start + sec(61));  // each timer files itself again at 90 s
    if (s.px->closed_size() != 0) st.SkipWithError("closed while active");
    const double expire = run_to(start + sec(91));  // all to close-wait
    if (s.px->closed_size() != n) st.SkipWithError("not all closed");
    const double reap = run_to(start + sec(122));  // 30 s later: freed
    if (s.px->size() != 0) st.SkipWithError("not all freed");
    st.SetIterationTime(quiet + refile + expire + reap);
    st.counters["quiet_tick_ns"] = quiet * 1e9 / 30;
    st.counters["refile_ns_per_session"] = refile * 1e9 / double(n);
    st.counters["expire_ns_per_session"] = expire * 1e9 / double(n);
    st.counters["reap_ns_per_session"] = reap * 1e9 / double(n);
  }
}

// ---- A million sessions ----
// The page's requests name a session by protocol and 16-bit id, so one pipex
// holds 196,605 at most; a million live in kMillionStacks independent stacks
// of one process (ninet runs up to 16), kMillionPer sessions each, as an
// operator would split them (by LAC, by access network).
constexpr uint32_t kMillionStacks = 6, kMillionPer = 166667;  // 1,000,002 sessions

std::vector<std::unique_ptr<Stack>> million_stacks() {
  std::vector<std::unique_ptr<Stack>> v;
  for (uint32_t i = 0; i < kMillionStacks; i++)
    v.push_back(std::make_unique<Stack>(true));
  return v;
}

// Adds then deletes every session of every stack (each stack under its own
// lock, as its engine would); memory as BM_AddDelete's.
void BM_MillionAddDelete(benchmark::State& st) {
  for (auto _ : st) {
    auto stacks = million_stacks();
    const size_t heap0 = heap_in_use(), rss0 = rss_bytes();
    double add_s = 0, del_s = 0;
    for (auto& s : stacks) {
      std::lock_guard<std::mutex> g(s->ip.mu);
      const double t0 = thread_cpu();
      add_sessions(*s, kMillionPer);
      add_s += thread_cpu() - t0;
    }
    const size_t heap1 = heap_in_use(), rss1 = rss_bytes();
    size_t live = 0;
    for (auto& s : stacks)
      live += s->px->size();
    for (auto& s : stacks) {
      std::lock_guard<std::mutex> g(s->ip.mu);
      const double t0 = thread_cpu();
      delete_sessions(*s, kMillionPer);
      del_s += thread_cpu() - t0;
    }
    const double n = double(kMillionStacks) * kMillionPer;
    st.SetIterationTime(add_s + del_s);
    st.counters["sessions"] = double(live);
    st.counters["add_per_s"] = n / add_s;
    st.counters["del_per_s"] = n / del_s;
    st.counters["heap_per_session"] = (double(heap1) - double(heap0)) / n;
    st.counters["rss_per_session"] = (double(rss1) - double(rss0)) / n;
  }
}

// 64-byte host packets to framed addresses with a million sessions up: each
// batch of 64 to the next stack in turn and each packet to a random session
// of it (spread 1), or every packet to session 1 of stack 0 (spread 0).
void BM_MillionFwd(benchmark::State& st, bool spread) {
  auto stacks = million_stacks();
  std::vector<std::unique_lock<std::mutex>> locks;
  for (auto& s : stacks) {
    locks.emplace_back(s->ip.mu);
    add_sessions(*s, kMillionPer);
  }
  std::vector<uint32_t> order(1 << 20);
  std::mt19937 rng(12345);
  for (auto& o : order)
    o = spread ? uint32_t(rng() % kMillionPer) : 0;
  // Every stack's host medium has the same MAC (TestMedium numbers per stack).
  const Bytes tmpl =
      cat({ether(stacks[0]->host->mac, Mac(kHostMac), 0x0800), inner(host_addr(0), framed(1), 64)});
  size_t sent0 = 0;
  for (auto& s : stacks)
    sent0 += s->eth_m->sent_count;
  tsc_hz();
  Batch batch;
  batch.reserve(64);
  uint64_t k = 0, b = 0;
  const double t0 = thread_cpu();
  for (auto _ : st) {
    Stack& s = *stacks[spread ? b++ % kMillionStacks : 0];
    for (int i = 0; i < 64; i++, k++) {
      batch.push_back(s.pool.copy(tmpl.data(), uint32_t(tmpl.size())));
      uint8_t* p = batch.back()->data();
      const uint32_t a = kFramedBase + order[k & (order.size() - 1)] + 1;
      store16(p + kIpCsum, csum_update32(load16(p + kIpCsum), kFramedBase + 1, a));
      store32(p + kIpDst, a);
    }
    s.ip.input(*s.host, batch);
    batch.clear();
  }
  const double cpu = thread_cpu() - t0;
  size_t sent = 0;
  uint64_t errors = 0;
  for (auto& s : stacks) {
    sent += s->eth_m->sent_count;
    errors += session_errors(*s->px);
  }
  const uint64_t pk = uint64_t(st.iterations()) * 64;
  if (sent - sent0 != pk || errors != 0) st.SkipWithError("frames lost");
  per_packet(st, cpu, pk, 20 + 64);
}

// The idle timer's phases (BM_Idle) over a million sessions in all stacks.
void BM_MillionIdle(benchmark::State& st) {
  for (auto _ : st) {
    auto stacks = million_stacks();
    std::vector<std::unique_lock<std::mutex>> locks;
    for (auto& s : stacks) {
      locks.emplace_back(s->ip.mu);
      add_sessions(*s, kMillionPer, 60);
    }
    Time now = stacks[0]->clock.now();
    auto run_to = [&](Time t) {  // a second at a time, every stack's tick
      const double t0 = thread_cpu();
      while (now < t) {
        now += sec(1);
        for (auto& s : stacks) {
          s->clock.advance(sec(1));
          s->ip.tick();
        }
      }
      return thread_cpu() - t0;
    };
    const Time start = now;
    const double quiet = run_to(start + sec(30));
    for (auto& s : stacks)
      s->px->for_each([&](Session& x) { s->px->active(x, s->clock.now()); });
    const double refile = run_to(start + sec(61));
    const double expire = run_to(start + sec(91));
    size_t closed = 0;
    for (auto& s : stacks)
      closed += s->px->closed_size();
    if (closed != size_t(kMillionStacks) * kMillionPer) st.SkipWithError("not all closed");
    const double reap = run_to(start + sec(122));
    for (auto& s : stacks)
      if (s->px->size() != 0) st.SkipWithError("not all freed");
    const double n = double(kMillionStacks) * kMillionPer;
    st.SetIterationTime(quiet + refile + expire + reap);
    st.counters["refile_ns_per_session"] = refile * 1e9 / n;
    st.counters["expire_ns_per_session"] = expire * 1e9 / n;
    st.counters["reap_ns_per_session"] = reap * 1e9 / n;
  }
}

void register_all() {
  for (size_t payload : {64, 1400}) {
    for (bool in : {true, false}) {
      const std::string dir = in ? "in" : "out";
      benchmark::RegisterBenchmark(("forward/" + dir + "/" + std::to_string(payload)).c_str(),
                                   BM_Forward, in, payload);
      for (int proto : {kL2tp, kPptp, kPppoe})
        for (int mppe : {kNoMppe, kStateless, kStateful})
          benchmark::RegisterBenchmark((std::string("pipex/") + proto_name(proto) + "/" +
                                        mppe_name(mppe) + "/" + dir + "/" + std::to_string(payload))
                                           .c_str(),
                                       BM_Pipex, proto, mppe, in, payload);
    }
    benchmark::RegisterBenchmark(("rc4/" + std::to_string(payload)).c_str(), BM_Rc4, false,
                                 payload);
    benchmark::RegisterBenchmark(("rc4_rekey/" + std::to_string(payload)).c_str(), BM_Rc4, true,
                                 payload);
    for (int mode : {kStateless, kStateful})
      benchmark::RegisterBenchmark(
          (std::string("mppe_encrypt/") + mppe_name(mode) + "/" + std::to_string(payload)).c_str(),
          BM_MppeEncrypt, mode, payload);
  }
  for (uint32_t n : {1000u, 65535u, 100000u, 196605u}) {
    const std::string ns = std::to_string(n);
    for (bool pool : {false, true})
      benchmark::RegisterBenchmark(
          ("scale/add_delete/sessions:" + ns + "/pool_route:" + (pool ? "1" : "0")).c_str(),
          BM_AddDelete, n, pool, int(kNoMppe))
          ->Iterations(1)
          ->UseManualTime()
          ->Unit(benchmark::kMillisecond);
    if (n <= 65535)  // MPPE's OpenSSL contexts: four per session
      benchmark::RegisterBenchmark(("scale/add_delete_mppe/sessions:" + ns).c_str(), BM_AddDelete,
                                   n, false, int(kStateless))
          ->Iterations(1)
          ->UseManualTime()
          ->Unit(benchmark::kMillisecond);
#ifdef NINET_HAVE_DPDK
    benchmark::RegisterBenchmark(("scale/rte_lpm/sessions:" + ns).c_str(), BM_LpmAddDelete, n)
        ->Iterations(1)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
#endif
    for (bool in : {true, false})
      for (bool spread : {false, true})
        benchmark::RegisterBenchmark(("scale/fwd/" + std::string(in ? "in" : "out") +
                                      "/sessions:" + ns + "/spread:" + (spread ? "1" : "0"))
                                         .c_str(),
                                     BM_ScaleFwd, in, n, spread)
            ->Iterations(10000);  // 640,000 packets; the setup (n adds) once per repetition
    benchmark::RegisterBenchmark(("scale/idle/sessions:" + ns).c_str(), BM_Idle, n)
        ->Iterations(1)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
    const char* kinds[] = {"find", "find_v4", "route", "direct", "direct_hot"};
    for (int kind : {kFind, kFindV4, kRoute, kDirect, kDirectHot})
      benchmark::RegisterBenchmark(
          ("scale/lookup/" + std::string(kinds[kind]) + "/sessions:" + ns).c_str(), BM_Find, kind,
          n)
          ->Iterations(10000);
  }
  benchmark::RegisterBenchmark("scale/million/add_delete", BM_MillionAddDelete)
      ->Iterations(1)
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond);
  for (bool spread : {false, true})
    benchmark::RegisterBenchmark(
        (std::string("scale/million/fwd/out/spread:") + (spread ? "1" : "0")).c_str(),
        BM_MillionFwd, spread)
        ->Iterations(10000);
  benchmark::RegisterBenchmark("scale/million/idle", BM_MillionIdle)
      ->Iterations(1)
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond);
  for (int calls : {0, 1000, 10000})
    benchmark::RegisterBenchmark(
        ("scale/add_calls/sessions:10000/calls:" + std::to_string(calls)).c_str(), BM_AddWithCalls,
        10000u, calls)
        ->Iterations(1)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
}

}  // namespace
}  // namespace ninet::pipex

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
#ifdef NINET_HAVE_DPDK
  // As route_benchmark: no hugepages, devices, telemetry or shared files.
  std::string args =
      "pipex_benchmark -l 0 --no-huge --no-pci -m 512 --no-telemetry --no-shconf "
      "--log-level=error";
  std::vector<char*> eal_argv;
  for (char* t = std::strtok(args.data(), " "); t; t = std::strtok(nullptr, " "))
    eal_argv.push_back(t);
  if (rte_eal_init(int(eal_argv.size()), eal_argv.data()) < 0) {
    std::fprintf(stderr, "pipex_benchmark: rte_eal_init: %s\n", rte_strerror(rte_errno));
    return 1;
  }
#else
  std::fprintf(stderr, "pipex_benchmark: built without DPDK: no rte_lpm baseline\n");
#endif
  ninet::pipex::register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
#ifdef NINET_HAVE_DPDK
  rte_eal_cleanup();
#endif
  return 0;
}
