// Tests of ipmux (ipmux_filter.cc, ipmux.cc): the filter grammar and its
// errors, each relation, masks and `|` lists, the page's preference rules
// one by one, the tree against a brute-force reference on random filters and
// packets, and the protocol directory: connect, reads (interface address,
// then the whole packet), writes routed and sent, close removing the filter.
// The fixture is icmp's (icmp_testing.h): a pkt interface with 10.0.0.1 and
// 10.0.0.2/24 whose packets the test writes and reads.
#include "proto/ipmux.h"

#include <gtest/gtest.h>

#include <deque>
#include <list>

#include "ip/hooks.h"
#include "proto/icmp_testing.h"
#include "proto/ipmux_filter.h"
#include "proto/ipmux_testing.h"

namespace ninet::icmptest {
namespace {

using Bytes = std::vector<uint8_t>;
using ipmux::Field;

// ---- Grammar ----

std::string canon(std::string_view text) {
  auto r = ipmux::parse_filter(text);
  return r ? ipmux::filter_text(*r) : "error: " + r.error().text();
}

TEST(IpmuxGrammar, ParsesEveryRelationAndPrintsItCanonically) {
  auto r = ipmux::parse_filter(
      "ifc=10.0.0.1;dst=10.0.0.2;src=10.0.0.3;iph[1:1]=10;data[2:3]=0035;proto=11");
  ASSERT_TRUE(r.ok()) << r.error().text();
  ASSERT_EQ(r->size(), 6u);
  // Sorted by rank: the page's rule 1 (iph after data).
  EXPECT_EQ((*r)[0].field, Field::kProto);
  EXPECT_EQ((*r)[0].off, 9);
  EXPECT_EQ((*r)[1].field, Field::kData);
  EXPECT_EQ((*r)[1].off, 2);
  EXPECT_EQ((*r)[1].len, 2);
  EXPECT_EQ((*r)[2].field, Field::kIph);
  EXPECT_EQ((*r)[3].field, Field::kSrc);
  EXPECT_EQ((*r)[4].field, Field::kDst);
  EXPECT_EQ((*r)[5].field, Field::kIfc);
  EXPECT_EQ(ipmux::filter_text(*r),
            "proto=11;data[2:3]=0035;iph[1:1]=10;src=10.0.0.3;dst=10.0.0.2;ifc=10.0.0.1");
}

TEST(IpmuxGrammar, ListsMasksAndShortRanges) {
  EXPECT_EQ(canon("proto=11|06|11"), "proto=06|11") << "sorted, duplicates gone";
  EXPECT_EQ(canon("data[0]=AB"), "data[0:0]=ab");
  EXPECT_EQ(canon("data[0:1]=1234|ffff&f0f0"), "data[0:1]=1030|f0f0&f0f0")
      << "values are ANDed with the mask too";
  EXPECT_EQ(canon("ifc=135.104.9.2&255.255.255.0"), "ifc=135.104.9.0&255.255.255.0");
  EXPECT_EQ(canon("src=10.0.0.1|10.0.0.2;data[4:5]=0001;data[0:3]=00000000"),
            "data[0:3]=00000000;data[4:5]=0001;src=10.0.0.1|10.0.0.2")
      << "rule 2: lower offsets first";
  EXPECT_EQ(canon("data[0:0]=01;data[0:3]=01020304"), "data[0:3]=01020304;data[0:0]=01")
      << "rule 3: the longer first";
}

TEST(IpmuxGrammar, Errors) {
  const std::string e = "error: bad ipmux filter: ";
  EXPECT_EQ(canon(""), e + "empty filter");
  EXPECT_EQ(canon("proto=11;"), e + "empty relation");
  EXPECT_EQ(canon("port=11"),
            e + "port=11: unknown relation (proto data[n:m] iph[n:m] ifc src dst)");
  EXPECT_EQ(canon("proto"), e + "proto: no =");
  EXPECT_EQ(canon("proto=6"), e + "proto=6: value 6 is not hex bytes, 2 digits each");
  EXPECT_EQ(canon("proto=0g"), e + "proto=0g: value 0g is not hex bytes, 2 digits each");
  EXPECT_EQ(canon("data[0:1]=00"), e + "data[0:1]=00: value 00 is not hex bytes, 2 digits each");
  EXPECT_EQ(canon("data[2:1]=00"), e + "data[2:1]=00: m is before n");
  EXPECT_EQ(canon("data[0:16]=00"), e + "data[0:16]=00: compares more than 16 bytes");
  EXPECT_EQ(canon("data[x]=00"), e + "data[x]=00: offsets are [n:m] or [n], decimal");
  EXPECT_EQ(canon("data[1=00"), e + "data[1=00: no closing ]");
  EXPECT_EQ(canon("iph[60]=00"), e + "iph[60]=00: past the longest IPv4 header");
  EXPECT_EQ(canon("src=2001:db8::1"),
            e + "src=2001:db8::1: value 2001:db8::1 is not dotted IPv4 address")
      << "IPv6 is refused: filters match IPv4 packets";
  EXPECT_EQ(canon("dst=10.0.0.1&ff"), e + "dst=10.0.0.1&ff: mask is not dotted IPv4 address");
  EXPECT_EQ(canon("proto=11&"), e + "proto=11&: mask is not hex bytes, 2 digits each");
  EXPECT_EQ(canon("proto=11||06"), e + "proto=11||06: value  is not hex bytes, 2 digits each");
  std::string many;
  for (int i = 0; i < 17; i++)
    many += (i ? ";" : "") + std::string("proto=11");
  EXPECT_EQ(canon(many), e + "more than 16 relations");
}

// ---- Relations on packets ----

// An IPv4 packet from src to dst of protocol proto carrying payload.
Bytes packet(const char* src, const char* dst, uint8_t proto, const Bytes& payload) {
  return IcmpFixture::ip4_packet(A(src), A(dst), proto, payload);
}

bool match(std::string_view filter, const Bytes& pkt, std::vector<Ipaddr> ifc = {}) {
  auto r = ipmux::parse_filter(filter);
  EXPECT_TRUE(r.ok()) << filter;
  ipmux::Filter f{*r, 1, 0};
  return ipmux::matches(f, ipmux::Packet{pkt, size_t(pkt[0] & 15) * 4, ifc});
}

TEST(IpmuxRelations, EachRelation) {
  Bytes udp = packet("10.0.0.9", "10.0.0.1", 17, {0x12, 0x34, 0x00, 0x35, 0xaa});
  EXPECT_TRUE(match("proto=11", udp));
  EXPECT_FALSE(match("proto=06", udp));
  EXPECT_TRUE(match("data[2:3]=0035", udp)) << "bytes after the IP header";
  EXPECT_FALSE(match("data[2:3]=3500", udp));
  EXPECT_TRUE(match("data[4]=aa", udp));
  EXPECT_FALSE(match("data[4:5]=aa00", udp)) << "past the end of the packet";
  EXPECT_TRUE(match("iph[0]=45", udp)) << "bytes of the header";
  EXPECT_TRUE(match("iph[9]=11", udp));
  EXPECT_FALSE(match("iph[20]=12", udp)) << "iph stops at the header's end";
  EXPECT_TRUE(match("src=10.0.0.9", udp));
  EXPECT_FALSE(match("src=10.0.0.1", udp));
  EXPECT_TRUE(match("dst=10.0.0.1", udp));
  EXPECT_FALSE(match("dst=10.0.0.9", udp));
  EXPECT_FALSE(match("ifc=10.0.0.1", udp)) << "no interface address";
  EXPECT_TRUE(match("ifc=10.0.0.1", udp, {A("192.168.1.1"), A("10.0.0.1")}))
      << "any of the interface's addresses";
  EXPECT_TRUE(match("proto=11;data[2:3]=0035;src=10.0.0.9;dst=10.0.0.1", udp));
  EXPECT_FALSE(match("proto=11;data[2:3]=0035;src=10.0.0.8", udp)) << "every relation must match";
}

TEST(IpmuxRelations, ListsAndMasks) {
  Bytes udp = packet("10.0.0.9", "10.0.0.1", 17, {0x12, 0x34, 0x00, 0x35});
  EXPECT_TRUE(match("proto=06|11", udp));
  EXPECT_FALSE(match("proto=06|01", udp));
  EXPECT_TRUE(match("proto=10&f0", udp));
  EXPECT_TRUE(match("proto=01|13&03", udp)) << "0x11 & 3 = 1";
  EXPECT_TRUE(match("data[0:1]=1200&ff00", udp));
  EXPECT_FALSE(match("data[0:1]=1300&ff00", udp));
  EXPECT_TRUE(match("src=10.0.0.0&255.255.255.0", udp));
  EXPECT_TRUE(match("src=10.0.0.77&255.255.255.0", udp)) << "the value is masked too";
  EXPECT_FALSE(match("src=10.0.1.0&255.255.255.0", udp));
  EXPECT_TRUE(match("dst=10.9.9.9|10.0.0.1", udp));
  EXPECT_TRUE(match("ifc=135.104.9.2&255.255.255.0", udp, {A("135.104.9.77")}));
}

// ---- Preference rules, through the tree ----

struct Filters {
  std::deque<ipmux::Filter> all;
  ipmux::Tree tree;
  uint64_t seq = 0;
  const ipmux::Filter* add(std::string_view text) {
    auto r = ipmux::parse_filter(text);
    EXPECT_TRUE(r.ok()) << text;
    all.push_back({*r, ++seq, int(all.size())});
    tree.add(all.back());
    return &all.back();
  }
  const ipmux::Filter* choose(const Bytes& pkt, std::vector<Ipaddr> ifc = {}) {
    return tree.match(ipmux::Packet{pkt, 20, ifc});
  }
};

TEST(IpmuxPreference, Rule1ProtocolDataSourceDestinationInterface) {
  Bytes udp = packet("10.0.0.9", "10.0.0.1", 17, {0x12, 0x34, 0x00, 0x35});
  std::vector<Ipaddr> ifc = {A("10.0.0.1")};
  Filters f;
  // Added from the least preferred, so that rule 4 would pick wrongly.
  auto* i = f.add("ifc=10.0.0.1");
  EXPECT_EQ(f.choose(udp, ifc), i);
  auto* d = f.add("dst=10.0.0.1");
  EXPECT_EQ(f.choose(udp, ifc), d);
  auto* s = f.add("src=10.0.0.9");
  EXPECT_EQ(f.choose(udp, ifc), s);
  auto* x = f.add("data[0]=12");
  EXPECT_EQ(f.choose(udp, ifc), x);
  auto* p = f.add("proto=11");
  EXPECT_EQ(f.choose(udp, ifc), p);
  f.tree.remove(*p);
  EXPECT_EQ(f.choose(udp, ifc), x);
}

TEST(IpmuxPreference, Rule2LowerDataOffsets) {
  Bytes udp = packet("10.0.0.9", "10.0.0.1", 17, {0x12, 0x34, 0x00, 0x35});
  Filters f;
  f.add("data[3]=35");
  auto* low = f.add("data[1]=34");
  EXPECT_EQ(f.choose(udp), low);
}

TEST(IpmuxPreference, Rule3LongerMatches) {
  Bytes udp = packet("10.0.0.9", "10.0.0.1", 17, {0x12, 0x34, 0x00, 0x35});
  Filters f;
  f.add("data[0]=12");
  auto* longer = f.add("data[0:1]=1234");
  EXPECT_EQ(f.choose(udp), longer);
  // A filter that tests more (the same first relation and one more) is the
  // longer match too.
  auto* more = f.add("data[0:1]=1234;dst=10.0.0.1");
  EXPECT_EQ(f.choose(udp), more);
}

TEST(IpmuxPreference, Rule4OlderThenYoungerWhenTheOlderGoes) {
  Bytes udp = packet("10.0.0.9", "10.0.0.1", 17, {0x12, 0x34, 0x00, 0x35});
  Filters f;
  auto* old = f.add("src=10.0.0.0&255.255.255.0");
  auto* young = f.add("src=10.0.0.9");  // same rank: masks do not count
  auto* same = f.add("src=10.0.0.0&255.255.255.0");
  EXPECT_EQ(f.choose(udp), old);
  f.tree.remove(*old);
  EXPECT_EQ(f.choose(udp), young);
  f.tree.remove(*young);
  EXPECT_EQ(f.choose(udp), same);
  f.tree.remove(*same);
  EXPECT_EQ(f.choose(udp), nullptr);
  EXPECT_TRUE(f.tree.empty());
  EXPECT_EQ(f.tree.nodes(), 1u) << "only the root is left";
}

// ---- The tree against the brute-force reference ----

TEST(IpmuxTree, MatchesTheReferenceOnRandomFiltersAndPackets) {
  size_t cases = 0, matched = 0;
  for (uint64_t seed : {1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u}) {
    std::mt19937_64 rng(seed);
    std::list<ipmux::Filter> live;
    ipmux::Tree tree;
    uint64_t seq = 0;
    for (int round = 0; round < 60; round++) {
      // Grow to about 40 filters, then add and remove at random.
      if (live.size() < 5 || rng() % 3 != 0 || live.size() < 40) {
        auto r = ipmux::parse_filter(ipmux::testing::random_filter(rng));
        ASSERT_TRUE(r.ok());
        live.push_back({*r, ++seq, int(seq)});
        tree.add(live.back());
      } else {
        auto it = std::next(live.begin(), long(rng() % live.size()));
        tree.remove(*it);
        live.erase(it);
      }
      std::vector<const ipmux::Filter*> ptrs;
      for (auto& f : live)
        ptrs.push_back(&f);
      ASSERT_EQ(tree.filters(), live.size());
      for (int k = 0; k < 40; k++) {
        auto p = ipmux::testing::random_packet(rng);
        const ipmux::Filter* want = ipmux::testing::reference_choice(ptrs, p.view());
        const ipmux::Filter* got = tree.match(p.view());
        cases++;
        matched += want != nullptr;
        ASSERT_EQ(got, want) << "seed " << seed << " round " << round << ": tree chose "
                             << (got ? ipmux::filter_text(got->rels) : "none") << ", reference "
                             << (want ? ipmux::filter_text(want->rels) : "none");
      }
    }
    for (auto& f : live)
      tree.remove(f);
    EXPECT_TRUE(tree.empty());
    EXPECT_EQ(tree.nodes(), 1u);
  }
  EXPECT_GE(cases, 19000u);
  EXPECT_GT(matched, cases / 4) << "the random space should make packets match";
}

// ---- The protocol directory ----

struct IpmuxFixture : IcmpFixture {
  Proto* mux = nullptr;

