// pppoe_fuzz — PppoeRepr::parse, emit and the tag iterator on arbitrary
// bytes.
//
// Input: the ethertype (2 bytes), then the PPPoE packet. What parses is one
// of the two stages with VER/TYPE 1, code 0 exactly for the session stage,
// and a payload of LENGTH bytes within the input; emitting the Repr in front
// of the payload gives back the same bytes (every header bit is a field).
// A discovery payload's tags check() and lie within it; written out again
// with emit_pppoe_tag they iterate the same. On any bytes at all, the tag
// iterator stays within them and yields tags only before the one check()
// rejects.
//
//   sh tests/fuzz/run.sh 60 pppoe_fuzz
#include <cstdint>
#include <cstring>
#include <vector>

#include "base/endian.h"
#include "base/fuzz_check.h"
#include "wire/ether.h"
#include "wire/pppoe.h"

namespace ninet::wire {
namespace {

// Iterates the tags of p: each within p, in order, not overlapping.
size_t walk(std::span<const uint8_t> p) {
  size_t n = 0;
  const uint8_t* next = p.data();
  for (PppoeTag t : PppoeTags(p)) {
    FUZZ_CHECK(t.type != pppoe::kEndOfList);
    FUZZ_CHECK(t.value.data() == next + pppoe::kTagHeaderLen);
    FUZZ_CHECK(t.value.data() + t.value.size() <= p.data() + p.size());
    FUZZ_CHECK(load16(next) == t.type && load16(next + 2) == t.value.size());
    next = t.value.data() + t.value.size();
    n++;
  }
  return n;
}

void check_tags(std::span<const uint8_t> payload) {
  size_t n = walk(payload);
  if (!PppoeTags(payload).check()) return;
  // Written out again, the same tags in the same order.
  std::vector<uint8_t> out(payload.size());
  size_t at = 0;
  for (PppoeTag t : PppoeTags(payload))
    at += emit_pppoe_tag(out.data() + at, t.type, t.value);
  FUZZ_CHECK(at <= payload.size());
  out.resize(at);
  FUZZ_CHECK(PppoeTags(out).check() && walk(out) == n);
  auto a = PppoeTags(payload).begin();
  for (PppoeTag t : PppoeTags(out)) {
    FUZZ_CHECK((*a).type == t.type && (*a).value.size() == t.value.size());
    FUZZ_CHECK(std::memcmp((*a).value.data(), t.value.data(), t.value.size()) == 0);
    ++a;
  }
}

void check_parse(uint16_t type, std::span<const uint8_t> in) {
  auto r = PppoeRepr::parse(type, in);
  if (!r) return;
  FUZZ_CHECK(type == ethertype::kPppoeDiscovery || type == ethertype::kPppoeSession);
  FUZZ_CHECK(r->session() == (type == ethertype::kPppoeSession));
  FUZZ_CHECK(in[0] == pppoe::kVerTypeValue);
  FUZZ_CHECK(r->payload.data() == in.data() + pppoe::kHeaderLen);
  FUZZ_CHECK(r->payload.size() == load16(in.data() + pppoe::kLength));
  size_t len = pppoe::kHeaderLen + r->payload.size();
  FUZZ_CHECK(len <= in.size());
  if (!r->session()) FUZZ_CHECK(r->tags().check());
  std::vector<uint8_t> out(len);
  std::memcpy(out.data() + pppoe::kHeaderLen, r->payload.data(), r->payload.size());
  r->emit(out);
  FUZZ_CHECK(std::memcmp(out.data(), in.data(), len) == 0);
  auto back = PppoeRepr::parse(type, out);
  FUZZ_CHECK(back && back->code == r->code && back->session_id == r->session_id &&
             back->payload.size() == r->payload.size());
}

}  // namespace
}  // namespace ninet::wire

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ninet;
  if (size < 2) return 0;
  uint16_t type = load16(data);
  std::span<const uint8_t> in(data + 2, size - 2);
  wire::check_parse(type, in);
  wire::check_tags(in);
  if (in.size() > wire::pppoe::kHeaderLen) wire::check_tags(in.subspan(wire::pppoe::kHeaderLen));
  return 0;
}
