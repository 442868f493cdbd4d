// conv.h — the Proto/Conv contract of ip(3) (Plan 9's Proto and Conv).
//
// Every protocol directory (tcp udp rudp icmp icmpv6 gre esp ipmux) is a Proto;
// every numbered directory under it is a Conv. The file tree (src/ns) knows
// only this contract: it turns a ctl write into Proto::ctl_message(), a data
// write into Proto::write(), a data read into Conv::read(), and renders
// status/local/remote/stats through Proto's methods. A protocol adds only its
// own behaviour: connect/announce semantics, rcv() of packets from IP, its
// status line and stats.
//
// Locking: all Conv and Proto state is guarded by the stack lock (Ip::mu).
// Blocking operations (data read, listen, connect) wait on the conv's
// condition variable with that lock, and give up when `cancel` turns true.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/ipaddr.h"
#include "buf/block.h"

namespace ninet {

class Ip;
class Proto;

enum class ConvState { kIdle, kAnnouncing, kAnnounced, kConnecting, kConnected };
std::string_view conv_state_name(ConvState s);  // "Idle", "Announced", ...

// Extra per-conversation state a protocol keeps (TCP's control block...).
struct ConvExt {
  virtual ~ConvExt() = default;
};

class Conv {
 public:
  static constexpr size_t kListenQueue = 64;  // NOTES.md: a listen queue holds 64 calls
  static constexpr size_t kReadQueueBytes = 256 * 1024;

  Conv(Proto& p, int index) : proto(p), index(index) {}

  Proto& proto;
  const int index;

  // Set while some file of the conversation is open (ctl, data, err...).
  int refs = 0;
  bool inuse = false;
  std::string owner = "network";
  uint32_t perm = 0660;  // mode of ctl/data/err/listen; the tree sets it with owner (clone, listen)
  ConvState state = ConvState::kIdle;
  Ipaddr laddr, raddr;
  uint16_t lport = 0, rport = 0;
  bool restricted = false;  // connect ...!r
  uint8_t ttl = 255;        // NOTES.md: generic ctl `ttl n` (default 255)
  uint8_t tos = 0;
  bool ignoreadvice = false;
  bool headers = false;                          // UDP/ICMPv6 `headers`
  bool hungup = false;                           // no more data will arrive (EOF for readers)
  std::string err;                               // the err file: last error text
  std::vector<std::pair<Ipaddr, Ipaddr>> multi;  // addmulti ifc-ip [mcast-ip]

  // Received data for `data` readers, one Block per datagram (or stream chunk).
  std::deque<BlockPtr> rq;
  size_t rq_bytes = 0;
  // Accepted calls waiting for `listen` opens: conversation numbers.
  std::deque<int> incall;
  // Readers, listeners and connect() wait here with Ip::mu held.
  std::condition_variable cv;

  std::unique_ptr<ConvExt> ext;

  // Queues a received block for readers (drops it and returns false if the
  // read queue is full) and wakes them.
  bool enqueue(BlockPtr b);
  // Blocks (with lock held by `l`) until a block is queued, the conversation
  // hangs up (returns 0: EOF) or *cancel is set (Err::Interrupted). Datagram
  // semantics: one read returns one block, excess is discarded (ip(3) UDP).
  Result<size_t> read(std::unique_lock<std::mutex>& l, std::span<uint8_t> buf,
                      const std::atomic<bool>* cancel);
  // Resets to Idle and clears addresses, queues and errors (last close).
  void reset();
  void set_err(const Error& e) { err = e.text(); }
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

  // `clone`: the lowest free conversation (refs == 0, Idle), or a new one;
  // NoFree when max_convs are in use. Marks it inuse.
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
  // `listen` open: waits for an incoming call on an announced conversation
  // and returns the new conversation.
  Result<Conv*> listen(Conv& c, std::unique_lock<std::mutex>& l, const std::atomic<bool>* cancel);

  // ---- What a protocol implements ----
  // connect/announce: the generic code has parsed and set raddr/rport and
  // lport (given, or from pick_port; 0 for `announce *`) and laddr if the
  // message named one; the protocol completes it (choose a local address,
  // start a handshake). The default connect picks laddr and both set the
  // state. A protocol that goes to Connecting/Announcing makes the ctl write
  // wait until it leaves that state (failure text in Conv::err).
  virtual Status connect(Conv& c);
  virtual Status announce(Conv& c);
  virtual Status bind(Conv& c) { return {}; }
  // Protocol-specific ctl messages; args[0] is the verb.
  virtual Status ctl(Conv& c, const std::vector<std::string_view>& args) {
    return Error(Err::BadCtl, std::string(args.empty() ? "" : args[0]));
  }
  // A write of `data`: one write is one message for datagram protocols.
  virtual Result<size_t> write(Conv& c, std::span<const uint8_t> data) = 0;
  // Input from IP: b starts at the transport header, ifc is the input ifc,
  // src/dst the IP addresses (v4-mapped for IPv4), ttl of the packet.
  virtual void rcv(int ifc, const Ipaddr& src, const Ipaddr& dst, BlockPtr b) = 0;
  // An ICMP error about a packet this protocol sent: `inner` starts at our
  // transport header (as much as the error quoted), msg is the text
  // ("port unreachable"...).
  virtual void advise(const Ipaddr& src, const Ipaddr& dst, std::span<const uint8_t> inner,
                      std::string_view msg) {}
  // The status file's content ("Datagram ...\n").
  virtual std::string status(const Conv& c) const;
  // local/remote files: "addr!port\n".
  virtual std::string local(const Conv& c) const;
  virtual std::string remote(const Conv& c) const;
  // The stats file: "Name: value\n" lines.
  virtual std::string stats() const = 0;
  // Called on the last close of a conversation's files, before reset().
  virtual void close(Conv& c) {}
  // Local port to use when connect gave none: 5000 upward (ip(3)), or below
  // 1024 when restricted. 0 if none is free.
  uint16_t pick_port(bool restricted) const;
  // True if another announced or connected conversation has this lport and
  // this remote (raddr zero and rport 0 for announcements), as devip's
  // setluniqueport.
  bool port_in_use(uint16_t lport, const Ipaddr& raddr, uint16_t rport, const Conv* except) const;

 private:
  // Where pick_port's searches go on from (conv.cc).
  mutable uint16_t next_port_ = 5000, next_restricted_port_ = 600;
};

}  // namespace ninet