  void SetUp() override {
    IcmpFixture::SetUp();
    auto p = make_ipmux(ip);
    mux = p.get();
    ip.add_proto(std::move(p));
  }
  long count(const std::string& name) { return stat(mux->stats(), name); }
  void close(Conv* c) {
    c->refs = 0;
    mux->last_close(*c);
  }
};

using IpmuxTest = IpmuxFixture;

TEST_F(IpmuxTest, IsRawAndAnnouncesNothing) {
  EXPECT_TRUE(mux->raw()) << "the owner's alone, connect to ctl(), no protocol number";
  EXPECT_FALSE(mux->link_level());
  EXPECT_EQ(ip.proto_for(0), nullptr);
  Conv* c = open(mux);
  EXPECT_EQ(mux->status(*c), "Datagram Idle qin 0 qout 0\n");
  auto st = ctl(c, "announce proto=11");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().text(), "ipmux does not support announce");
  EXPECT_FALSE(ip.hooks.has_ip()) << "no filter, no hook: IP pays one emptiness test";
}

TEST_F(IpmuxTest, ConnectErrorsGoToTheErrFile) {
  Conv* c = open(mux);
  auto st = ctl(c, "connect proto=11;data[0:1]=00");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(c->err, "bad ipmux filter: data[0:1]=00: value 00 is not hex bytes, 2 digits each");
  EXPECT_EQ(ctl(c, "connect proto=11 src=10.0.0.1").error().text(),
            "bad ipmux filter: connect takes one filter, without spaces");
  EXPECT_EQ(c->state, ConvState::kIdle);
  ASSERT_TRUE(ctl(c, "connect proto=11").ok());
  EXPECT_EQ(ctl(c, "connect proto=06").error().text(), "connection in use");
}

TEST_F(IpmuxTest, ReadsTheInterfaceAddressThenTheWholePacket) {
  Conv* c = open(mux, "connect proto=11;data[2:3]=0208");
  EXPECT_EQ(mux->remote(*c), "proto=11;data[2:3]=0208\n");
  EXPECT_EQ(mux->status(*c), "Datagram Connected qin 0 qout 0\n");
  EXPECT_TRUE(ip.hooks.has_ip());
  Bytes rip =
      packet("10.0.0.9", "10.0.0.2", 17, {0x02, 0x08, 0x02, 0x08, 0x00, 0x0c, 0, 0, 1, 2, 3, 4});
  inject(rip);
  auto got = read(c);
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 16 + rip.size());
  const Ipaddr me = A("10.0.0.1");
  EXPECT_EQ(Bytes(got->begin(), got->begin() + 16), Bytes(me.data(), me.data() + 16))
      << "the interface's address towards the sender, v4-mapped";
  EXPECT_EQ(Bytes(got->begin() + 16, got->end()), rip) << "the IP header included";
  EXPECT_EQ(count("InPackets"), 1);
  // Another port: not this filter's; UDP (the recording stand-in) has it.
  Bytes other = rip;
  other[20 + 3] = 0x09;
  other = packet("10.0.0.9", "10.0.0.2", 17, Bytes(other.begin() + 20, other.end()));
  inject(other);
  EXPECT_FALSE(read(c));
  EXPECT_EQ(count("InPackets"), 1);
  // Not for us: forwarded or dropped, never filtered.
  inject(packet("10.0.0.9", "10.0.0.77", 17, Bytes(rip.begin() + 20, rip.end())));
  EXPECT_FALSE(read(c));
  // IPv6 goes on to its protocols.
  inject(ip6_packet(A("2001:db8::9"), A("2001:db8::1"), 17, Bytes(rip.begin() + 20, rip.end())));
  EXPECT_FALSE(read(c));
}

