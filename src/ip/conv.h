// conv.h — the Proto/Conv contract of ip(3) (Plan 9's Proto and Conv), the
// one every transport (icmp, udp, tcp, rudp, gre, esp, ipmux) and pipex's
// L2TP and PPTP stand on.
//
// Every protocol directory is a Proto; every numbered directory under it is
// a Conv. The file tree (src/ns) knows only this contract: a ctl write is
// Proto::ctl_message(), a data write Proto::write_data(), a data read
// Conv::read(), the last close of a conversation's files Proto::last_close();
// status/local/remote/stats are Proto's texts. A protocol adds only its own
// behaviour:
//
//   class Udp : public Proto {
//     void rcv(const IpRx& rx, BlockPtr b) override {      // b at the UDP header
//       Conv* c = demux.find(dport, rx.src, sport, rx.dst); // O(1): 4-tuple, then listener
//       ...; if (!claim_by_hooks(*c, rx, b)) c->enqueue(std::move(b));
//     }
//     void advise(const Advice& a) override { ... a.kind, a.mtu, a.text() ... }
//   };
//
// Lifetime (Plan 9's inuse/gc): clone() reserves a conversation; the last
// close of its files calls the protocol's close(), which either frees it at
// once (true) or keeps it (false: TCP's FIN_WAIT, TIME_WAIT) until the
// protocol calls release(). clone() never hands out a conversation the
// protocol still holds; when none is free it asks gc() first.
//
// Demultiplexing: a conversation that is announced or connected (or is
// connecting) is in its protocol's ConvDemux under (lport, raddr, rport);
// ip(3)'s port rules make that key unique (devip's setluniqueport). A packet
// finds its conversation with one hash lookup for the 4-tuple, then one for
// the listener of the port, then the `announce *` conversation.
//
// Locking: all Conv and Proto state is guarded by the stack lock (Ip::mu).
// Blocking operations (data read and write, listen, connect) wait on the
// conv's condition variable with that lock, and give up when `cancel` turns
// true (FUSE INTERRUPT, 9P Tflush) or the conversation hangs up.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/ipaddr.h"
#include "buf/block.h"
#include "ip/advice.h"

namespace ninet {

class Ip;
class Proto;
class InputHook;
namespace wire {
struct Ip4Repr;
struct Ip6Repr;
}  // namespace wire

// What IP parsed of a packet it delivers: parsed once in IP input and
// passed down with the block (as smoltcp passes ip_repr), so no protocol
// reads the IP header again.
struct IpRx {
  Ipaddr src, dst;    // v4-mapped for IPv4
  int ifc = -1;       // the arriving interface
  uint8_t proto = 0;  // transport protocol (after IPv6 extension headers)
  uint8_t ttl = 0;    // TTL or hop limit as received
  uint8_t tos = 0;    // TOS or traffic class; ECN is the low two bits
  bool v6 = false;
  uint16_t net_len = 0;   // bytes of IP and extension headers before the transport
  uint32_t link = 0;      // Block::kLinkBcast / kLinkMcast / kLinkOther
  bool to_bcast = false;  // dst is a broadcast address (limited or of a subnet of ours)
  const wire::Ip4Repr* ip4 = nullptr;  // the header, for IPv4 (valid during rcv)
  const wire::Ip6Repr* ip6 = nullptr;  // the header, for IPv6 (valid during rcv)

  uint8_t ecn() const { return tos & 3; }  // RFC 3168
  bool to_mcast() const { return dst.is_multicast(); }
};

enum class ConvState { kIdle, kAnnouncing, kAnnounced, kConnecting, kConnected };
std::string_view conv_state_name(ConvState s);  // "Idle", "Announced", ...

// Extra per-conversation state a protocol keeps (TCP's control block...).
struct ConvExt {
  virtual ~ConvExt() = default;
};

// An input hook on a conversation (pipex's L2TP data on a UDP conversation).
struct ConvHook {
  int order;
  InputHook* hook;
};

class Conv {
 public:
  static constexpr size_t kListenQueue = 64;  // NOTES.md: a listen queue holds 64 calls
  static constexpr size_t kReadQueueBytes = 256 * 1024;

  Conv(Proto& p, int index) : proto(p), index(index) {}

  Proto& proto;
  const int index;

