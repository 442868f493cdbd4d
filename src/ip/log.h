// log.h — /net/log: debugging lines about bad packets and chosen items, kept
// in a 16 KiB ring that fills only while someone has the file open (ip(3),
// NOTES.md). Items are the page's: ppp ip fs tcp icmp udp compress gre tcpwin
// tcprxmt udpmsg ipmsg esp; `only addr` restricts packet lines to an address.
//
//   Log log;
//   log.ctl("set ip icmp");                 // from a write of /net/log
//   log.print(LogItem::kIp, src, dst, "bad header checksum");
//   // a reader: log.open(); log.read(buf, cancel) blocks until text; log.close();
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/ipaddr.h"

namespace ninet {

enum class LogItem : int {
  kPpp,
  kIp,
  kFs,
  kTcp,
  kIcmp,
  kUdp,
  kCompress,
  kGre,
  kTcpwin,
  kTcprxmt,
  kUdpmsg,
  kIpmsg,
  kEsp,
  kCount
};

class Log {
 public:
  static constexpr size_t kSize = 16 * 1024;

  // "set item...", "clear item...", "only addr" (0 or :: clears the filter).
  Status ctl(std::string_view msg);
  bool enabled(LogItem item) const {
    return readers_.load(std::memory_order_relaxed) > 0 &&
           (mask_.load(std::memory_order_relaxed) >> int(item) & 1);
  }
  // Appends one line (a newline is added) if item is enabled and, when an
  // `only` address is set, src or dst equals it. Oldest text is overwritten.
  void print(LogItem item, const Ipaddr& src, const Ipaddr& dst, std::string_view text);
  // A line not tied to a packet (ctl errors): logged whenever someone reads.
  void print(std::string_view text);

  void open();
  void close();
  // Blocks until text is available or *cancel becomes true (Err::Interrupted).
  Result<size_t> read(std::span<uint8_t> buf, const std::atomic<bool>* cancel);
  // Wakes blocked readers (after setting their cancel flag).
  void wake_readers() { cv_.notify_all(); }
  // From now on reads fail with Err::Shutdown instead of blocking.
  void shutdown();

 private:
  void append(std::string_view s);
  std::atomic<int> readers_{0};
  std::atomic<uint32_t> mask_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  Ipaddr only_;
  bool only_set_ = false;
  bool shut_ = false;
  std::string ring_;  // pending text, at most kSize bytes (oldest dropped)
};

}  // namespace ninet