TEST_F(IpmuxTest, APacketGoesToOneFilter) {
  Conv* wide = open(mux, "connect src=10.0.0.0&255.255.255.0");
  Conv* narrow = open(mux, "connect proto=01");  // younger, but rule 1 comes first
  inject(packet("10.0.0.9", "10.0.0.1", 1, {8, 0, 0xf7, 0xff, 0, 0, 0, 0}));
  EXPECT_TRUE(read(narrow)) << "rule 1: protocol before source";
  EXPECT_FALSE(read(wide));
  EXPECT_TRUE(sent().empty()) << "ICMP did not see the echo request";
  inject(packet("10.0.0.9", "10.0.0.1", 6, {1, 2, 3, 4}));
  EXPECT_TRUE(read(wide));
  EXPECT_FALSE(read(narrow));
}

TEST_F(IpmuxTest, ClosingAConversationRemovesItsFilter) {
  Conv* c = open(mux, "connect proto=01");
  EXPECT_EQ(count("Filters"), 1);
  close(c);
  EXPECT_EQ(count("Filters"), 0);
  EXPECT_EQ(count("Nodes"), 1);
  EXPECT_FALSE(ip.hooks.has_ip()) << "the hook leaves with the last filter";
  inject(packet("10.0.0.9", "10.0.0.1", 1, {8, 0, 0xf7, 0xff, 0, 0, 0, 0}));
  EXPECT_EQ(sent().size(), 1u) << "ICMP answers the echo again";
  Conv* again = open(mux);
  EXPECT_EQ(again, c) << "the conversation is free";
  EXPECT_EQ(again->state, ConvState::kIdle);
}

