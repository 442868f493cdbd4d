#include "proto/icmp.h"

#include <cstdio>
#include <cstring>

#include "base/checksum.h"
#include "base/endian.h"
#include "proto/icmp_proto.h"
#include "wire/icmp.h"
#include "wire/icmp6.h"
#include "wire/ip4.h"
#include "wire/ip6.h"

namespace ninet {

IcmpProto::IcmpProto(Ip& ip, bool v6)
    : Proto(ip, v6 ? "icmpv6" : "icmp", v6 ? wire::ipproto::kIcmp6 : wire::ipproto::kIcmp, 1024),
      v6_(v6) {}

bool IcmpProto::is_error(uint8_t t) const {
  if (v6_) return t < 128;
  return t == wire::icmp::kUnreach || t == wire::icmp::kTimeExceeded ||
         t == wire::icmp::kParamProblem || t == wire::icmp::kSourceQuench ||
         t == wire::icmp::kRedirect;
}

Status IcmpProto::ctl(Conv& c, const std::vector<std::string_view>& a) {
  if (a[0] == "headers" && v6_) {
    c.headers = true;
    return {};
  }
  if (a[0] == "noheaders" && v6_) {
    c.headers = false;
    return {};
  }
  return Error(Err::BadCtl, std::string(a[0]));
}

Result<size_t> IcmpProto::write(Conv& c, std::span<const uint8_t> data) {
  Ipaddr src = c.laddr, dst = c.raddr;
  std::span<const uint8_t> msg = data;
  if (c.headers) {
    if (data.size() < kHeadersLen) return Error(Err::TooShort, "icmpv6 headers");
    src = Ipaddr(data.data() + 8);
    dst = Ipaddr(data.data() + 24);
    msg = data.subspan(kHeadersLen);
    if (!ip.is_self(src) || src.is_multicast()) src = Ipaddr();  // ip(3): overridden
  } else if (c.state != ConvState::kConnected) {
    return Err::NotConnected;
  }
  if (msg.size() < 8) return Error(Err::TooShort, "icmp message");
  if (msg.size() > 65000) return Err::TooBig;
  if (dst.is_v4() == v6_) return Error(Err::BadIp, v6_ ? "icmpv6 needs IPv6" : "icmp needs IPv4");
  if (src.is_zero()) {
    auto s = ip.source_for(dst);
    if (!s) {
      counters().out_errors++;
      return s.error();
    }
    src = *s;
  }
  BlockPtr b = ip.pool.alloc(uint32_t(msg.size()));
  uint8_t* p = b->put(uint32_t(msg.size()));
  std::memcpy(p, msg.data(), msg.size());
  if (is_echo_request(p[0])) store16(p + 4, c.lport);  // NOTES.md: id = local port
  store16(p + 2, 0);
  uint32_t sum = v6_ ? csum_pseudo(src, dst, wire::ipproto::kIcmp6, uint32_t(msg.size())) : 0;
  store16(p + 2, csum_fold(csum_partial(p, msg.size(), sum)));
  uint8_t type = p[0];
  SendParams sp;
  sp.src = src;
  sp.dst = dst;
  sp.proto = ipproto;
  sp.ttl = c.ttl;
  sp.tos = c.tos;
  auto st = ip.send(sp, std::move(b));
  if (!st) {
    counters().out_errors++;
    c.set_err(st.error());
    return st.error();
  }
  counters().out[type]++;
  counters().out_msgs++;
  return data.size();
}

void IcmpProto::deliver(Conv& c, const Ipaddr& src, const Ipaddr& dst, const Block& b) {
  BlockPtr q;
  if (c.headers) {
    q = ip.pool.alloc(uint32_t(b.size() + kHeadersLen));
    uint8_t* h = q->put(kHeadersLen);
    std::memset(h, 0, 8);
    std::memcpy(h + 8, dst.data(), 16);
    std::memcpy(h + 24, src.data(), 16);
    q->append(b.data(), b.size());
  } else {
    q = ip.pool.copy(b.data(), b.size());
  }
  if (!c.enqueue(std::move(q))) counters().in_errors++;
}

void IcmpProto::echo_reply(const Ipaddr& src, const Ipaddr& dst, Block& req) {
  // IP accepted the request, so a unicast destination is ours: answer from it.
  Ipaddr from = dst;
  const SelfEntry* se = ip.self(dst);
  if (dst.is_multicast() || dst.is_v4_broadcast() || (se && (se->flags & route::kBcast))) {
    if (!v6_) return;  // as Linux: no replies to broadcast or multicast pings
    auto s = ip.source_for(src);
    if (!s) return;
    from = *s;
  }
  BlockPtr r = ip.pool.copy(req.data(), req.size());
  uint8_t* p = r->data();
  p[0] = v6_ ? wire::icmp6::kEchoReply : wire::icmp::kEchoReply;
  store16(p + 2, 0);
  uint32_t sum = v6_ ? csum_pseudo(from, src, wire::ipproto::kIcmp6, r->size()) : 0;
  store16(p + 2, csum_fold(csum_partial(p, r->size(), sum)));
  SendParams sp;
  sp.src = from;
  sp.dst = src;
  sp.proto = ipproto;
  sp.ttl = Ip::kDefaultTtl;
  if (ip.send(sp, std::move(r))) {
    counters().out[p[0]]++;
    counters().out_msgs++;
  } else {
    counters().out_errors++;
  }
}

void IcmpProto::error_in(const Ipaddr& src, const Ipaddr& dst, Block& b, uint8_t type,
                         uint8_t code) {
  // The quoted packet: its IP header, then at least 8 bytes of transport.
  std::span<const uint8_t> inner = b.span().subspan(8);
  Ipaddr isrc, idst;
  uint8_t iproto;
  size_t hl;
  if (!v6_) {
    if (inner.size() < 20 || (inner[0] >> 4) != 4) return;
    hl = size_t(inner[0] & 0xf) * 4;
    if (hl < 20 || inner.size() < hl) return;
    isrc = Ipaddr::from_v4_bytes(inner.data() + 12);
    idst = Ipaddr::from_v4_bytes(inner.data() + 16);
    iproto = inner[9];
  } else {
    if (inner.size() < 40 || (inner[0] >> 4) != 6) return;
    isrc = Ipaddr(inner.data() + 8);
    idst = Ipaddr(inner.data() + 24);
    auto w = wire::ip6_walk(inner.subspan(40), inner[6]);
    // A quote may be cut inside the extension headers; use what was found.
    if (!w) return;
    iproto = w->proto;
    hl = 40 + w->offset;
  }
  if (hl > inner.size()) return;
  std::span<const uint8_t> transport = inner.subspan(hl);
  char msg[64];
  std::snprintf(msg, sizeof msg, "%s type %d code %d", v6_ ? "icmpv6" : "icmp", type, code);
  if (iproto == ipproto) {
    // About one of our echo requests: give it to the pinging conversation.
    if (transport.size() >= 8 && is_echo_request(transport[0])) {
      uint16_t id = load16(transport.data() + 4);
      for (auto& c : convs)
        if (c->inuse && c->lport == id && (c->raddr == idst || c->headers))
          deliver(*c, src, dst, b);
    }
    return;
  }
  if (Proto* p = ip.proto_for(iproto)) p->advise(isrc, idst, transport, msg);
}

void IcmpProto::rcv(int ifc, const Ipaddr& src, const Ipaddr& dst, BlockPtr b) {
  IcmpCounters& k = counters();
  k.in_msgs++;
  uint8_t type, code;
  uint16_t id;
  if (v6_) {
    auto m = wire::Icmp6Repr::parse(src, dst, b->span());
    if (!m) {
      k.in_errors++;
      ip.log.print(LogItem::kIcmp, src, dst, m.error().text());
      return;
    }
    type = m->type;
    code = m->code;
    id = m->id();
  } else {
    auto m = wire::IcmpRepr::parse(b->span());
    if (!m) {
      k.in_errors++;
      ip.log.print(LogItem::kIcmp, src, dst, m.error().text());
      return;
    }
    type = m->type;
    code = m->code;
    id = m->id();
  }
  k.in[type]++;
  if (is_echo_request(type)) {
    echo_reply(src, dst, *b);
    return;
  }
  if (is_echo_reply(type)) {
    for (auto& c : convs) {
      if (!c->inuse || c->lport != id) continue;
      if (!c->headers && c->state == ConvState::kConnected && c->raddr != src) continue;
      deliver(*c, src, dst, *b);
    }
    return;
  }
  if (is_error(type)) {
    error_in(src, dst, *b, type, code);
    return;
  }
  // Anything else goes to announced conversations in headers mode (icmpv6
  // users that want to see the raw traffic).
  for (auto& c : convs)
    if (c->inuse && c->headers && c->state == ConvState::kAnnounced) deliver(*c, src, dst, *b);
}

std::string IcmpProto::status(const Conv& c) const {
  // Plan 9 reports ICMP conversations as datagram endpoints.
  return std::string("Datagram ") + std::string(conv_state_name(c.state)) + " qin " +
         std::to_string(c.rq_bytes) + " qout 0\n";
}

namespace {
// ip(3)'s 26 fields, in the page's order, with Plan 9's names.
struct Field {
  const char* name;
  int type;  // -1: the message/error totals
};
constexpr uint8_t kV4Types[] = {
    wire::icmp::kUnreach,      wire::icmp::kTimeExceeded, wire::icmp::kParamProblem,
    wire::icmp::kSourceQuench, wire::icmp::kRedirect,     wire::icmp::kEchoRequest,
    wire::icmp::kEchoReply,    wire::icmp::kTimestamp,    wire::icmp::kTimestampReply,
    wire::icmp::kMaskRequest,  wire::icmp::kMaskReply};
constexpr const char* kV4Names[] = {"Unreachables",  "TimeExceeds", "ParmProbs",   "SrcQuenchs",
                                    "Redirects",     "Echos",       "EchoReps",    "Timestamps",
                                    "TimestampReps", "AddrMasks",   "AddrMaskReps"};
constexpr uint8_t kV6Types[] = {
    wire::icmp6::kDstUnreach,     wire::icmp6::kPacketTooBig, wire::icmp6::kTimeExceeded,
    wire::icmp6::kParamProblem,   wire::icmp6::kEchoRequest,  wire::icmp6::kEchoReply,
    wire::icmp6::kRouterSolicit,  wire::icmp6::kRouterAdvert, wire::icmp6::kNeighborSolicit,
    wire::icmp6::kNeighborAdvert, wire::icmp6::kRedirect,     wire::icmp6::kMldQuery,
    wire::icmp6::kMldReport,      wire::icmp6::kMldDone,      wire::icmp6::kMld2Report};
constexpr const char* kV6Names[] = {"DestUnreachs", "PktTooBigs",   "TimeExcds",   "ParmProblems",
                                    "Echos",        "EchoReplies",  "RouterSols",  "RouterAdvs",
                                    "NeighborSols", "NeighborAdvs", "Redirects",   "MLDQueries",
                                    "MLDReports",   "MLDDones",     "MLDv2Reports"};
}  // namespace

std::string IcmpProto::stats() const {
  const IcmpCounters& k = counters();
  std::string s;
  auto line = [&](const std::string& n, uint64_t v) { s += n + ": " + std::to_string(v) + "\n"; };
  const uint8_t* types = v6_ ? kV6Types : kV4Types;
  const char* const* names = v6_ ? kV6Names : kV4Names;
  size_t n = v6_ ? std::size(kV6Types) : std::size(kV4Types);
  line("InMsgs", k.in_msgs);
  line("InErrors", k.in_errors);
  for (size_t i = 0; i < n; i++)
    line(std::string("In") + names[i], k.in[types[i]]);
  line("OutMsgs", k.out_msgs);
  line("OutErrors", k.out_errors);
  for (size_t i = 0; i < n; i++)
    line(std::string("Out") + names[i], k.out[types[i]]);
  return s;
}

std::unique_ptr<Proto> make_icmp(Ip& ip) {
  return std::make_unique<IcmpProto>(ip, false);
}

}  // namespace ninet
