// esp_benchmark — ESP per cipher/MAC pair (issue 8 point 4), each way:
//   esp/PAIR      1,400-byte inner packets written to an outgoing esp
//                 conversation (padding, IV, encryption, ICV, the IP header,
//                 onto an in-memory medium);
//   esp-in/PAIR   the same packets, made by a second stack, arriving on an
//                 Ethernet medium and read from the incoming conversation's
//                 queue (IP input, SA lookup, anti-replay, ICV check,
//                 decryption, trailer);
// against OpenSSL's EVP doing only the cryptography on the same buffer sizes
// in the same run (evp/ encrypts, evp-in/ decrypts; then HMAC or, for XCBC,
// AES-CBC over the whole packet as a stand-in of the same cost). The ratio
// says what ninet adds around OpenSSL's work.
//
//   build/bench/esp_benchmark --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <deque>
#include <string>
#include <vector>

#include "base/clock.h"
#include "ip/ip.h"
#include "media/testing.h"
#include "proto/esp.h"

namespace ninet {
namespace {

constexpr size_t kInner = 1400;

struct Pair {
  const char* esp;     // ninet's `esp` message
  const char* ah;      // ninet's `ah` message
  const char* cipher;  // OpenSSL's name; nullptr: none
  size_t key, iv, block;
  const char* digest;  // HMAC's; "xcbc": AES-128-CBC over the packet; nullptr: none
};

const Pair kPairs[] = {
    {"esp aes_128_cbc 000102030405060708090a0b0c0d0e0f",
     "ah hmac_sha1_96 0102030405060708090a0b0c0d0e0f1011121314", "AES-128-CBC", 16, 16, 16, "SHA1"},
    {"esp aes_ctr 000102030405060708090a0b0c0d0e0f01020304",
     "ah hmac_sha1_96 0102030405060708090a0b0c0d0e0f1011121314", "AES-128-CTR", 16, 16, 4, "SHA1"},
    {"esp aes_128_cbc 000102030405060708090a0b0c0d0e0f",
     "ah aes_xcbc_mac_96 000102030405060708090a0b0c0d0e0f", "AES-128-CBC", 16, 16, 16, "xcbc"},
    {"esp des3_cbc 0123456789abcdef1122334455667788aabbccddeeff0011",
     "ah hmac_md5_96 0102030405060708090a0b0c0d0e0f10", "DES-EDE3-CBC", 24, 8, 8, "MD5"},
    {"esp null", "ah hmac_sha1_96 0102030405060708090a0b0c0d0e0f1011121314", nullptr, 0, 0, 4,
     "SHA1"},
    {"esp aes_128_cbc 000102030405060708090a0b0c0d0e0f", "ah null", "AES-128-CBC", 16, 16, 16,
     nullptr},
};

size_t padded(size_t block) {
  return kInner + (block - (kInner + 2) % block) % block + 2;
}

void BM_EspWrite(benchmark::State& st, const Pair& p) {
  ManualClock clock;
  Pool pool;
  std::vector<TestMedium*> media;
  Ip ip(clock, pool, TestMedium::factory(&media));
  std::unique_lock<std::mutex> l(ip.mu);
  ip.add_proto(make_esp(ip));
  Ifc* f = *ip.ifc_clone();
  if (!ip.ifc_ctl(*f, "bind ether x") || !ip.ifc_ctl(*f, "add 10.0.0.1 255.255.255.0") ||
      !ip.arp_ctl("add 10.0.0.2 525400000002")) {
    st.SkipWithError("setup");
    return;
  }
  media[0]->keep_sent = false;
  Proto* esp = ip.proto("esp");
  Conv* c = *esp->clone("bench");
  for (const char* m : {"connect 10.0.0.2!4660", p.esp, p.ah})
    if (!esp->ctl_message(*c, m, l, nullptr)) {
      st.SkipWithError(m);
      return;
    }
  std::vector<uint8_t> pkt(kInner, 0x5a);
  pkt[0] = 0x45;
  for (auto _ : st) {
    if (!esp->write_data(*c, pkt, l, nullptr)) st.SkipWithError("write");
    ip.flush();
  }
  st.SetBytesProcessed(int64_t(st.iterations()) * int64_t(kInner));
}

// One stack on an Ethernet TestMedium at `addr`, with ESP and a static ARP
// entry for `peer` (the other stack's MAC: each has one medium, ...:01).
struct EspHost {
  ManualClock clock;
  Pool pool;
  std::vector<TestMedium*> media;
  Ip ip{clock, pool, TestMedium::factory(&media)};
  std::unique_lock<std::mutex> l{ip.mu};
  Proto* esp = nullptr;
  bool ok = false;