TEST_F(IpmuxTest, WritesAreRoutedAndSent) {
  Conv* c = open(mux);                                           // a write needs no filter
  Bytes pkt = packet("10.0.0.1", "10.0.0.9", 89, {1, 2, 3, 4});  // OSPF
  pkt[2] = pkt[3] = 0;                                           // total length and
  pkt[10] = pkt[11] = 0;                                         // checksum: the stack's
  auto n = write(c, pkt);
  ASSERT_TRUE(n.ok()) << n.error().text();
  EXPECT_EQ(*n, pkt.size());
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  auto h = wire::Ip4Repr::parse(out[0]);
  ASSERT_TRUE(h.ok()) << "length and checksum filled";
  EXPECT_EQ(h->total_len, pkt.size());
  EXPECT_EQ(h->proto, 89);
  EXPECT_EQ(h->ttl, 64) << "the writer's header";
  EXPECT_EQ(Bytes(out[0].begin() + 20, out[0].end()), Bytes({1, 2, 3, 4}));
  EXPECT_EQ(count("OutPackets"), 1);
  // IPv6 too.
  ASSERT_TRUE(write(c, ip6_packet(A("2001:db8::1"), A("2001:db8::9"), 89, {5, 6})).ok());
  EXPECT_EQ(sent().size(), 1u);
  // Refused: not IP, a short header, no route.
  EXPECT_EQ(write(c, {0x15, 0}).error().text(),
            "bad arg in system call: not an IPv4 or IPv6 packet");
  EXPECT_EQ(write(c, {0x46, 0, 0, 0}).error().text(), "message too short: ip header");
  EXPECT_EQ(write(c, packet("10.0.0.1", "192.0.2.1", 89, {1})).error().code(), Err::NoRoute);
  EXPECT_EQ(count("OutErrors"), 3);
}

