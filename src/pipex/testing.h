// testing.h — the one set of pipex builders for tests, fuzz targets,
// benchmarks and test tools: a daemon's session requests (pipex.h's
// pipex_session_req, for L2TP, PPTP and PPPoE, with MPPE or not) and the
// frames a session's peer sends: PPP around IPv4/IPv6 packets (with their
// checksums, or encrypted by MPPE), in L2TP over UDP in IPv4 or IPv6, in
// PPTP's GRE in IPv4, or in PPPoE on Ethernet. Byte vectors in, byte
// vectors out; nothing here needs a stack.
//
// The test network: the stack's Ethernet interface is TestMedium's first
// (52:54:00:00:00:01, named veth7) with 192.0.2.2; the peer is 192.0.2.1 at
// 02:00:00:00:00:01; session N's framed address is 10.0.0.N.
//
//   using namespace ninet::pipextest;
//   pipex_session_req r = session_req(PIPEX_PROTO_L2TP, 7);   // then change what differs
//   frame_in(l2tp_frame(ppp_ip(echo4(A("10.0.0.7"), kUs))));
//   frame_in(pptp_frame(ppp, 7, seq, {.from = other_peer}));
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "base/endian.h"
#include "base/ipaddr.h"
#include "crypto/mppe.h"
#include "pipex/pipex.h"
#include "wire/icmp.h"
#include "wire/icmp6.h"
#include "wire/ip4.h"
#include "wire/ip6.h"
#include "wire/udp.h"

namespace ninet::pipextest {

using Bytes = std::vector<uint8_t>;

inline constexpr uint8_t kPeerMac[6] = {0x02, 0, 0, 0, 0, 0x01};
inline constexpr uint8_t kOurMac[6] = {0x52, 0x54, 0, 0, 0, 0x01};  // TestMedium's first ether
inline const Ipaddr kPeer = *Ipaddr::parse("192.0.2.1");
inline const Ipaddr kUs = *Ipaddr::parse("192.0.2.2");

// ---- Bytes ----

inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts)
    out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline Bytes be16(uint16_t v) {
  return {uint8_t(v >> 8), uint8_t(v)};
}

inline Bytes be32(uint32_t v) {
  return cat({be16(uint16_t(v >> 16)), be16(uint16_t(v))});
}

// ---- Session requests ----

// An address's bytes into an in_addr or in6_addr, as inet_pton would (the
// layers keep to ninet's own parser).
inline void put_addr(const Ipaddr& a, in_addr* out) {
  std::memcpy(out, a.v4_bytes(), 4);
}
inline void put_addr(const Ipaddr& a, in6_addr* out) {
  std::memcpy(out, a.data(), 16);
}
template <typename T>
void put_addr(std::string_view s, T* out) {
  put_addr(*Ipaddr::parse(s), out);
}

// A tunnel end: sockaddr_in for an IPv4 address, sockaddr_in6 for IPv6.
inline void set_sockaddr(sockaddr_storage& ss, const Ipaddr& a, uint16_t port) {
  ss = {};
  if (a.is_v4()) {
    auto& s = reinterpret_cast<sockaddr_in&>(ss);
    s.sin_family = AF_INET;
    store16(reinterpret_cast<uint8_t*>(&s.sin_port), port);
    put_addr(a, &s.sin_addr);
  } else {
    auto& s = reinterpret_cast<sockaddr_in6&>(ss);
    s.sin6_family = AF_INET6;
    store16(reinterpret_cast<uint8_t*>(&s.sin6_port), port);
    put_addr(a, &s.sin6_addr);
  }
}

// A PPPoE session's peer: its MAC in an AF_UNSPEC sockaddr.
inline void set_peer_mac(pipex_session_req& r, const Mac& mac) {
  auto& sa = reinterpret_cast<sockaddr&>(r.pr_peer_address);
  sa.sa_family = AF_UNSPEC;
  std::memcpy(sa.sa_data, mac.data(), 6);
}

// The session's framed IPv6 prefix.
inline void set_ip6_prefix(pipex_session_req& r, std::string_view prefix, int len) {
  r.pr_ip6_address.sin6_family = AF_INET6;
  put_addr(prefix, &r.pr_ip6_address.sin6_addr);
  r.pr_ip6_prefixlen = len;
}

