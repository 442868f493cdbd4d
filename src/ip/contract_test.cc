// Tests of the Proto/Conv contract v2 (conv.h) and the input hooks
// (hooks.h) that transports and pipex stand on: what IP hands a protocol
// (IpRx), demultiplexing, the protocol's say over a conversation's
// lifetime, stream reads and blocking writes, incoming calls, hooks by
// ethertype, IP protocol and conversation, and Ip::inject.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <random>
#include <thread>
#include <tuple>

#include "ip/hooks.h"
#include "ip/ip.h"
#include "media/testing.h"
#include "wire/ether.h"
#include "wire/ip4.h"
#include "wire/ip6.h"

namespace ninet {
namespace {

constexpr uint8_t kProtoNum = 253;  // RFC 3692 experimentation

// A protocol whose stream mode, send buffer and close are set by the test,
// and which records what IP delivers.
class Recorder : public Proto {
 public:
  explicit Recorder(Ip& ip, int max = 1024, std::string name = "rec", uint8_t num = kProtoNum)
      : Proto(ip, std::move(name), num, max) {}
  Result<size_t> write(Conv&, std::span<const uint8_t> d) override {
    size_t n = std::min(d.size(), space);
    space -= n;
    written.insert(written.end(), d.begin(), d.begin() + long(n));
    return n;
  }
  size_t send_space(const Conv&) const override { return space; }
  size_t qout(const Conv&) const override { return written.size(); }
  void consumed(Conv&) override { consumed_calls++; }
  void rcv(const IpRx& rx, BlockPtr b) override {
    got.push_back(rx);
    got.back().ip4 = nullptr;  // valid only during rcv
    got.back().ip6 = nullptr;
    payloads.emplace_back(b->data(), b->data() + b->size());
  }
  std::string stats() const override { return ""; }
  bool close(Conv& c) override {
    closes++;
    return !keep_on_close;
  }
  void gc() override { gcs++; }

  size_t space = SIZE_MAX;
  std::vector<uint8_t> written;
  std::vector<IpRx> got;
  std::vector<std::vector<uint8_t>> payloads;
  int consumed_calls = 0, closes = 0, gcs = 0;
  bool keep_on_close = false;
};

struct ContractTest : ::testing::Test {
  ManualClock clock;
  Pool pool;
  std::vector<TestMedium*> media;
  Ip ip{clock, pool, TestMedium::factory(&media)};
  Recorder* rec = nullptr;
  Ifc* eth = nullptr;
  std::unique_lock<std::mutex> l{ip.mu};

