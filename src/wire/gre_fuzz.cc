// gre_fuzz — GreRepr::parse and emit on arbitrary bytes (an IP payload).
//
// A packet that parses is version 0 or 1 without routing; version 1 has K,
// no C, protocol 0x880b and a payload of exactly Payload Length bytes;
// version 0's payload is the rest of the input, and its checksum, if
// present, verifies. Emitting the Repr in front of the payload parses to
// the same Repr, and gives the same bytes after the flags word (but for a
// version 0 checksum, whose Reserved1 emit zeroes). Independently, any
// version 0 or 1 header with any optional fields emits a packet that parses
// back to it.
//
//   sh tests/fuzz/run.sh 60 gre_fuzz
#include <cstdint>
#include <cstring>
#include <vector>

#include "base/endian.h"
#include "base/fuzz_check.h"
#include "wire/gre.h"

namespace ninet::wire {
namespace {

bool same(const GreRepr& a, const GreRepr& b) {
  return a.version == b.version && a.protocol == b.protocol && a.checksum == b.checksum &&
         a.key == b.key && a.seq == b.seq && a.ack == b.ack && a.call_id == b.call_id &&
         a.payload.size() == b.payload.size() &&
         std::memcmp(a.payload.data(), b.payload.data(), a.payload.size()) == 0;
}

std::vector<uint8_t> round_trip(const GreRepr& r) {
  size_t hl = r.header_len();
  std::vector<uint8_t> out(hl + r.payload.size());
  if (!r.payload.empty()) std::memcpy(out.data() + hl, r.payload.data(), r.payload.size());
  r.emit(out);
  auto back = GreRepr::parse(out);
  FUZZ_CHECK(back && same(*back, r) && back->header_len() == hl);
  return out;
}

void check_parse(std::span<const uint8_t> in) {
  auto g = GreRepr::parse(in);
  if (!g) return;
  uint16_t flags = load16(in.data());
  FUZZ_CHECK(g->version <= gre::kPptpVersion && !(flags & gre::kRouting));
  size_t hl = g->header_len();
  FUZZ_CHECK(g->payload.data() == in.data() + hl);
  if (g->version == gre::kPptpVersion) {
    FUZZ_CHECK(g->protocol == gre::kPptpProtocol && !g->checksum && !g->key);
    FUZZ_CHECK(g->payload.size() == load16(in.data() + 4) && hl + g->payload.size() <= in.size());
    FUZZ_CHECK(bool(g->ack) == bool(flags & gre::kAck));
  } else {
    FUZZ_CHECK(hl + g->payload.size() == in.size() && !g->ack);
  }
  std::vector<uint8_t> out = round_trip(*g);
  if (!g->checksum) FUZZ_CHECK(std::memcmp(out.data() + 2, in.data() + 2, hl - 2) == 0);
}

void check_emit(std::span<const uint8_t> in) {
  if (in.size() < 16) return;
  uint8_t bits = in[0];
  GreRepr r;
  if (bits & 1) {
    r = GreRepr::pptp(load16(in.data() + 2));
    if (bits & 2) r.ack = load32(in.data() + 4);
  } else {
    r.protocol = load16(in.data() + 2);
    r.checksum = bits & 2;
    if (bits & 4) r.key = load32(in.data() + 4);
  }
  if (bits & 8) r.seq = load32(in.data() + 8);
  r.payload = in.subspan(12);
  if (r.payload.size() > 65535) return;
  round_trip(r);
}

}  // namespace
}  // namespace ninet::wire

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ninet::wire::check_parse({data, size});
  ninet::wire::check_emit({data, size});
  return 0;
}
