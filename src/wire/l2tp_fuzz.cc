// l2tp_fuzz — L2tpRepr::parse and emit on arbitrary bytes (a UDP payload).
//
// A message that parses has version 2; a control message has L and S and
// no O; the payload starts at header_len() and ends at Length (or the end of
// the input). Emitting the Repr in front of the payload gives back the same
// bytes but for the reserved flag bits and the offset pad (zeros), and
// parses to the same Repr. Independently, a header of any flags and fields
// (a control one always with L and S, without O) emits a message that
// parses back to it.
//
//   sh tests/fuzz/run.sh 60 l2tp_fuzz
#include <cstdint>
#include <cstring>
#include <vector>

#include "base/endian.h"
#include "base/fuzz_check.h"
#include "wire/l2tp.h"

namespace ninet::wire {
namespace {

bool same(const L2tpRepr& a, const L2tpRepr& b) {
  return a.control == b.control && a.has_length == b.has_length && a.has_seq == b.has_seq &&
         a.priority == b.priority && a.offset == b.offset && a.tunnel_id == b.tunnel_id &&
         a.session_id == b.session_id && (!a.has_seq || (a.ns == b.ns && a.nr == b.nr)) &&
         a.payload.size() == b.payload.size() &&
         std::memcmp(a.payload.data(), b.payload.data(), a.payload.size()) == 0;
}

// Emits r in front of its payload and checks that it parses back the same.
std::vector<uint8_t> round_trip(const L2tpRepr& r) {
  size_t hl = r.header_len();
  std::vector<uint8_t> out(hl + r.payload.size());
  if (!r.payload.empty()) std::memcpy(out.data() + hl, r.payload.data(), r.payload.size());
  r.emit(out);
  auto back = L2tpRepr::parse(out);
  FUZZ_CHECK(back && same(*back, r) && back->header_len() == hl);
  return out;
}

void check_parse(std::span<const uint8_t> in) {
  auto m = L2tpRepr::parse(in);
  if (!m) return;
  uint16_t flags = load16(in.data());
  FUZZ_CHECK((flags & l2tp::kVersionMask) == l2tp::kVersion);
  FUZZ_CHECK(!m->control || (m->has_length && m->has_seq && !m->offset));
  size_t hl = m->header_len();
  FUZZ_CHECK(m->payload.data() == in.data() + hl);
  size_t end = m->has_length ? load16(in.data() + 2) : in.size();
  FUZZ_CHECK(end <= in.size() && hl + m->payload.size() == end);
  std::vector<uint8_t> out = round_trip(*m);
  // The same bytes, but for the reserved bits and the offset pad.
  uint16_t known = l2tp::kType | l2tp::kLength | l2tp::kSequence | l2tp::kOffset | l2tp::kPriority |
                   l2tp::kVersionMask;
  FUZZ_CHECK(load16(out.data()) == (flags & known));
  size_t fixed = hl - m->offset.value_or(0);
  FUZZ_CHECK(std::memcmp(out.data() + 2, in.data() + 2, fixed - 2) == 0);
  for (size_t i = fixed; i < hl; i++)
    FUZZ_CHECK(out[i] == 0);
}

void check_emit(std::span<const uint8_t> in) {
  if (in.size() < 12) return;
  L2tpRepr r;
  uint8_t bits = in[0];
  r.control = bits & 1;
  r.has_length = r.control || (bits & 2);
  r.has_seq = r.control || (bits & 4);
  r.priority = bits & 8;
  if (!r.control && (bits & 16)) r.offset = uint16_t(in[1] & 0x3f);
  r.tunnel_id = load16(in.data() + 2);
  r.session_id = load16(in.data() + 4);
  r.ns = load16(in.data() + 6);
  r.nr = load16(in.data() + 8);
  r.payload = in.subspan(10);
  if (r.header_len() + r.payload.size() > 65535) return;
  round_trip(r);
}

}  // namespace
}  // namespace ninet::wire

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ninet::wire::check_parse({data, size});
  ninet::wire::check_emit({data, size});
  return 0;
}