  int refs = 0;        // open files (ctl, data, err, listen...)
  bool inuse = false;  // reserved by clone or an incoming call, until freed
  bool held = false;   // its files are closed but the protocol keeps it (close() false)
  std::string owner = "network";
  uint32_t perm = 0660;  // of ctl/data/err/listen (ip(3), NOTES.md)
  ConvState state = ConvState::kIdle;
  Ipaddr laddr, raddr;
  uint16_t lport = 0, rport = 0;
  bool restricted = false;  // connect ...!r
  uint8_t ttl = 255;        // NOTES.md: generic ctl `ttl n` (default 255)
  uint8_t tos = 0;
  bool ignoreadvice = false;
  bool headers = false;  // UDP/ICMPv6 `headers`
  bool hungup = false;   // no more data will arrive (EOF for readers)
  // The peer will send no more, but we may (TCP's CLOSE_WAIT after a FIN):
  // readers see EOF once the queue is empty; writers go on.
  bool rx_done = false;
  // Stream semantics for data reads: a read returns what is queued, up to
  // its count, across and within blocks (TCP). Otherwise one read returns
  // one block and discards what did not fit (datagrams).
  bool stream = false;
  std::string err;                               // the err file: last error text
  std::vector<std::pair<Ipaddr, Ipaddr>> multi;  // addmulti ifc-ip [mcast-ip]

  // Received data for `data` readers, one Block per datagram (or stream chunk).
  std::deque<BlockPtr> rq;
  size_t rq_bytes = 0;
  size_t rq_limit = kReadQueueBytes;
  // Calls waiting for `listen` opens: conversation numbers (queue_call).
  std::deque<int> incall;
  // Readers, writers, listeners and connect() wait here with Ip::mu held.
  std::condition_variable cv;
  // Input hooks on this conversation, lowest order first (InputHooks).
  std::vector<ConvHook> hooks;

  std::unique_ptr<ConvExt> ext;

  // Queues a received block for readers (drops it and returns false if the
  // read queue is full) and wakes them.
  bool enqueue(BlockPtr b);
  // Blocks (with lock held by `l`) until data is queued, the conversation
  // hangs up (returns 0: EOF) or *cancel is set (Err::Interrupted). See
  // `stream` for what one read returns. Tells the protocol (consumed()) when
  // it took data, so TCP can open its window.
  Result<size_t> read(std::unique_lock<std::mutex>& l, std::span<uint8_t> buf,
                      const std::atomic<bool>* cancel);
  // Wakes everyone waiting on the conversation (state change, space to write).
  void wake() { cv.notify_all(); }
  void set_err(const Error& e) { err = e.text(); }
  // True while the conversation is in its protocol's demux table.
  bool hashed() const { return hashed_; }

 private:
  friend class Proto;
  friend class ConvDemux;
  // Clears addresses, queues, options and errors; leaves the demux table.
  void reset();
  bool hashed_ = false;
  // The key it was inserted under (lport, raddr, rport may change later).
  Ipaddr hkey_raddr_;
  uint16_t hkey_lport_ = 0, hkey_rport_ = 0;
  uint16_t port_held_ = 0;  // the local port counted in the allocator (0: none)
};

// Per-protocol demultiplexing (see the top of this file) and the local port
// allocator. Connected conversations live in an open-addressing hash table
// (linear probing, at most half full, backward-shift deletion) whose slots
// hold the whole key and the local address, so a lookup touches one slot,
// usually one cache line, whatever the number of conversations; listeners
// are an array indexed by port and `announce *` is one pointer. The port
// search is amortized O(1) (it goes on from where the last one stopped, as
// devip's). BENCHMARKS.md has the cost at 1,000 to 100,000 conversations.
class ConvDemux {
 public:
  // The conversation for a packet to (dst, dport) from (src, sport): the
  // connected one, else the port's listener (if it announced dst or any
  // address), else the `announce *` one; nullptr if none.
  Conv* find(uint16_t dport, const Ipaddr& src, uint16_t sport, const Ipaddr& dst) const;
  // The conversation with exactly this key, or nullptr.
  Conv* exact(uint16_t lport, const Ipaddr& raddr, uint16_t rport) const;
  bool insert(Conv& c);  // false if the key is taken by another conversation
  void erase(Conv& c);
  size_t size() const { return used_ + listeners_ + (star_ ? 1 : 0); }