  EspHost(const char* addr, const char* peer) {
    ip.add_proto(make_esp(ip));
    Ifc* f = *ip.ifc_clone();
    ok = ip.ifc_ctl(*f, "bind ether x") &&
         ip.ifc_ctl(*f, std::string("add ") + addr + " 255.255.255.0") &&
         ip.arp_ctl(std::string("add ") + peer + " 525400000001");
    esp = ip.proto("esp");
  }
  Conv* conv(const std::vector<std::string>& msgs) {
    Conv* c = *esp->clone("bench");
    for (const auto& m : msgs)
      if (!esp->ctl_message(*c, m, l, nullptr)) return nullptr;
    return c;
  }
};

void BM_EspRead(benchmark::State& st, const Pair& p) {
  EspHost rx("10.0.0.2", "10.0.0.1"), tx("10.0.0.1", "10.0.0.2");
  Conv* in = rx.ok ? rx.conv({"connect 10.0.0.1!*", p.esp, p.ah}) : nullptr;
  if (!in || !tx.ok) {
    st.SkipWithError("setup");
    return;
  }
  const std::string local = rx.esp->local(*in);
  const std::string spi = local.substr(local.find('!') + 1, local.find('\n') - local.find('!') - 1);
  Conv* out = tx.conv({"connect 10.0.0.2!" + spi, p.esp, p.ah});
  if (!out) {
    st.SkipWithError("setup");
    return;
  }
  std::vector<uint8_t> pkt(kInner, 0x5a);
  pkt[0] = 0x45;
  // Frames made 4,096 at a time, outside the timing: sequence numbers rise,
  // so the anti-replay window takes every one.
  std::deque<BlockPtr>& wire = tx.media[0]->sent;
  TestMedium& nic = *rx.media[0];
  auto refill = [&] {
    for (int i = 0; i < 4096; i++)
      if (!tx.esp->write_data(*out, pkt, tx.l, nullptr)) return false;
    tx.ip.flush();
    return true;
  };
  std::vector<uint8_t> buf(2048);
  tx.ip.flush();
  wire.clear();  // the bind's link-local announcements: not ESP
  size_t bad = 0;
  for (auto _ : st) {
    if (wire.empty()) {
      st.PauseTiming();
      bool ok = refill();
      st.ResumeTiming();
      if (!ok) {
        st.SkipWithError("write");
        break;
      }
    }
    nic.in.push_back(std::move(wire.front()));
    wire.pop_front();
    rx.ip.poll();
    // As a reader of `data` takes it (the copy out included).
    if (in->rq.empty() || *in->read(rx.l, buf, nullptr) != kInner) bad++;
  }
  if (bad) st.SkipWithError("a packet did not arrive whole");
  st.SetBytesProcessed(int64_t(st.iterations()) * int64_t(kInner));
}

// OpenSSL alone: the cipher over the padded payload, the MAC over header,
// IV and ciphertext, with contexts kept as ninet keeps them. `decrypt`: the
// receiver's direction (CBC decrypts in parallel, faster than it encrypts).
void BM_Evp(benchmark::State& st, const Pair& p, bool decrypt) {
  const size_t plain = padded(p.block);
  std::vector<uint8_t> buf(8 + p.iv + plain + 20, 0x5a), key(32, 7), iv(16, 9);
  EVP_CIPHER_CTX* cctx = EVP_CIPHER_CTX_new();
  EVP_CIPHER* cipher = p.cipher ? EVP_CIPHER_fetch(nullptr, p.cipher, nullptr) : nullptr;
  if (cipher) {
    EVP_CipherInit_ex2(cctx, cipher, key.data(), iv.data(), decrypt ? 0 : 1, nullptr);
    EVP_CIPHER_CTX_set_padding(cctx, 0);
  }
  EVP_CIPHER_CTX* xctx = EVP_CIPHER_CTX_new();
  EVP_CIPHER* aes = EVP_CIPHER_fetch(nullptr, "AES-128-CBC", nullptr);
  EVP_CipherInit_ex2(xctx, aes, key.data(), iv.data(), 1, nullptr);
  EVP_CIPHER_CTX_set_padding(xctx, 0);
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* mctx = EVP_MAC_CTX_new(mac);
  const bool hmac = p.digest && std::string(p.digest) != "xcbc";
  if (hmac) {
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string("digest", const_cast<char*>(p.digest), 0),
        OSSL_PARAM_construct_end()};
    EVP_MAC_init(mctx, key.data(), 20, params);
  }
  std::vector<uint8_t> scratch(buf.size());
  for (auto _ : st) {
    int n = 0;
    uint8_t* body = buf.data() + 8 + p.iv;
    if (cipher) {
      EVP_CipherInit_ex2(cctx, nullptr, nullptr, iv.data(), -1, nullptr);
      EVP_CipherUpdate(cctx, body, &n, body, int(plain));
    }
    const size_t authed = 8 + p.iv + plain;
    if (hmac) {
      uint8_t out[EVP_MAX_MD_SIZE];
      size_t m = 0;
      EVP_MAC_init(mctx, nullptr, 0, nullptr);
      EVP_MAC_update(mctx, buf.data(), authed);
      EVP_MAC_final(mctx, out, &m, sizeof out);
      benchmark::DoNotOptimize(out);
    } else if (p.digest) {
      EVP_CipherInit_ex2(xctx, nullptr, nullptr, iv.data(), -1, nullptr);
      EVP_CipherUpdate(xctx, scratch.data(), &n, buf.data(), int(authed / 16 * 16));
    }
    benchmark::DoNotOptimize(buf.data());
  }
  st.SetBytesProcessed(int64_t(st.iterations()) * int64_t(kInner));
  EVP_MAC_CTX_free(mctx);
  EVP_MAC_free(mac);
  EVP_CIPHER_CTX_free(cctx);
  EVP_CIPHER_CTX_free(xctx);
  EVP_CIPHER_free(cipher);
  EVP_CIPHER_free(aes);
}

void register_all() {
  for (const Pair& p : kPairs) {
    std::string name = std::string(p.esp).substr(4);
    name = name.substr(0, name.find(' ')) + "+" + std::string(p.ah).substr(3);
    name = name.substr(0, name.find(' '));
    benchmark::RegisterBenchmark(("esp/" + name).c_str(), BM_EspWrite, p);
    benchmark::RegisterBenchmark(("evp/" + name).c_str(), BM_Evp, p, false);
    benchmark::RegisterBenchmark(("esp-in/" + name).c_str(), BM_EspRead, p);
    benchmark::RegisterBenchmark(("evp-in/" + name).c_str(), BM_Evp, p, true);
  }
}

}  // namespace
}  // namespace ninet

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  ninet::register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