// A daemon's request for session `id` of `proto` on the test network, with
// framed address `framed`: peer session id + 100, PPP id `id`, peer MRU
// 1400, ACFC and PFC accepted; L2TP and PPTP from 192.0.2.1 to 192.0.2.2
// (UDP port 1701 for L2TP), with address and control fields, L2TP tunnel 1
// (the peer's 2), PPTP's window 64; PPPoE from kPeerMac on `over_ifname`.
// No MPPE.
inline pipex_session_req session_req(int proto, uint16_t id, const Ipaddr& framed,
                                     const char* over_ifname = "veth7") {
  pipex_session_req r{};
  r.pr_protocol = proto;
  r.pr_session_id = id;
  r.pr_peer_session_id = uint16_t(id + 100);
  r.pr_ppp_id = id;
  r.pr_peer_mru = 1400;
  r.pr_ppp_flags = PIPEX_PPP_ACFC_ACCEPTED | PIPEX_PPP_PFC_ACCEPTED;
  put_addr(framed, &r.pr_ip_address);
  if (proto == PIPEX_PROTO_PPPOE) {
    set_peer_mac(r, Mac(kPeerMac));
    std::strcpy(r.pr_proto.pppoe.over_ifname, over_ifname);
    return r;
  }
  r.pr_ppp_flags |= PIPEX_PPP_HAS_ACF;
  const uint16_t port = proto == PIPEX_PROTO_L2TP ? 1701 : 0;
  set_sockaddr(r.pr_peer_address, kPeer, port);
  set_sockaddr(r.pr_local_address, kUs, port);
  if (proto == PIPEX_PROTO_L2TP) {
    r.pr_proto.l2tp.tunnel_id = 1;
    r.pr_proto.l2tp.peer_tunnel_id = 2;
  } else {
    r.pr_proto.pptp.maxwinsz = 64;
  }
  return r;
}
// The same, framed 10.0.0.id (for ids below 256).
inline pipex_session_req session_req(int proto, uint16_t id, const char* over_ifname = "veth7") {
  return session_req(proto, id, Ipaddr::v4(10, 0, 0, uint8_t(id)), over_ifname);
}

// MPPE both ways, 128-bit keys, stateless or stateful; required (plain IP
// refused) or not. The master keys stay as they are (zero in a new request).
inline void set_mppe(pipex_session_req& r, bool stateless, bool required) {
  r.pr_ppp_flags |= PIPEX_PPP_MPPE_ACCEPTED | PIPEX_PPP_MPPE_ENABLED;
  if (required) r.pr_ppp_flags |= PIPEX_PPP_MPPE_REQUIRED;
  for (auto* m : {&r.pr_mppe_recv, &r.pr_mppe_send}) {
    m->stateless = stateless ? 1 : 0;
    m->keylenbits = 128;
  }
}

// Master keys 00 01 .. 0f to receive, a0 a1 .. af to send.
inline void set_master_keys(pipex_session_req& r) {
  for (int i = 0; i < 16; i++) {
    r.pr_mppe_recv.master_key[i] = uint8_t(i);
    r.pr_mppe_send.master_key[i] = uint8_t(0xa0 + i);
  }
}

// The peer's side of one direction of a request's MPPE: its sender for
// pr_mppe_recv, its receiver for pr_mppe_send.
inline crypto::MppeConfig mppe_config(const pipex_mppe_req& m) {
  crypto::MppeConfig c;
  c.key_bits = m.keylenbits;
  c.stateless = m.stateless != 0;
  std::memcpy(c.master_key.data(), m.master_key, 16);
  return c;
}

// ---- Packets inside the session ----

inline Bytes ip4(const Ipaddr& src, const Ipaddr& dst, uint8_t proto, const Bytes& payload,
                 uint16_t id = 7) {
  Bytes p(20 + payload.size());
  wire::Ip4Repr h;
  h.src = src;
  h.dst = dst;
  h.proto = proto;
  h.ttl = 64;
  h.id = id;
  h.total_len = uint16_t(p.size());
  h.emit(p.data());
  std::copy(payload.begin(), payload.end(), p.begin() + 20);
  return p;
}

inline Bytes ip6(const Ipaddr& src, const Ipaddr& dst, uint8_t next, const Bytes& payload) {
  Bytes p(40 + payload.size());
  wire::Ip6Repr h;
  h.src = src;
  h.dst = dst;
  h.next_header = next;
  h.hop_limit = 64;
  h.payload_len = uint16_t(payload.size());
  h.emit(p.data());
  std::copy(payload.begin(), payload.end(), p.begin() + 40);
  return p;
}

// A UDP datagram with its checksum over the pseudo header of src and dst.
inline Bytes udp(const Ipaddr& src, const Ipaddr& dst, uint16_t sport, uint16_t dport,
                 const Bytes& body) {
  Bytes u(8 + body.size());
  wire::UdpRepr{sport, dport, {}, true}.emit(src, dst, u, body);
  return u;
}

// An ICMP echo request from src to dst carrying "ping".
inline Bytes echo4(const Ipaddr& src, const Ipaddr& dst) {
  Bytes m(8 + 4);
  const Bytes data = {'p', 'i', 'n', 'g'};
  wire::IcmpRepr{8, 0, 0x12340001, {}}.emit(m, data);
  return ip4(src, dst, 1, m);
}

inline Bytes echo6(const Ipaddr& src, const Ipaddr& dst) {
  Bytes m(8 + 4);
  const Bytes data = {'p', 'i', 'n', 'g'};
  wire::Icmp6Repr{128, 0, 0x12340001, {}}.emit(src, dst, m, data);
  return ip6(src, dst, 58, m);
}

