// medium.h — Medium: what an interface is bound to (Plan 9's Medium, devip's
// `bind ether|pkt|netdev|loopback`). A medium moves batches of packets between
// the stack and something outside it; it knows nothing about IP.
//
// A medium either carries Ethernet frames (link_header() == true: every block
// starts with the 14-byte Ethernet header, and the stack does ARP/ND) or bare
// IP packets (pkt, netdev/TUN, loopback, pipex sessions).
//
// The engine thread polls fd() for readability (or calls recv() when wake() was
// signalled) and calls recv() until it returns 0; it calls send() with the
// batch it collected for this medium. Neither may block for long.
//
//   class Tap : public Medium { ... };
//   Batch in;  m.recv(in, pool, 64);   for (auto& b : in) ip.input(ifc, std::move(b));
//   Batch out; ...;  m.send(out);       // takes the blocks; out is left empty
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/ipaddr.h"
#include "buf/block.h"

namespace ninet {

struct MediumStats {
  uint64_t in_packets = 0, out_packets = 0;
  uint64_t in_errors = 0, out_errors = 0;
  uint64_t in_bytes = 0, out_bytes = 0;
  // Frames lost inside the medium, by cause (each also in in_errors or
  // out_errors), so that a loss can be traced to where it happened:
  uint64_t in_ring_drops = 0;  // the kernel found the receive ring full
  uint64_t in_truncated = 0;   // cut short (bigger than a ring slot) or a runt
  uint64_t out_ring_full = 0;  // no free transmit slot or frame
  uint64_t out_refused = 0;    // the device refused them (EAGAIN, ENOBUFS, link down)
};

// What a medium is and does, asked by the stack instead of testing its
// name or type. Each medium sets its own in its constructor.
struct MediumCaps {
  // The interface's whole network is local (127/8 on a loopback, as Linux).
  bool loopback = false;
  // recv() can return input: the engine polls it. False for output-only
  // media (a pipex session's interface, whose input arrives by Ip::inject).
  bool receives = true;
  // A user program reads and writes the packets on the interface's `data`
  // file (bind pkt): the medium is a PktMedium.
  bool user_data = false;
  // send() takes blocks marked Block::kCsumPartial and has their TCP/UDP
  // checksum finished after it (a virtio-net header, a device's offload);
  // for other media IP finishes it before send().
  bool csum_offload = false;
  // send() takes TCP large segments (Block::gso_size > 0) of up to this many
  // bytes of IP packet and has them segmented after it (GSO/TSO); 0: IP cuts
  // them into wire-sized segments first (media/offload.h).
  uint32_t gso_max = 0;
};

class Medium {
 public:
  virtual ~Medium() = default;

  MediumCaps caps;

  // "ether", "pkt", "netdev", "loopback" (the word used in `bind` and `status`).
  virtual std::string_view name() const = 0;
  // True if blocks carry an Ethernet header.
  virtual bool link_header() const { return false; }
  // Hardware address (zero for media without one).
  virtual Mac hwaddr() const { return Mac(); }
  // Default MTU for `add` without an mtu: 1514 ether, 4096 pkt (ip(3)).
  virtual int default_mtu() const = 0;
  // Smallest and largest MTU the medium accepts for `mtu n`.
  virtual int min_mtu() const { return 68; }
  virtual int max_mtu() const { return 65535; }

  // A file descriptor that becomes readable when recv() has work, or -1 if the
  // medium signals through the notifier set with set_notify().
  virtual int fd() const { return -1; }
  // Called by media without an fd (loopback, pkt) when they have input queued.
  void set_notify(std::function<void()> fn) { notify_ = std::move(fn); }

  // Appends up to max received blocks to out; returns how many. Non-blocking.
  virtual size_t recv(Batch& out, Pool& pool, size_t max) = 0;
  // Sends every block in batch (and clears it). Blocks that cannot be sent are
  // dropped and counted in out_errors.
  virtual void send(Batch& batch) = 0;

  // Optional abilities; the default answers "not supported by this medium".
  virtual Status set_promiscuous(bool on) { return Err::NotSupported; }
  virtual Status add_multi(const Mac& m) { return Err::NotSupported; }
  virtual Status rem_multi(const Mac& m) { return Err::NotSupported; }
  virtual Status bridge() { return Err::NotSupported; }
  virtual Status scanbs() { return Err::NotSupported; }
  // `connect type` on the ifc ctl: mark an Ethernet type in use.
  virtual Status connect_type(int type) { return Err::NotSupported; }
  // `headersonly`.
  virtual Status headers_only() { return Err::NotSupported; }

  // Called once when the medium is bound to interface number ifc.
  virtual void attached(int ifc) {}

  // Called once when the interface is unbound, before destruction, from a
  // thread that is not the engine's poll loop.
  virtual void close() {}

  const MediumStats& stats() const { return stats_; }

 protected:
  void notify() {
    if (notify_) notify_();
  }
  MediumStats stats_;

 private:
  std::function<void()> notify_;
};

}  // namespace ninet