  // Port allocator: how many reserved conversations use each local port.
  void hold_port(Conv& c, uint16_t port);
  void drop_port(Conv& c);
  bool port_used(uint16_t port) const { return !users_.empty() && users_[port] != 0; }

 private:
  struct Slot {
    Ipaddr raddr;
    Ipaddr laddr;  // checked against the packet's destination
    uint16_t lport = 0, rport = 0;
    Conv* conv = nullptr;  // nullptr: empty
  };
  static size_t hash(const Ipaddr& raddr, uint16_t lport, uint16_t rport);
  const Slot* slot(uint16_t lport, const Ipaddr& raddr, uint16_t rport) const;
  void grow();
  std::vector<Slot> slots_;  // a power of two in size, or empty
  size_t used_ = 0;
  std::vector<Conv*> listen_;  // by local port (65536, allocated on first use)
  size_t listeners_ = 0;
  Conv* star_ = nullptr;         // `announce *`
  std::vector<uint32_t> users_;  // 65536 counters, allocated on first use
};

struct ProtoStats;

class Proto {
 public:
  Proto(Ip& ip, std::string name, uint8_t ipproto, int max_convs)
      : ip(ip), name(std::move(name)), ipproto(ipproto), max_convs(max_convs) {}
  virtual ~Proto() = default;

  Ip& ip;
  const std::string name;  // directory name: "icmp", "udp", ...
  const uint8_t ipproto;   // IP protocol number it receives
  const int max_convs;

  std::vector<std::unique_ptr<Conv>> convs;
  ConvDemux demux;

  // `clone`: the lowest free conversation, or a new one; NoFree when
  // max_convs are reserved and gc() frees none. Marks it inuse for owner.
  Result<Conv*> clone(std::string_view owner);
  Conv* conv(int index) {
    return index >= 0 && size_t(index) < convs.size() ? convs[size_t(index)].get() : nullptr;
  }

  // A ctl write: the generic messages (connect announce bind ttl tos
  // ignoreadvice addmulti remmulti), then ctl() for the rest. On failure the
  // error text is also left in the conv's err file. `l` holds Ip::mu; connect
  // may wait on it until the conversation leaves Connecting.
  Status ctl_message(Conv& c, std::string_view msg, std::unique_lock<std::mutex>& l,
                     const std::atomic<bool>* cancel);
  // A write of `data`. Datagram protocols take one message per write,
  // after waiting while message_fits() is false (a signal ends the wait).
  // Stream protocols (Conv::stream) take what send_space() allows, and the
  // write waits for space until all is taken; it returns early with the
  // count taken so far (or an error if none) on a signal or a hangup.
  Result<size_t> write_data(Conv& c, std::span<const uint8_t> data, std::unique_lock<std::mutex>& l,
                            const std::atomic<bool>* cancel);
  // `listen` open: waits for an incoming call on an announced conversation
  // and returns the new conversation.
  Result<Conv*> listen(Conv& c, std::unique_lock<std::mutex>& l, const std::atomic<bool>* cancel);
  // The last file of c was closed: calls close(), then frees c unless the
  // protocol keeps it. Calls still queued for an announced c are closed too.
  void last_close(Conv& c);
  // The protocol is done with a conversation it kept: free it (if no file
  // is open on it; otherwise the last close frees it).
  void release(Conv& c);

  // ---- For protocols: incoming calls and the demux table ----
  // A new conversation for a call arriving at listener (same owner and
  // permissions), with these addresses, in state kConnecting or kConnected,
  // in the demux table. NoFree if none is left, AddrInUse if the 4-tuple is.
  Result<Conv*> new_call(Conv& listener, const Ipaddr& laddr, uint16_t lport, const Ipaddr& raddr,
                         uint16_t rport, ConvState st);
  // Queues a call for `listen`; false if the listen queue is full (the
  // protocol then refuses or drops the call).
  bool queue_call(Conv& listener, Conv& call);
  // Adds c to / removes it from the demux table under its current key.
  bool hash(Conv& c) { return demux.insert(c); }
  void unhash(Conv& c) { demux.erase(c); }