  void SetUp() override {
    auto p = std::make_unique<Recorder>(ip);
    rec = p.get();
    ip.add_proto(std::move(p));
    eth = *ip.ifc_clone();
    ASSERT_TRUE(ip.ifc_ctl(*eth, "bind ether eth0").ok());
    ASSERT_TRUE(ip.ifc_ctl(*eth, "add 10.0.0.1 255.255.255.0").ok());
    ASSERT_TRUE(ip.ifc_ctl(*eth, "add6 fd00::1 64").ok());
  }
  Conv* clone() {
    auto c = rec->clone("me");
    EXPECT_TRUE(c.ok());
    return c.ok() ? *c : nullptr;
  }
  Status ctl(Conv* c, std::string_view msg, const std::atomic<bool>* cancel = nullptr) {
    return rec->ctl_message(*c, msg, l, cancel);
  }
  BlockPtr block(std::string_view s) {
    return pool.copy(reinterpret_cast<const uint8_t*>(s.data()), uint32_t(s.size()));
  }
  // An IPv4 packet of protocol `proto` in an Ethernet frame to our MAC (or
  // to the broadcast MAC), carrying `payload`.
  BlockPtr frame4(const Ipaddr& src, const Ipaddr& dst, std::string_view payload,
                  uint8_t proto = kProtoNum, uint8_t ttl = 33, uint8_t tos = 0x2a,
                  bool bcast = false) {
    BlockPtr b = block(payload);
    wire::Ip4Repr h;
    h.src = src;
    h.dst = dst;
    h.proto = proto;
    h.ttl = ttl;
    h.tos = tos;
    h.total_len = uint16_t(20 + payload.size());
    h.emit(b->push(20));
    wire::EtherRepr e{bcast ? Mac::broadcast() : eth->mac, *Mac::parse("02:00:00:00:00:09"),
                      wire::ethertype::kIp4};
    e.emit(b->push(wire::EtherRepr::kLen));
    return b;
  }
  void input(BlockPtr b) {
    Batch batch;
    batch.push_back(std::move(b));
    ip.input(*eth, batch);
  }
};

Ipaddr A(std::string_view s) {
  return *Ipaddr::parse(s);
}

// ---- What IP hands a protocol ----

TEST_F(ContractTest, RcvGetsWhatIpParsedOnce) {
  input(frame4(A("10.0.0.9"), A("10.0.0.1"), "hello", kProtoNum, 33, 0x2b));
  ASSERT_EQ(rec->got.size(), 1u);
  const IpRx& rx = rec->got[0];
  EXPECT_EQ(rx.src, A("10.0.0.9"));
  EXPECT_EQ(rx.dst, A("10.0.0.1"));
  EXPECT_EQ(rx.ifc, eth->index);
  EXPECT_EQ(rx.proto, kProtoNum);
  EXPECT_EQ(rx.ttl, 33);
  EXPECT_EQ(rx.tos, 0x2b);
  EXPECT_EQ(rx.ecn(), 3) << "RFC 3168: CE is the low two bits";
  EXPECT_FALSE(rx.v6);
  EXPECT_EQ(rx.net_len, 20);
  EXPECT_EQ(rx.link, 0u);
  EXPECT_FALSE(rx.to_bcast);
  EXPECT_EQ(rec->payloads[0], std::vector<uint8_t>({'h', 'e', 'l', 'l', 'o'}))
      << "the block starts at the transport header";

  input(frame4(A("10.0.0.9"), A("10.0.0.255"), "x", kProtoNum, 1, 0, true));
  ASSERT_EQ(rec->got.size(), 2u);
  EXPECT_EQ(rec->got[1].link, Block::kLinkBcast);
  EXPECT_TRUE(rec->got[1].to_bcast) << "the subnet broadcast address";
}

TEST_F(ContractTest, RcvOfIpv6SkipsExtensionHeaders) {
  // IPv6 with a hop-by-hop options header (8 bytes of PadN) before the payload.
  std::string payload = "v6!";
  BlockPtr b = block(payload);
  uint8_t* hbh = b->push(8);
  hbh[0] = kProtoNum;  // next header
  hbh[1] = 0;          // length: 8 bytes
  hbh[2] = 1;          // PadN
  hbh[3] = 4;
  std::fill(hbh + 4, hbh + 8, 0);
  wire::Ip6Repr h;
  h.src = A("fd00::9");
  h.dst = A("fd00::1");
  h.next_header = 0;  // hop-by-hop
  h.hop_limit = 17;
  h.traffic_class = 0x01;
  h.payload_len = uint16_t(8 + payload.size());
  h.emit(b->push(40));
  wire::EtherRepr e{eth->mac, *Mac::parse("02:00:00:00:00:09"), wire::ethertype::kIp6};
  e.emit(b->push(wire::EtherRepr::kLen));
  input(std::move(b));
  ASSERT_EQ(rec->got.size(), 1u);
  EXPECT_TRUE(rec->got[0].v6);
  EXPECT_EQ(rec->got[0].proto, kProtoNum);
  EXPECT_EQ(rec->got[0].net_len, 48);
  EXPECT_EQ(rec->got[0].ttl, 17);
  EXPECT_EQ(rec->got[0].ecn(), 1);
  EXPECT_EQ(rec->payloads[0].size(), 3u);
}

// ---- Demultiplexing and ports ----

TEST_F(ContractTest, DemuxFindsTheConnectionThenTheListenerThenAnnounceStar) {
  Conv* conn = clone();
  ASSERT_TRUE(ctl(conn, "connect 10.0.0.9!80 7000").ok());
  Conv* lis = clone();
  ASSERT_TRUE(ctl(lis, "announce 7000").ok()) << "a listener may share a connection's port";
  Conv* star = clone();
  ASSERT_TRUE(ctl(star, "announce *").ok());
  Conv* other = clone();
  ASSERT_TRUE(ctl(other, "announce 10.0.0.1!7001").ok());
  const Ipaddr us = A("10.0.0.1");
  EXPECT_EQ(rec->demux.find(7000, A("10.0.0.9"), 80, us), conn);
  EXPECT_EQ(rec->demux.find(7000, A("10.0.0.9"), 81, us), lis) << "another remote port";
  EXPECT_EQ(rec->demux.find(7000, A("10.0.0.8"), 80, us), lis) << "another remote";
  EXPECT_EQ(rec->demux.find(7001, A("10.0.0.8"), 80, us), other);
  EXPECT_EQ(rec->demux.find(7001, A("10.0.0.8"), 80, A("10.0.0.2")), star)
      << "announced on 10.0.0.1 only: to another address goes to announce *";
  EXPECT_EQ(rec->demux.find(9999, A("10.0.0.8"), 80, us), star);
  rec->last_close(*star);
  EXPECT_EQ(rec->demux.find(9999, A("10.0.0.8"), 80, us), nullptr);
  rec->last_close(*conn);
  EXPECT_EQ(rec->demux.find(7000, A("10.0.0.9"), 80, us), lis) << "freed: out of the table";
  EXPECT_EQ(rec->demux.size(), 2u);
}

TEST_F(ContractTest, AFailedConnectLeavesNothingInTheTable) {
  Conv* c = clone();
  EXPECT_FALSE(ctl(c, "connect 10.0.0.9!80 7000 junk").ok());
  EXPECT_FALSE(ctl(c, "connect 192.0.2.1!80").ok()) << "no route";
  EXPECT_EQ(rec->demux.size(), 0u);
  EXPECT_FALSE(c->hashed());
  EXPECT_FALSE(rec->demux.port_used(5000)) << "the chosen port was given back";
}

TEST_F(ContractTest, AHundredThousandConversationsEachFoundByItsOwnKey) {
  auto remote = [](int i) {
    return Ipaddr::v4(10, uint8_t(1 + i / 62500), uint8_t(i / 250 % 250), uint8_t(i % 250 + 2));
  };
  // O(1) per packet is a hash lookup; here the functional half: every
  // conversation is found, none is confused with another.
  auto p = std::make_unique<Recorder>(ip, 200000, "big", 252);
  Recorder* big = p.get();
  ip.add_proto(std::move(p));
  std::string tag;
  ASSERT_TRUE(ip.route_ctl("add 0.0.0.0 0.0.0.0 10.0.0.254", tag).ok());
  const Ipaddr us = A("10.0.0.1");
  std::vector<Conv*> cs;
  for (int i = 0; i < 100000; i++) {
    Conv* c = *big->clone("me");
    std::string msg = "connect " + remote(i).str() + "!" + std::to_string(1000 + i % 7) + " 4000";
    ASSERT_TRUE(big->ctl_message(*c, msg, l, nullptr).ok()) << msg;
    cs.push_back(c);
  }
  EXPECT_EQ(big->demux.size(), 100000u);
  for (int i = 0; i < 100000; i += 997) {
    Ipaddr r = remote(i);
    EXPECT_EQ(big->demux.find(4000, r, uint16_t(1000 + i % 7), us), cs[size_t(i)]);
    EXPECT_EQ(big->demux.find(4000, r, uint16_t(1000 + (i + 1) % 7), us), nullptr);
  }
  // The port allocator skips the port they share.
  EXPECT_NE(big->pick_port(false), 4000);
}

TEST_F(ContractTest, TheDemuxTableAgreesWithAReferenceUnderChurn) {
  // Random inserts and erases with few distinct addresses and ports, so
  // probe runs collide and wrap: every lookup agrees with a std::map.
  std::mt19937 rng(7);
  std::vector<Conv*> cs;
  for (int i = 0; i < 600; i++)
    cs.push_back(clone());
  std::map<std::tuple<Ipaddr, uint16_t, uint16_t>, Conv*> ref;
  ConvDemux d;
  auto key = [](const Conv* c) { return std::make_tuple(c->raddr, c->lport, c->rport); };
  for (int step = 0; step < 20000; step++) {
    Conv* c = cs[rng() % cs.size()];
    if (c->hashed()) {
      d.erase(*c);
      ref.erase(key(c));
    } else {
      c->raddr = rng() % 8 == 0 ? Ipaddr() : Ipaddr::v4(10, 0, 0, uint8_t(rng() % 40));
      c->lport = uint16_t(rng() % 30);
      c->rport = c->raddr.is_zero() ? 0 : uint16_t(rng() % 30);
      bool fresh = !ref.count(key(c));
      EXPECT_EQ(d.insert(*c), fresh);
      if (fresh) ref[key(c)] = c;
    }
    if (step % 97 == 0) {
      for (auto& [k, conv] : ref)
        ASSERT_EQ(d.exact(std::get<1>(k), std::get<0>(k), std::get<2>(k)), conv) << step;
      ASSERT_EQ(d.size(), ref.size());
      ASSERT_EQ(d.exact(31, Ipaddr::v4(10, 0, 0, 1), 5), nullptr);
    }
  }
  for (Conv* c : cs)
    d.erase(*c);
  EXPECT_EQ(d.size(), 0u);
}

// ---- Lifetime ----

TEST_F(ContractTest, TheProtocolKeepsAConversationAfterItsLastClose) {
  rec->keep_on_close = true;
  Conv* c = clone();
  ASSERT_TRUE(ctl(c, "connect 10.0.0.9!80").ok());
  c->refs = 1;
  c->refs--;
  rec->last_close(*c);  // as the tree does when the last file closes
  EXPECT_EQ(rec->closes, 1);
  EXPECT_TRUE(c->inuse);
  EXPECT_TRUE(c->held);
  EXPECT_TRUE(c->hashed()) << "still receives (TCP's FIN_WAIT, TIME_WAIT)";
  Conv* d = clone();
  EXPECT_NE(d, c) << "clone never hands out a held conversation";
  rec->release(*c);
  EXPECT_FALSE(c->inuse);
  EXPECT_FALSE(c->hashed());
  EXPECT_EQ(clone(), c) << "free again, and the lowest";
}

TEST_F(ContractTest, CloneAsksTheProtocolToCollectWhenNoneIsFree) {
  auto p = std::make_unique<Recorder>(ip, 2, "small", 251);
  Recorder* small = p.get();
  ip.add_proto(std::move(p));
  Conv* a = *small->clone("me");
  ASSERT_TRUE(small->clone("me").ok());
  EXPECT_EQ(small->gcs, 0);
  auto none = small->clone("me");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code(), Err::NoFree);
  EXPECT_EQ(small->gcs, 1);
  small->last_close(*a);
  EXPECT_EQ(*small->clone("me"), a);
}

// ---- Stream reads and blocking writes ----

TEST_F(ContractTest, AStreamReadReturnsWhatIsThereUpToTheCount) {
  Conv* c = clone();
  c->stream = true;
  c->enqueue(block("abc"));
  c->enqueue(block("defgh"));
  uint8_t buf[16];
  auto n = c->read(l, {buf, 4}, nullptr);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), *n), "abcd") << "across blocks";
  EXPECT_EQ(c->rq_bytes, 4u);
  n = c->read(l, {buf, 16}, nullptr);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), *n), "efgh") << "the rest, without waiting";
  EXPECT_EQ(rec->consumed_calls, 2);
  // A datagram conversation: one block per read, the rest discarded.
  Conv* d = clone();
  d->enqueue(block("datagram"));
  n = d->read(l, {buf, 4}, nullptr);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), *n), "data");
  EXPECT_EQ(d->rq_bytes, 0u);
}

