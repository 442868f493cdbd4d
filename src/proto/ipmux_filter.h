// ipmux_filter.h — ipmux's filters (ip(3) "IP packet filter"): the grammar
// of a `connect` message, one relation's test on a packet, the page's order
// of preference between two filters, and the comparison tree that merges the
// filters of every conversation and picks, for a packet, the one filter the
// page's rules prefer.
//
//   auto rels = ipmux::parse_filter("proto=11;data[2:3]=0035;src=10.0.0.0&255.0.0.0");
//   ipmux::Filter f{*rels, /*seq=*/1, /*conv=*/0};
//   ipmux::Tree tree;
//   tree.add(f);
//   const ipmux::Filter* who = tree.match(ipmux::Packet{ip4_bytes, hl, ifc_addrs});
//
// Grammar (ip(3), NOTES.md): relations separated by `;` without spaces, each
// `name=expr` where name is proto, data[n:m] (bytes n through m after the IP
// header), iph[n:m] (bytes n through m of the IP header; m < 60), ifc, src or
// dst; `[n]` is `[n:n]`, n and m decimal, at most 16 bytes. expr is
// `value|value|...&mask` (the list and the mask optional). Values and masks of
// proto, data and iph are hex bytes, two digits each, as many bytes as the
// relation compares ("data[0:1]=0035"); those of ifc, src and dst are dotted
// IPv4 addresses and masks. ifc matches when any IPv4 address of the
// arriving interface does (Plan 9 looks at its first address only).
//
// Masks: both the packet's bytes and the values are ANDed with the mask, so
// `ifc=135.104.9.2&255.255.255.0` (the example in Plan 9's ipmux.c) means
// "an interface on 135.104.9.0/24"; Plan 9 masks only the packet's bytes, and
// that example never matches there.
//
// IPv6: filters match IPv4 packets only (the page's offsets, and the
// dotted addresses of ifc/src/dst, are IPv4's, as Plan 9's code is); an IPv6
// address in a filter is refused, and IPv6 packets go on to their protocols.
//
// Preference (ip(3)): "1) protocol > data > source > destination >
// interface, 2) lower data offsets > higher data offsets, 3) longer matches >
// shorter matches, 4) older > younger". A relation's rank is (field, offset,
// length): fields in the order proto, data, iph, src, dst, ifc (iph is not on
// the page; it sits after data, where Plan 9's enum has it), then the lower
// offset, then the longer length. A filter's relations are kept sorted by
// rank; two filters compare rank by rank, and where one filter has a
// relation and the other has none left, the one that tests more (the longer
// match) is preferred; equal ranks all along: the older. Masks and values do
// not enter the order. Plan 9's tree gives the deepest match on its path,
// which can prefer a src filter to a proto one; ninet follows the page.
//
// The tree (Plan 9 merges its filters the same way, but with yes/no chains):
// filters whose relations start with the same tests share the nodes of those
// tests. A node's children are grouped by what they compare (field, offset,
// length, mask); a group holds a hash from the masked bytes to the children
// whose value lists hold them, so one lookup per group finds the children a
// packet matches, however many values there are. Groups are kept in rank
// order; a search tries groups of the best rank first (all of that rank, the
// winner by the rules above) and stops at the first rank that yields a
// match; only if none does do the filters that end at the node (the oldest)
// win. The cost per packet is one hash lookup per group on the path, not one
// test per filter: bench/ipmux_benchmark.cc, BENCHMARKS.md section 10.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/error.h"
#include "base/ipaddr.h"

namespace ninet::ipmux {

// In the order of the page's rule 1.
enum class Field : uint8_t { kProto, kData, kIph, kSrc, kDst, kIfc };

constexpr size_t kMaxLen = 16;        // bytes one relation compares
constexpr size_t kMaxRelations = 16;  // per filter
constexpr size_t kMaxValues = 32;     // per `|` list
constexpr size_t kMaxIphEnd = 59;     // iph[n:m]: m within the longest IPv4 header

using Bytes = std::array<uint8_t, kMaxLen>;  // zero past the relation's length

struct BytesHash {
  size_t operator()(const Bytes& b) const;
};

struct Relation {
  Field field = Field::kProto;
  uint16_t off = 0;  // proto/src/dst: in the header; data: after it; iph: in it; ifc: 0
  uint8_t len = 1;
  bool masked = false;        // a mask was given (for printing)
  Bytes mask{};               // ones over len when none was given
  std::vector<Bytes> values;  // ANDed with mask, sorted, no duplicates

  // The same bytes under the same mask (what a tree group compares).
  bool same_test(const Relation& o) const {
    return field == o.field && off == o.off && len == o.len && mask == o.mask;
  }
  bool operator==(const Relation&) const = default;
};

// <0: a is preferred by rules 1-3, >0: b is, 0: same rank.
int rank_cmp(const Relation& a, const Relation& b);

// The relations of a `connect` message's argument, sorted by rank (equal
// ranks in the order written). Err::BadFilter with what is wrong.
Result<std::vector<Relation>> parse_filter(std::string_view text);
// The canonical text of a filter (sorted, lists and masks as parsed): it
// parses back to the same relations.
std::string filter_text(const std::vector<Relation>& rels);

// What a relation looks at: an IPv4 packet from its header, and the arriving
// interface's IPv4 addresses.
struct Packet {
  std::span<const uint8_t> ip;  // header at 0, to the end of the packet
  size_t hl = 20;               // header length (IHL * 4), <= ip.size()
  std::span<const Ipaddr> ifc_addrs;

  // The bytes a relation of (field, off, len) compares, ANDed with mask, for
  // the i-th interface address (ifc) or i == 0 (others); false if the packet
  // has no such bytes (too short, or i past the addresses).
  bool extract(Field field, uint16_t off, uint8_t len, const Bytes& mask, size_t i,
               Bytes& out) const;
};

// True if the packet matches r (for ifc: any of the interface's addresses).
bool matches(const Relation& r, const Packet& p);

struct Filter {
  std::vector<Relation> rels;  // sorted by rank
  uint64_t seq = 0;            // age: lower is older
  int conv = -1;               // the conversation it belongs to
};

// True if every relation of f matches.
bool matches(const Filter& f, const Packet& p);
// True if a is preferred to b (rules 1-3 rank by rank, the longer match,
// then rule 4).
bool preferred(const Filter& a, const Filter& b);

class Tree {
 public:
  Tree();
  ~Tree();
  Tree(const Tree&) = delete;
  Tree& operator=(const Tree&) = delete;

  // f (whose relations are sorted, as parse_filter leaves them) joins the
  // tree; the tree keeps a pointer to it until remove(f).
  void add(const Filter& f);
  void remove(const Filter& f);
  // The filter the page's rules prefer among those that match, or nullptr.
  const Filter* match(const Packet& p) const;
  bool empty() const;
  size_t filters() const { return filters_; }
  size_t nodes() const { return nodes_; }

 private:
  struct Node;
  struct Group;
  const Filter* search(const Node& n, const Packet& p) const;
  bool remove(Node& n, const Filter& f, size_t depth);
  std::unique_ptr<Node> root_;
  size_t filters_ = 0, nodes_ = 1;
};

}  // namespace ninet::ipmux