TEST_F(IpmuxTest, WrittenToOurselvesComesBackThroughTheFilter) {
  Conv* c = open(mux, "connect proto=59");
  ASSERT_TRUE(write(c, packet("10.0.0.1", "10.0.0.2", 0x59, {7})).ok());
  auto got = read(c);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->size(), 16u + 21u);
}

// A reader that does not keep up loses packets, counted, as any
// conversation's; the protocol never sees what the filter won.
TEST_F(IpmuxTest, AFullReadQueueIsACountedDrop) {
  Conv* c = open(mux, "connect proto=59");
  const Bytes p = packet("10.0.0.9", "10.0.0.1", 0x59, Bytes(100, 7));
  const size_t fits = c->rq_limit / (16 + p.size());
  for (size_t i = 0; i < fits + 10; i++)
    inject(p);
  EXPECT_GE(count("InDrops"), 10);
  EXPECT_EQ(count("InPackets") + count("InDrops"), long(fits + 10));
  EXPECT_LE(c->rq_bytes, c->rq_limit);
  EXPECT_TRUE(sent().empty()) << "no protocol unreachable: the filter took every packet";
  // Reading makes room again.
  ASSERT_TRUE(read(c));
  const long drops = count("InDrops");
  inject(p);
  EXPECT_EQ(count("InDrops"), drops);
}

}  // namespace
}  // namespace ninet::icmptest
