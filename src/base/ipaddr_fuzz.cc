// ipaddr_fuzz — the text parsers of Ipaddr and Mac, and the printers, on
// arbitrary input.
//
// Invariants: an address that parses prints (RFC 5952 / dotted) to text that
// parses back to the same address, and printing is then stable; a v4 text (no
// ':') gives a v4-mapped address; a mask that parses has a prefix length in
// its family and its mask_str parses back to the same mask; a MAC that parses
// prints to 12 hex digits that parse back. The first 16 input bytes, taken as
// an address, also print to text that parses back (and likewise as a mask
// when contiguous).
//
//   sh tests/fuzz/run.sh 60 ipaddr_fuzz        (text: -max_len=128)
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "base/fuzz_check.h"
#include "base/ipaddr.h"

namespace ninet {
namespace {

void check_print(const Ipaddr& a) {
  std::string s = a.str();
  FUZZ_CHECK(s.size() <= 39);
  auto b = Ipaddr::parse(s);
  FUZZ_CHECK(b && *b == a);
  FUZZ_CHECK(b->str() == s);
  FUZZ_CHECK(a.is_v4() == (s.find(':') == std::string::npos));
}

void check_mask_print(const Ipaddr& m, bool v4) {
  int n = m.prefix_len(v4);
  if (n < 0) return;
  FUZZ_CHECK(n <= (v4 ? 32 : 128));
  FUZZ_CHECK(m == (v4 ? Ipaddr::mask_v4(n) : Ipaddr::mask_v6(n)));
  auto back = Ipaddr::parse_mask(m.mask_str(v4), v4);
  FUZZ_CHECK(back && *back == m);
}

void check_text(std::string_view s) {
  if (auto a = Ipaddr::parse(s)) {
    check_print(*a);
    if (s.find(':') == std::string_view::npos) FUZZ_CHECK(a->is_v4());
  }
  for (bool v4 : {true, false}) {
    if (auto m = Ipaddr::parse_mask(s, v4)) {
      FUZZ_CHECK(m->prefix_len(v4) >= 0);
      if (v4) FUZZ_CHECK(m->is_v4_mask());
      check_mask_print(*m, v4);
    }
  }
  if (auto mac = Mac::parse(s)) {
    std::string t = mac->str();
    FUZZ_CHECK(t.size() == 12);
    auto back = Mac::parse(t);
    FUZZ_CHECK(back && *back == *mac);
  }
}

}  // namespace
}  // namespace ninet

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ninet;
  check_text(std::string_view(reinterpret_cast<const char*>(data), size));
  if (size >= Ipaddr::kLen) {
    Ipaddr a(data);
    check_print(a);
    check_mask_print(a, true);
    check_mask_print(a, false);
  }
  return 0;
}
