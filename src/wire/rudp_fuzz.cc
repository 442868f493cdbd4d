// rudp_fuzz — RudpRepr::parse and emit on arbitrary bytes.
//
// Input: a family byte (odd: IPv6), src[16] dst[16] (the first 4 bytes of
// each for IPv4), then the packet. What parses lies within the input and
// its length field and has the fields at their offsets; re-emitting it
// gives the same bytes (but for the checksum of a packet sent without one,
// and the checksum's 0x0000/0xffff spelling). Any header fields and body
// emit a packet that parses back to them, in place or not.
//
//   sh tests/fuzz/run.sh 60 rudp_fuzz
#include <cstdint>
#include <cstring>
#include <vector>

#include "base/endian.h"
#include "base/fuzz_check.h"
#include "wire/rudp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ninet;
  using namespace ninet::wire;
  if (size < 33) return 0;
  bool v6 = data[0] & 1;
  Ipaddr src = v6 ? Ipaddr(data + 1) : Ipaddr::from_v4_bytes(data + 1);
  Ipaddr dst = v6 ? Ipaddr(data + 17) : Ipaddr::from_v4_bytes(data + 17);
  std::span<const uint8_t> in(data + 33, size - 33);

  auto r = RudpRepr::parse(src, dst, in);
  if (r) {
    size_t len = load16(in.data() + rudp::kLength);
    FUZZ_CHECK(len >= rudp::kHeaderLen && len <= in.size());
    FUZZ_CHECK(r->data.data() == in.data() + rudp::kHeaderLen &&
               r->data.size() == len - rudp::kHeaderLen);
    FUZZ_CHECK(r->seq == load32(in.data() + rudp::kSeq) &&
               r->agen == load32(in.data() + rudp::kAgen));
    FUZZ_CHECK(r->checksummed || (src.is_v4() && dst.is_v4() && load16(in.data() + 6) == 0));
    std::vector<uint8_t> out(len);
    r->emit(src, dst, out, r->data);
    FUZZ_CHECK(std::memcmp(out.data(), in.data(), 6) == 0);
    FUZZ_CHECK(std::memcmp(out.data() + 8, in.data() + 8, len - 8) == 0);
    uint16_t ck = load16(in.data() + 6), ock = load16(out.data() + 6);
    FUZZ_CHECK(!r->checksummed || ck == ock || (ck == 0 && ock == 0xffff));
    FUZZ_CHECK(RudpRepr::parse(src, dst, out).ok());
  }
  if (in.size() < rudp::kHeaderLen || in.size() > 65535) return 0;
  RudpRepr w{load16(in.data()),
             load16(in.data() + 2),
             load32(in.data() + 8),
             load32(in.data() + 12),
             load32(in.data() + 16),
             load32(in.data() + 20),
             {},
             true};
  std::vector<uint8_t> out(in.size());
  w.emit(src, dst, out, in.subspan(rudp::kHeaderLen));
  FUZZ_CHECK(load16(out.data() + 6) != 0);
  auto back = RudpRepr::parse(src, dst, out);
  FUZZ_CHECK(back && back->checksummed && back->src_port == w.src_port &&
             back->dst_port == w.dst_port && back->seq == w.seq && back->sgen == w.sgen &&
             back->ack == w.ack && back->agen == w.agen &&
             back->data.size() == in.size() - rudp::kHeaderLen);
  FUZZ_CHECK(std::memcmp(back->data.data(), in.data() + rudp::kHeaderLen,
                         in.size() - rudp::kHeaderLen) == 0);
  std::vector<uint8_t> same(in.begin(), in.end());
  w.emit(src, dst, same, std::span(same).subspan(rudp::kHeaderLen));
  FUZZ_CHECK(same == out);
  return 0;
}