TEST_F(ContractTest, AStreamWriteWaitsForSpaceUntilAllIsTaken) {
  Conv* c = clone();
  c->stream = true;
  rec->space = 3;
  std::string data = "0123456789";
  std::atomic<bool> cancel{false};
  Result<size_t> r = size_t(0);
  std::atomic<bool> done{false};
  l.unlock();
  std::thread w([&] {
    std::unique_lock<std::mutex> wl(ip.mu);
    r = rec->write_data(*c, {reinterpret_cast<const uint8_t*>(data.data()), data.size()}, wl,
                        &cancel);
    done = true;
  });
  // Open the window a few bytes at a time, as ACKs would.
  for (int i = 0; i < 200 && !done; i++) {
    {
      std::lock_guard<std::mutex> g(ip.mu);
      if (rec->space == 0) {
        rec->space = 2;
        c->wake();
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  w.join();
  l.lock();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, data.size());
  EXPECT_EQ(std::string(rec->written.begin(), rec->written.end()), data)
      << "in order, nothing lost";
  EXPECT_EQ(rec->status(*c), "Idle qin 0 qout 10\n") << "qout from the protocol";
}

TEST_F(ContractTest, ABlockedWriteEndsOnASignalWithWhatWasTaken) {
  Conv* c = clone();
  c->stream = true;
  rec->space = 4;
  std::atomic<bool> cancel{false};
  Result<size_t> r = size_t(0);
  std::atomic<bool> done{false};
  std::string data = "0123456789";
  l.unlock();
  std::thread w([&] {
    std::unique_lock<std::mutex> wl(ip.mu);
    r = rec->write_data(*c, {reinterpret_cast<const uint8_t*>(data.data()), data.size()}, wl,
                        &cancel);
    done = true;
  });
  // Wait until the writer has taken the 4 bytes and blocks, then interrupt.
  for (int i = 0; i < 1000; i++) {
    {
      std::lock_guard<std::mutex> g(ip.mu);
      if (rec->written.size() == 4) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  cancel = true;
  {
    std::lock_guard<std::mutex> g(ip.mu);
    c->wake();
  }
  w.join();
  l.lock();
  ASSERT_TRUE(r.ok()) << "bytes were taken: the write reports them, as write(2)";
  EXPECT_EQ(*r, 4u);
  // Nothing taken: the error.
  cancel = true;
  auto r2 = rec->write_data(*c, {reinterpret_cast<const uint8_t*>(data.data()), 1}, l, &cancel);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().code(), Err::Interrupted);
  c->hungup = true;
  cancel = false;
  r2 = rec->write_data(*c, {reinterpret_cast<const uint8_t*>(data.data()), 1}, l, &cancel);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().code(), Err::Hangup);
}

// ---- Incoming calls ----

TEST_F(ContractTest, IncomingCallsQueueForListen) {
  Conv* lis = clone();
  ASSERT_TRUE(ctl(lis, "announce 80").ok());
  lis->perm = 0640;
  auto call = rec->new_call(*lis, A("10.0.0.1"), 80, A("10.0.0.9"), 5555, ConvState::kConnected);
  ASSERT_TRUE(call.ok());
  EXPECT_EQ((*call)->owner, "me");
  EXPECT_EQ((*call)->perm, 0640u);
  EXPECT_EQ(rec->demux.find(80, A("10.0.0.9"), 5555, A("10.0.0.1")), *call);
  auto dup = rec->new_call(*lis, A("10.0.0.1"), 80, A("10.0.0.9"), 5555, ConvState::kConnected);
  ASSERT_FALSE(dup.ok()) << "one conversation per 4-tuple";
  EXPECT_TRUE(rec->queue_call(*lis, **call));
  auto got = rec->listen(*lis, l, nullptr);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, *call);
  // The queue holds 64 calls (NOTES.md).
  for (int i = 0; i < 64; i++) {
    auto c = rec->new_call(*lis, A("10.0.0.1"), 80, A("10.0.0.9"), uint16_t(6000 + i),
                           ConvState::kConnected);
    ASSERT_TRUE(c.ok());
    EXPECT_TRUE(rec->queue_call(*lis, **c));
  }
  auto extra = rec->new_call(*lis, A("10.0.0.1"), 80, A("10.0.0.9"), 7000, ConvState::kConnected);
  EXPECT_FALSE(rec->queue_call(*lis, **extra));
  // Closing the listener closes the calls nobody accepted.
  int before = rec->closes;
  rec->last_close(*lis);
  EXPECT_EQ(rec->closes, before + 65);
  EXPECT_EQ(rec->demux.find(80, A("10.0.0.9"), 6000, A("10.0.0.1")), nullptr);
}

// ---- Hooks and inject ----

struct Claim : InputHook {
  explicit Claim(std::string name, std::vector<std::string>* log, bool take)
      : name(std::move(name)), log(log), take(take) {}
  bool claim(const HookIn& in, BlockPtr& b) override {
    log->push_back(name);
    last.emplace(in);
    if (!take) return false;
    b.reset();
    return true;
  }
  void conv_closed(Conv&) override { closed++; }
  std::string name;
  std::vector<std::string>* log;
  bool take;
  std::optional<HookIn> last;
  int closed = 0;
};

TEST_F(ContractTest, EtherHooksRunInOrderAndClaimOnlyTheirType) {
  std::vector<std::string> log;
  Claim late("late", &log, true), early("early", &log, false), other("other", &log, true);
  ip.hooks.add_ether(0x8864, &late, 10);
  ip.hooks.add_ether(0x8864, &early, 1);
  ip.hooks.add_ether(0x8863, &other);
  BlockPtr f = block(std::string(30, 'p'));
  wire::EtherRepr{eth->mac, *Mac::parse("02:00:00:00:00:09"), 0x8864}.emit(f->data());
  input(std::move(f));
  EXPECT_EQ(log, (std::vector<std::string>{"early", "late"}));
  ASSERT_TRUE(late.last);
  EXPECT_EQ(late.last->ethertype, 0x8864);
  EXPECT_EQ(&late.last->ifc, eth);
  ip.hooks.remove(&late);
  log.clear();
  f = block(std::string(30, 'p'));
  wire::EtherRepr{eth->mac, *Mac::parse("02:00:00:00:00:09"), 0x8864}.emit(f->data());
  input(std::move(f));
  EXPECT_EQ(log, (std::vector<std::string>{"early"})) << "removed";
}

TEST_F(ContractTest, IpProtocolHooksSeeIpRxAndCanLeaveThePacketToTheProtocol) {
  std::vector<std::string> log;
  Claim pass("pass", &log, false);
  ip.hooks.add_ipproto(kProtoNum, &pass);
  input(frame4(A("10.0.0.9"), A("10.0.0.1"), "abc"));
  ASSERT_EQ(rec->got.size(), 1u) << "not claimed: the protocol gets it unchanged";
  EXPECT_EQ(rec->payloads[0].size(), 3u);
  ASSERT_TRUE(pass.last && pass.last->ip);
  Claim take("take", &log, true);
  ip.hooks.add_ipproto(kProtoNum, &take);
  input(frame4(A("10.0.0.9"), A("10.0.0.1"), "abc"));
  EXPECT_EQ(rec->got.size(), 1u) << "claimed";
  EXPECT_EQ(ip.stats.InDelivers, 2u);
  // A protocol nobody registered, claimed by a hook (pipex's GRE before gre exists).
  Claim gre("gre", &log, true);
  ip.hooks.add_ipproto(47, &gre);
  input(frame4(A("10.0.0.9"), A("10.0.0.1"), "gre!", 47));
  EXPECT_EQ(ip.stats.InUnknownProtos, 0u);
  EXPECT_EQ(log.back(), "gre");
}

TEST_F(ContractTest, ConversationHooksGoWithTheConversation) {
  std::vector<std::string> log;
  Claim l2tp("l2tp", &log, true);
  Conv* c = clone();
  ASSERT_TRUE(ctl(c, "announce 1701").ok());
  ip.hooks.add_conv(*c, &l2tp);
  BlockPtr b = block("payload");
  IpRx rx{.src = A("10.0.0.9"), .dst = A("10.0.0.1"), .ifc = eth->index, .proto = 17};
  EXPECT_TRUE(InputHooks::conv(*eth, *c, rx, 1701, 1701, b));
  ASSERT_TRUE(l2tp.last);
  EXPECT_EQ(l2tp.last->conv, c);
  EXPECT_EQ(l2tp.last->sport, 1701);
  rec->last_close(*c);
  EXPECT_EQ(l2tp.closed, 1) << "the hook hears that its conversation went away";
  EXPECT_TRUE(c->hooks.empty());
}

TEST_F(ContractTest, AnInjectedPacketIsInputAsIfItArrivedOnTheInterface) {
  Ifc* sess = *ip.ifc_clone();
  ASSERT_TRUE(ip.ifc_ctl(*sess, "bind pkt").ok());
  ASSERT_TRUE(ip.ifc_ctl(*sess, "add 10.9.0.1 255.255.255.255 10.9.0.2").ok());
  BlockPtr p = frame4(A("10.9.0.2"), A("10.0.0.1"), "inside");
  p->pull(wire::EtherRepr::kLen);
  ip.inject(*sess, std::move(p));
  EXPECT_TRUE(rec->got.empty()) << "processed at the end of the batch";
  ip.flush();
  ASSERT_EQ(rec->got.size(), 1u);
  EXPECT_EQ(rec->got[0].ifc, sess->index);
  EXPECT_EQ(rec->got[0].src, A("10.9.0.2"));
  // Injected and not for us: forwarded (here out of the Ethernet interface).
  ASSERT_TRUE(ip.ifc_ctl(*sess, "iprouting 1").ok());
  p = frame4(A("10.9.0.2"), A("10.0.0.7"), "through");
  p->pull(wire::EtherRepr::kLen);
  ip.inject(*sess, std::move(p));
  ip.flush();
  EXPECT_EQ(ip.stats.ForwDatagrams, 1u);
}

}  // namespace
}  // namespace ninet

