// ipmux_fuzz — ipmux's filter grammar and comparison tree on arbitrary text
// and packets.
//
// Input: filter texts, one per line, up to an empty line; then packets, each
// a length byte and that many bytes (an IPv4 header length is taken from the
// first byte when it fits, else 20; the interface has 10.0.0.1 and
// 10.0.1.1). Every filter either parses, and then its canonical text parses
// back to the same relations and prints the same, or fails with "bad ipmux
// filter". The parsed filters go into one tree; for every packet the tree
// chooses what the brute-force reference of ipmux_testing.h chooses. Then
// the filters leave in an order the input picks, with the same check after
// each, and the tree is left with its root alone.
//
//   sh tests/fuzz/run.sh 60 ipmux_fuzz
#include <algorithm>
#include <cstdint>
#include <list>
#include <string_view>
#include <vector>

#include "base/fuzz_check.h"
#include "proto/ipmux_filter.h"
#include "proto/ipmux_testing.h"

namespace ninet::ipmux {
namespace {

void check(const Tree& tree, const std::list<Filter>& live,
           const std::vector<std::vector<uint8_t>>& packets) {
  static const Ipaddr kIfc[] = {Ipaddr::v4(10, 0, 0, 1), Ipaddr::v4(10, 0, 1, 1)};
  std::vector<const Filter*> ptrs;
  for (const Filter& f : live)
    ptrs.push_back(&f);
  FUZZ_CHECK(tree.filters() == live.size());
  for (const auto& bytes : packets) {
    size_t hl = bytes.empty() ? 20 : size_t(bytes[0] & 15) * 4;
    if (hl < 20 || hl > bytes.size()) hl = std::min<size_t>(20, bytes.size());
    Packet p{bytes, hl, kIfc};
    FUZZ_CHECK(tree.match(p) == testing::reference_choice(ptrs, p));
  }
}

}  // namespace
}  // namespace ninet::ipmux

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ninet::ipmux;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::list<Filter> live;
  Tree tree;
  uint64_t seq = 0;
  while (!in.empty()) {
    size_t nl = in.find('\n');
    std::string_view line = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
    if (line.empty()) break;
    auto r = parse_filter(line);
    if (!r) {
      FUZZ_CHECK(r.error().code() == ninet::Err::BadFilter);
      continue;
    }
    std::string text = filter_text(*r);
    auto again = parse_filter(text);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(*again == *r);
    FUZZ_CHECK(filter_text(*again) == text);
    if (live.size() < 64) {
      live.push_back({std::move(*r), ++seq, int(seq)});
      tree.add(live.back());
    }
  }
  std::vector<std::vector<uint8_t>> packets;
  while (!in.empty() && packets.size() < 64) {
    size_t n = std::min<size_t>(uint8_t(in[0]), in.size() - 1);
    packets.emplace_back(in.begin() + 1, in.begin() + 1 + long(n));
    in.remove_prefix(1 + n);
  }
  check(tree, live, packets);
  size_t pick = packets.empty() || packets[0].empty() ? 0 : packets[0][0];
  while (!live.empty()) {
    auto it = std::next(live.begin(), long(pick++ % live.size()));
    tree.remove(*it);
    live.erase(it);
    check(tree, live, packets);
  }
  FUZZ_CHECK(tree.empty() && tree.nodes() == 1);
  return 0;
}