// PPP around an IPv4 or IPv6 packet (protocol 0021 or 0057), with the
// address and control fields (ff 03) or without.
inline Bytes ppp_ip(const Bytes& ip, bool acf = true) {
  return cat({acf ? Bytes{0xff, 0x03} : Bytes{}, be16(ip[0] >> 4 == 6 ? 0x0057 : 0x0021), ip});
}

// PPP's MPPE frame (protocol 00fd) around an IPv4 packet, encrypted by the
// peer's sender tx; empty if tx cannot encrypt.
inline Bytes mppe_ppp(crypto::Mppe& tx, const Bytes& ip, bool acf = true) {
  Bytes m = cat({{0, 0}, be16(0x0021), ip});  // the MPPE header's room, then PPP
  if (!tx.encrypt(m)) return {};
  return cat({acf ? Bytes{0xff, 0x03} : Bytes{}, be16(0x00fd), m});
}

// ---- Tunnel headers around PPP ----

// L2TP data (T=0, no length, version 2), without sequence numbers, or with
// Ns and Nr (S set).
inline Bytes l2tp_data(uint16_t tunnel, uint16_t sid, const Bytes& ppp) {
  return cat({be16(0x0002), be16(tunnel), be16(sid), ppp});
}
inline Bytes l2tp_data_seq(uint16_t tunnel, uint16_t sid, uint16_t ns, uint16_t nr,
                           const Bytes& ppp) {
  return cat({be16(0x0802), be16(tunnel), be16(sid), be16(ns), be16(nr), ppp});
}

// PPTP's enhanced GRE (version 1, protocol 880b, K and S set), without an
// acknowledgement, or with one (A set).
inline Bytes pptp_gre(uint16_t call, uint32_t seq, const Bytes& ppp) {
  return cat({be16(0x3001), be16(0x880b), be16(uint16_t(ppp.size())), be16(call), be32(seq), ppp});
}
inline Bytes pptp_gre_ack(uint16_t call, uint32_t seq, uint32_t ack, const Bytes& ppp) {
  return cat({be16(0x3081), be16(0x880b), be16(uint16_t(ppp.size())), be16(call), be32(seq),
              be32(ack), ppp});
}

// A PPPoE session packet (version 1, type 1, code 0).
inline Bytes pppoe_session(uint16_t sid, const Bytes& ppp) {
  return cat({{0x11, 0x00}, be16(sid), be16(uint16_t(ppp.size())), ppp});
}

// ---- Frames on the peer's wire ----

inline Bytes ether(const Mac& dst, const Mac& src, uint16_t type) {
  return cat({Bytes(dst.data(), dst.data() + 6), Bytes(src.data(), src.data() + 6), be16(type)});
}

// The outer ends of a frame from the peer: its IP addresses (both IPv4 or
// both IPv6; PPPoE has none), the stack's MAC, IPv4's identification.
struct Outer {
  Ipaddr from = kPeer;
  Ipaddr to = kUs;
  Mac to_mac = Mac(kOurMac);
  uint16_t ip_id = 7;
};

// L2TP in UDP from port 1701 to 1701, in IPv4 or IPv6 (as o.from is).
inline Bytes l2tp_in_udp(const Bytes& l2tp, const Outer& o = {}) {
  const Bytes u = udp(o.from, o.to, 1701, 1701, l2tp);
  if (o.from.is_v4())
    return cat({ether(o.to_mac, Mac(kPeerMac), 0x0800), ip4(o.from, o.to, 17, u, o.ip_id)});
  return cat({ether(o.to_mac, Mac(kPeerMac), 0x86dd), ip6(o.from, o.to, 17, u)});
}

// GRE in IPv4 (protocol 47).
inline Bytes gre_in_ip4(const Bytes& gre, const Outer& o = {}) {
  return cat({ether(o.to_mac, Mac(kPeerMac), 0x0800), ip4(o.from, o.to, 47, gre, o.ip_id)});
}

// A PPPoE session packet on Ethernet, as it is (no padding).
inline Bytes pppoe_in_ether(const Bytes& pppoe, const Outer& o = {}) {
  return cat({ether(o.to_mac, Mac(kPeerMac), 0x8864), pppoe});
}

// The peer's frames of a session (tunnel 1 for L2TP), around a whole PPP
// frame (address and control fields as the caller has them).
inline Bytes l2tp_frame(const Bytes& ppp, uint16_t sid = 7, const Outer& o = {}) {
  return l2tp_in_udp(l2tp_data(1, sid, ppp), o);
}
inline Bytes pptp_frame(const Bytes& ppp, uint16_t call = 7, uint32_t seq = 0,
                        const Outer& o = {}) {
  return gre_in_ip4(pptp_gre(call, seq, ppp), o);
}
// Padded to Ethernet's 60 bytes with ee, which is not PPP.
inline Bytes pppoe_frame(const Bytes& ppp, uint16_t sid = 7, const Outer& o = {}) {
  Bytes f = pppoe_in_ether(pppoe_session(sid, ppp), o);
  if (f.size() < 60) f.resize(60, 0xee);
  return f;
}

}  // namespace ninet::pipextest
