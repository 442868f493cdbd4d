// udp_fuzz — UdpRepr::parse and emit on arbitrary bytes.
//
// Input: a family byte (odd: IPv6), src[16] dst[16] (the first 4 bytes of
// each for IPv4), then the datagram. What parses lies within the input and
// its length field; re-emitting it gives the same bytes (but for the
// checksum of a datagram sent without one, and the checksum's 0x0000/0xffff
// spelling). Independently of the checksum, any ports and body emit a
// datagram that parses back to them, in place or not.
//
//   sh tests/fuzz/run.sh 60 udp_fuzz
#include <cstdint>
#include <cstring>
#include <vector>

#include "base/endian.h"
#include "base/fuzz_check.h"
#include "wire/udp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ninet;
  using namespace ninet::wire;
  if (size < 33) return 0;
  bool v6 = data[0] & 1;
  Ipaddr src = v6 ? Ipaddr(data + 1) : Ipaddr::from_v4_bytes(data + 1);
  Ipaddr dst = v6 ? Ipaddr(data + 17) : Ipaddr::from_v4_bytes(data + 17);
  std::span<const uint8_t> in(data + 33, size - 33);

  auto u = UdpRepr::parse(src, dst, in);
  if (u) {
    size_t len = load16(in.data() + udp::kLength);
    FUZZ_CHECK(len >= udp::kHeaderLen && len <= in.size());
    FUZZ_CHECK(u->data.data() == in.data() + 8 && u->data.size() == len - 8);
    FUZZ_CHECK(u->src_port == load16(in.data()) && u->dst_port == load16(in.data() + 2));
    FUZZ_CHECK(u->checksummed || (src.is_v4() && dst.is_v4() && load16(in.data() + 6) == 0));
    std::vector<uint8_t> out(len);
    u->emit(src, dst, out, u->data);
    FUZZ_CHECK(std::memcmp(out.data(), in.data(), 6) == 0);
    FUZZ_CHECK(std::memcmp(out.data() + 8, in.data() + 8, len - 8) == 0);
    uint16_t ck = load16(in.data() + 6), ock = load16(out.data() + 6);
    FUZZ_CHECK(!u->checksummed || ck == ock || (ck == 0 && ock == 0xffff));
    FUZZ_CHECK(UdpRepr::parse(src, dst, out).ok());
  }
  if (in.size() < udp::kHeaderLen || in.size() > 65535) return 0;
  UdpRepr r{load16(in.data()), load16(in.data() + 2), {}, true};
  std::vector<uint8_t> out(in.size());
  r.emit(src, dst, out, in.subspan(udp::kHeaderLen));
  FUZZ_CHECK(load16(out.data() + 6) != 0);
  auto back = UdpRepr::parse(src, dst, out);
  FUZZ_CHECK(back && back->checksummed && back->src_port == r.src_port &&
             back->dst_port == r.dst_port && back->data.size() == in.size() - 8);
  FUZZ_CHECK(std::memcmp(back->data.data(), in.data() + 8, in.size() - 8) == 0);
  std::vector<uint8_t> same(in.begin(), in.end());
  r.emit(src, dst, same, std::span(same).subspan(udp::kHeaderLen));
  FUZZ_CHECK(same == out);
  return 0;
}
