// icmp.cc — the icmp and icmpv6 protocol directories (icmp.h, icmp6.h):
// user echo through conversations, echo answered by the stack, ICMP errors
// handed to the protocol of the packet they quote, and the stats files.
#include "proto/icmp.h"

#include <cstring>

#include "base/endian.h"
#include "proto/icmp_proto.h"
#include "wire/icmp.h"
#include "wire/icmp6.h"
#include "wire/ip4.h"
#include "wire/ip6.h"

namespace ninet {

namespace {

namespace v4 = wire::icmp;
namespace v6 = wire::icmp6;

// Requests whose `rest` starts with an identifier the stack sets to the
// conversation's local port (NOTES.md: "id = local port").
bool has_id(bool is_v6, uint8_t type) {
  return type == (is_v6 ? v6::kEchoRequest : v4::kEchoRequest);
}

}  // namespace

IcmpProto::IcmpProto(Ip& ip, bool v6)
    : Proto(ip, v6 ? "icmpv6" : "icmp", v6 ? wire::ipproto::kIcmp6 : wire::ipproto::kIcmp, 1024),
      v6_(v6) {}

bool IcmpProto::is_error(uint8_t t) const {
  // RFC 4443 2.4(d): every ICMPv6 error type, known or not, goes to the
  // upper layer. IPv4: source quench is ignored (RFC 6633) and redirects
  // are not errors.
  if (v6_) return t < 128;
  return t == v4::kUnreach || t == v4::kTimeExceeded || t == v4::kParamProblem;
}

void IcmpProto::emit(uint8_t type, uint8_t code, uint32_t rest, const Ipaddr& src,
                     const Ipaddr& dst, std::span<uint8_t> out,
                     std::span<const uint8_t> body) const {
  if (v6_)
    wire::Icmp6Repr{type, code, rest, {}}.emit(src, dst, out, body);
  else
    wire::IcmpRepr{type, code, rest, {}}.emit(out, body);
}

int IcmpProto::scoped_ifc(const Ipaddr& dst, int ifc) const {
  const SelfEntry* se = ip.self(dst);
  if (se && (se->flags & route::kUnicast)) return -1;  // ourselves: looped back
  if (v6_ && (dst.is_v6_linklocal() || dst.is_multicast())) return ifc;
  return -1;
}

Status IcmpProto::send(const SendParams& sp, BlockPtr b) {
  uint8_t type = b->data()[0];
  auto st = ip.send(sp, std::move(b));
  if (!st) {
    counters().out_errors++;
    return st;
  }
  counters().out[type]++;
  counters().out_msgs++;
  return {};
}

Status IcmpProto::connect(Conv& c) {
  if (c.raddr.is_v4() == v6_)
    return Error(Err::BadIp, v6_ ? "icmpv6 needs IPv6" : "icmp needs IPv4");
  return Proto::connect(c);
}

Status IcmpProto::ctl(Conv& c, const std::vector<std::string_view>& a) {
  if (v6_ && a[0] == "headers") {
    c.headers = true;
    return {};
  }
  return Proto::ctl(c, a);
}

Result<size_t> IcmpProto::write(Conv& c, std::span<const uint8_t> data) {
  SendParams sp;
  sp.proto = ipproto;
  sp.ttl = c.ttl;
  sp.tos = c.tos;
  std::span<const uint8_t> msg = data;
  if (c.headers) {
    // ip(3) ICMPV6: the message goes to raddr from laddr; a local address
    // that is not one of our unicast addresses is overridden (as for UDP).
    if (data.size() < kHeadersLen) return Error(Err::TooShort, "icmpv6 headers");
    Ipaddr laddr(data.data() + 8);
    sp.dst = Ipaddr(data.data() + 24);
    const SelfEntry* se = ip.self(laddr);
    if (se && (se->flags & route::kUnicast)) sp.src = laddr;
    msg = data.subspan(kHeadersLen);
  } else {
    if (c.state != ConvState::kConnected) return Err::NotConnected;
    sp.src = c.laddr;
    sp.dst = c.raddr;
  }
  if (msg.size() < v4::kHeaderLen) return Error(Err::TooShort, "icmp message");
  if (sp.dst.is_v4() == v6_ || sp.dst.is_zero())
    return Error(Err::BadIp, v6_ ? "icmpv6 needs IPv6" : "icmp needs IPv4");
  if (sp.src.is_zero()) {
    auto s = ip.source_for(sp.dst);
    if (!s) {
      counters().out_errors++;
      return s.error();
    }
    sp.src = *s;
  } else if (v6_) {
    // A link-scoped destination is reached through the source's interface.
    for (auto& f : ip.ifcs())
      if (f->inuse && f->find(sp.src)) sp.ifc = scoped_ifc(sp.dst, f->index);
  }
  uint8_t type = msg[0];
  uint32_t rest = load32(msg.data() + 4);
  if (has_id(v6_, type)) rest = uint32_t(c.lport) << 16 | (rest & 0xffff);
  BlockPtr b = ip.pool.alloc(uint32_t(msg.size()));
  emit(type, msg[1], rest, sp.src, sp.dst, {b->put(uint32_t(msg.size())), msg.size()},
       msg.subspan(v4::kHeaderLen));
  auto st = send(sp, std::move(b));
  if (!st) return st.error();
  return data.size();
}

bool IcmpProto::from_remote(const Conv& c, const Ipaddr& src) const {
  if (c.headers || c.state != ConvState::kConnected || c.raddr == src) return true;
  // Pings of a group or a broadcast address are answered by its members.
  const SelfEntry* se = ip.self(c.raddr);
  return c.raddr.is_multicast() || c.raddr.is_v4_broadcast() || (se && (se->flags & route::kBcast));
}

void IcmpProto::deliver(Conv& c, const Ipaddr& src, const Ipaddr& dst, const Block& b) {
  BlockPtr q;
  if (c.headers) {
    q = ip.pool.alloc(uint32_t(b.size() + kHeadersLen));
    uint8_t* h = q->put(kHeadersLen);
    std::memset(h, 0, 8);
    std::memcpy(h + 8, dst.data(), Ipaddr::kLen);   // laddr: us
    std::memcpy(h + 24, src.data(), Ipaddr::kLen);  // raddr: them
    q->append(b.data(), b.size());
  } else {
    q = ip.pool.copy(b.data(), b.size());
  }
  // A reader that does not keep up loses messages, as a full socket buffer.
  if (!c.enqueue(std::move(q))) counters().in_errors++;
}

void IcmpProto::echo_reply(int ifc, const Ipaddr& src, const Ipaddr& dst, uint32_t rest,
                           BlockPtr req) {
  // IP accepted the request, so a unicast destination is ours: answer from it.
  SendParams sp;
  sp.src = dst;
  sp.dst = src;
  sp.proto = ipproto;
  sp.ttl = Ip::kDefaultTtl;
  sp.ifc = scoped_ifc(src, ifc);
  const SelfEntry* se = ip.self(dst);
  if (dst.is_multicast() || dst.is_v4_broadcast() || (se && (se->flags & route::kBcast))) {
    // IPv4: no replies to broadcast or multicast pings (Linux's default,
    // icmp_echo_ignore_broadcasts; RFC 1122 3.2.2.6 allows it). IPv6: from a
    // unicast address of the arrival interface (RFC 4443 section 4.2).
    if (!v6_) return;
    auto s = ip.source_for(src, ifc);
    if (!s) {
      counters().out_errors++;
      return;
    }
    sp.src = *s;
  }
  // The reply reuses the request's buffer: same id, sequence and data.
  req->ifc = -1;
  req->stamp = 0;
  req->flags = 0;
  req->net_off = 0;
  emit(v6_ ? v6::kEchoReply : v4::kEchoReply, 0, rest, sp.src, sp.dst, req->span(),
       req->span().subspan(v4::kHeaderLen));
  (void)send(sp, std::move(req));
}

void IcmpProto::error_in(const IpRx& rx, const Block& b, uint8_t type, uint8_t code,
                         uint32_t rest) {
  // The quoted packet: its IP header, then (at least) 8 bytes of transport.
  std::span<const uint8_t> inner = b.span().subspan(v4::kHeaderLen);
  Advice a = Advice::from_icmp(v6_, type, code, rest);
  a.reporter = rx.src;
  uint8_t iproto;
  size_t hl;
  if (!v6_) {
    if (inner.size() < 20 || (inner[0] >> 4) != 4) return;
    hl = size_t(inner[0] & 0xf) * 4;
    if (hl < 20 || inner.size() < hl) return;
    if (load16(inner.data() + 6) & 0x1fff) return;  // a later fragment: no transport header
    a.src = Ipaddr::from_v4_bytes(inner.data() + 12);
    a.dst = Ipaddr::from_v4_bytes(inner.data() + 16);
    iproto = inner[9];
  } else {
    if (inner.size() < 40 || (inner[0] >> 4) != 6) return;
    a.src = Ipaddr(inner.data() + 8);
    a.dst = Ipaddr(inner.data() + 24);
    auto w = wire::ip6_walk(inner.subspan(40), inner[6]);
    if (!w || (w->frag && w->frag->offset != 0)) return;  // cut short, or a later fragment
    iproto = w->proto;
    hl = 40 + w->offset;
  }
  if (hl > inner.size()) return;
  a.transport = inner.subspan(hl);
  if (iproto == ipproto) {
    // About one of our echo requests: the pinging conversation sees it.
    if (a.transport.size() < 8 || !is_echo_request(a.transport[0])) return;
    uint16_t id = load16(a.transport.data() + 4);
    if (!demux.port_used(id)) return;
    for (auto& c : convs)
      if (c->inuse && c->lport == id && (c->headers || c->raddr == a.dst))
        deliver(*c, rx.src, rx.dst, b);
    return;
  }
  if (Proto* p = ip.proto_for(iproto)) p->advise(a);
}

void IcmpProto::rcv(const IpRx& rx, BlockPtr b) {
  const Ipaddr& src = rx.src;
  const Ipaddr& dst = rx.dst;
  IcmpCounters& k = counters();
  if (v6_ && b->size() > 0 && b->data()[0] >= v6::kRouterSolicit && b->data()[0] <= v6::kRedirect)
    return;  // Neighbour Discovery is the IP layer's (Ip::nd_input), counted there
  k.in_msgs++;
  uint8_t type, code;
  uint32_t rest;
  if (v6_) {
    auto m = wire::Icmp6Repr::parse(src, dst, b->span());
    if (!m) {
      k.in_errors++;
      ip.log.print(LogItem::kIcmp, src, dst, "icmpv6: " + m.error().text());
      return;
    }
    type = m->type;
    code = m->code;
    rest = m->rest;
  } else {
    auto m = wire::IcmpRepr::parse(b->span());
    if (!m) {
      k.in_errors++;
      ip.log.print(LogItem::kIcmp, src, dst, "icmp: " + m.error().text());
      return;
    }
    type = m->type;
    code = m->code;
    rest = m->rest;
  }
  k.in[type]++;
  if (is_echo_request(type)) {
    echo_reply(rx.ifc, src, dst, rest, std::move(b));
  } else if (is_echo_reply(type)) {
    // The echo identifier is the conversation's local port: a reply for a
    // port no conversation holds costs one test (ConvDemux).
    uint16_t id = uint16_t(rest >> 16);
    if (!demux.port_used(id)) return;
    for (auto& c : convs)
      if (c->inuse && c->lport == id && from_remote(*c, src)) deliver(*c, src, dst, *b);
  } else if (is_error(type)) {
    error_in(rx, *b, type, code, rest);
  } else if (v6_) {
    // Anything else (MLD...) is for announced conversations in headers
    // mode: user-level ICMPv6 programs.
    for (auto& c : convs)
      if (c->inuse && c->headers && c->state == ConvState::kAnnounced) deliver(*c, src, dst, *b);
  }
}

std::string IcmpProto::status(const Conv& c) const {
  // Plan 9 reports ICMP conversations as datagram endpoints (NOTES.md).
  return "Datagram " + Proto::status(c);
}

namespace {
// ip(3)'s 26 icmp fields in the page's order, with SNMP's names (RFC 2011
// icmpInMsgs...); for icmpv6 the same shape over ICMPv6 types with RFC
// 2466's names (as Linux's /proc/net/snmp6; icmp6.h lists them).
struct TypeName {
  uint8_t type;
  const char* name;
};
constexpr TypeName kV4Names[] = {
    {v4::kUnreach, "Unreachables"},         {v4::kTimeExceeded, "TimeExceeds"},
    {v4::kParamProblem, "ParmProbs"},       {v4::kSourceQuench, "SrcQuenchs"},
    {v4::kRedirect, "Redirects"},           {v4::kEchoRequest, "Echos"},
    {v4::kEchoReply, "EchoReps"},           {v4::kTimestamp, "Timestamps"},
    {v4::kTimestampReply, "TimestampReps"}, {v4::kMaskRequest, "AddrMasks"},
    {v4::kMaskReply, "AddrMaskReps"}};
constexpr TypeName kV6Names[] = {{v6::kDstUnreach, "DestUnreachs"},
                                 {v6::kPacketTooBig, "PktTooBigs"},
                                 {v6::kTimeExceeded, "TimeExcds"},
                                 {v6::kParamProblem, "ParmProblems"},
                                 {v6::kEchoRequest, "Echos"},
                                 {v6::kEchoReply, "EchoReplies"},
                                 {v6::kRouterSolicit, "RouterSolicits"},
                                 {v6::kRouterAdvert, "RouterAdvertisements"},
                                 {v6::kNeighborSolicit, "NeighborSolicits"},
                                 {v6::kNeighborAdvert, "NeighborAdvertisements"},
                                 {v6::kRedirect, "Redirects"},
                                 {v6::kMldQuery, "GroupMembQueries"},
                                 {v6::kMldReport, "GroupMembResponses"},
                                 {v6::kMldDone, "GroupMembReductions"},
                                 {v6::kMld2Report, "MLDv2Reports"}};
}  // namespace

std::string IcmpProto::stats() const {
  const IcmpCounters& k = counters();
  std::string s;
  auto line = [&](std::string_view n, uint64_t v) {
    s.append(n).append(": ").append(std::to_string(v)).append("\n");
  };
  std::span<const TypeName> names =
      v6_ ? std::span<const TypeName>(kV6Names) : std::span<const TypeName>(kV4Names);
  line("InMsgs", k.in_msgs);
  line("InErrors", k.in_errors);
  for (auto& n : names)
    line(std::string("In") + n.name, k.in[n.type]);
  line("OutMsgs", k.out_msgs);
  line("OutErrors", k.out_errors);
  for (auto& n : names)
    line(std::string("Out") + n.name, k.out[n.type]);
  return s;
}

std::unique_ptr<Proto> make_icmp(Ip& ip) {
  return std::make_unique<IcmpProto>(ip, false);
}

}  // namespace ninet