  // ---- What a protocol implements ----
  // connect/announce: the generic code has parsed and set raddr/rport and
  // lport (given, or chosen; 0 for `announce *`) and laddr if the message
  // named one, and put the conversation in the demux table; the protocol
  // completes it (choose a local address, start a handshake). The default
  // connect picks laddr and both set the state. A protocol that goes to
  // Connecting/Announcing makes the ctl write wait until it leaves that
  // state (failure text in Conv::err).
  virtual Status connect(Conv& c);
  virtual Status announce(Conv& c);
  virtual Status bind(Conv& c) { return {}; }
  // Protocol-specific ctl messages; args[0] is the verb.
  virtual Status ctl(Conv& c, const std::vector<std::string_view>& args) {
    return Error(Err::BadCtl, std::string(args.empty() ? "" : args[0]));
  }
  // Takes data written to `data` (at most send_space() bytes for a stream
  // protocol); returns how many bytes it took.
  virtual Result<size_t> write(Conv& c, std::span<const uint8_t> data) = 0;
  // Bytes a stream protocol's write() would take now (its free send buffer).
  // When space opens, the protocol calls c.wake().
  virtual size_t send_space(const Conv& c) const { return SIZE_MAX; }
  // For a datagram protocol with flow control (RUDP: at most 100
  // unacknowledged messages per remote): false while a write of msg must
  // wait; the protocol calls c.wake() when that may have changed.
  virtual bool message_fits(const Conv& c, std::span<const uint8_t> msg) const { return true; }
  // Bytes queued to send (status's qout).
  virtual size_t qout(const Conv& c) const { return 0; }
  // A reader took data from c's read queue (TCP may open its window).
  virtual void consumed(Conv& c) {}
  // Input from IP: b starts at the transport header; rx is what IP parsed.
  virtual void rcv(const IpRx& rx, BlockPtr b) = 0;
  // An ICMP error about a packet this protocol sent.
  virtual void advise(const Advice& a) {}
  // A protocol below IP (ether: Ethernet frames of one type on one
  // interface) has no IP protocol number, so IP delivers nothing to it;
  // its connect/announce/bind are its own (own_addresses); and only the
  // stack's owner may clone its conversations, as only the owner may clone
  // an interface (its frames bypass the stack's addresses).
  virtual bool link_level() const { return false; }
  // Not reached by IP protocol number and addr!port: below IP (link_level,
  // ether) or a filter over whole IP packets (ipmux, which sees the packets
  // of every protocol through an input hook). IP delivers nothing to it by
  // number, its connect/announce/bind are its own (own_addresses), and only
  // the stack's owner may clone its conversations: they read or write
  // packets that bypass the stack's addresses and other users'
  // conversations. A flag of its own because ipmux is not below IP
  // (link_level) but needs the same.
  virtual bool raw() const { return link_level(); }
  // connect/announce/bind are not ip(3)'s addr!port (ether's IFC!TYPE, an
  // ipmux filter, esp's addr!spi with a 32-bit SPI): they go to ctl() like
  // any other message of the protocol's own.
  virtual bool own_addresses() const { return raw(); }
  // The status file's content ("Datagram ...\n").
  virtual std::string status(const Conv& c) const;
  // local/remote files: "addr!port\n".
  virtual std::string local(const Conv& c) const;
  virtual std::string remote(const Conv& c) const;
  // The stats file: "Name: value\n" lines.
  virtual std::string stats() const = 0;
  // The last file of c was closed. True: free it now. False: the protocol
  // keeps it (finishing a connection) and calls release() when done.
  virtual bool close(Conv& c) { return true; }
  // clone found no free conversation: free any the protocol can spare.
  virtual void gc() {}

  // ---- Ports ----
  // Local port to use when connect gave none: 5000 upward (ip(3)), or below
  // 1024 when restricted. 0 if none is free.
  uint16_t pick_port(bool restricted);
  // True if another announced or connected conversation has this lport and
  // this remote (raddr zero and rport 0 for announcements), as devip's
  // setluniqueport.
  bool port_in_use(uint16_t lport, const Ipaddr& raddr, uint16_t rport, const Conv* except) const;

 private:
  void free_conv(Conv& c);
  std::set<int> free_;  // numbers of free conversations, lowest first
  // Where pick_port's searches go on from (conv.cc).
  uint16_t next_port_ = 5000, next_restricted_port_ = 600;
};

}  // namespace ninet