namespace ninet {
namespace {

// Interfaces may stand for sessions: past the old cap of 64, numbered from
// the lowest free, and only those with work are visited (polled_ifcs, and
// flush() sends only for interfaces that queued something).
TEST(ContractIfcs, ManyInterfacesAndOnlyTheBusyOnesAreVisited) {
  ManualClock clock;
  Pool pool;
  std::vector<TestMedium*> media;
  auto open = TestMedium::factory(&media);
  Ip ip{clock, pool, [&](std::string_view kind, std::string_view path) {
          auto m = open(kind, path);
          // Every other medium is output-only, as a session's.
          if (m.ok() && media.size() % 2 == 0) (*m)->caps.receives = false;
          return m;
        }};
  std::lock_guard<std::mutex> g(ip.mu);
  std::vector<Ifc*> fs;
  for (int i = 0; i < 1000; i++) {
    auto f = ip.ifc_clone();
    ASSERT_TRUE(f.ok()) << i;
    ASSERT_TRUE(ip.ifc_ctl(**f, "bind pkt").ok());
    std::string a =
        "add 10." + std::to_string(i / 250) + "." + std::to_string(i % 250) + ".1 255.255.255.0";
    ASSERT_TRUE(ip.ifc_ctl(**f, a).ok());
    fs.push_back(*f);
  }
  EXPECT_EQ(ip.polled_ifcs().size(), 500u);
  ASSERT_TRUE(ip.ifc_ctl(*fs[0], "unbind").ok());
  ip.ifc_release(*fs[0]);
  EXPECT_EQ(ip.polled_ifcs().size(), 499u);
  EXPECT_EQ((*ip.ifc_clone())->index, 0) << "the lowest free number";
  // A packet routed out of interface 700 is sent by the next flush, and
  // only that interface's medium sees a send.
  wire::Ip4Repr h;
  h.src = A("10.0.0.1");
  h.dst = A("10.2.200.9");
  h.proto = kProtoNum;
  h.total_len = 20;
  BlockPtr b = pool.alloc(20);
  h.emit(b->put(20));
  ASSERT_TRUE(ip.output(std::move(b)).ok());
  ip.flush();
  size_t sent = 0;
  for (size_t i = 1; i < media.size(); i++)  // media[0] went with the unbind
    sent += media[i]->sent_count;
  EXPECT_EQ(sent, 1u);
  EXPECT_EQ(media[700]->sent_count, 1u);
}

}  // namespace
}  // namespace ninet
