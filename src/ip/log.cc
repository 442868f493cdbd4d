#include "ip/log.h"

#include <cstring>
#include <vector>

#include "base/fields.h"

namespace ninet {

namespace {
constexpr std::string_view kItems[] = {"ppp",    "ip",       "fs",  "tcp",    "icmp",
                                       "udp",    "compress", "gre", "tcpwin", "tcprxmt",
                                       "udpmsg", "ipmsg",    "esp"};
static_assert(std::size(kItems) == size_t(LogItem::kCount));

}  // namespace

Status Log::ctl(std::string_view msg) {
  auto f = ctl_fields(msg);
  if (f.empty()) return Error(Err::BadCtl, "empty log control");
  if (f[0] == "only") {
    if (f.size() != 2) return Error(Err::BadArg, "only addr");
    auto a = Ipaddr::parse(f[1]);
    if (!a) return a.error();
    std::lock_guard<std::mutex> g(mu_);
    only_set_ = !a->is_zero();
    only_ = *a;
    return {};
  }
  bool set = f[0] == "set";
  if (!set && f[0] != "clear") return Error(Err::BadCtl, std::string(f[0]));
  uint32_t bits = 0;
  for (size_t i = 1; i < f.size(); i++) {
    size_t k = 0;
    while (k < std::size(kItems) && kItems[k] != f[i])
      k++;
    if (k == std::size(kItems)) return Error(Err::BadArg, "unknown log item " + std::string(f[i]));
    bits |= 1u << k;
  }
  if (set)
    mask_ |= bits;
  else
    mask_ &= ~bits;
  return {};
}

void Log::print(LogItem item, const Ipaddr& src, const Ipaddr& dst, std::string_view text) {
  if (!enabled(item)) return;
  std::string line;
  {
    std::lock_guard<std::mutex> g(mu_);
    if (only_set_ && src != only_ && dst != only_) return;
  }
  line.reserve(text.size() + 64);
  line += kItems[int(item)];
  line += ": ";
  line += src.str();
  line += " -> ";
  line += dst.str();
  line += ": ";
  line += text;
  line += '\n';
  append(line);
}

void Log::print(std::string_view text) {
  if (readers_.load() == 0) return;
  std::string line(text);
  line += '\n';
  append(line);
}

void Log::append(std::string_view s) {
  std::lock_guard<std::mutex> g(mu_);
  ring_.append(s);
  if (ring_.size() > kSize) ring_.erase(0, ring_.size() - kSize);
  cv_.notify_all();
}

void Log::open() {
  readers_++;
}

void Log::close() {
  if (--readers_ == 0) {
    std::lock_guard<std::mutex> g(mu_);
    ring_.clear();
  }
}

void Log::shutdown() {
  std::lock_guard<std::mutex> g(mu_);
  shut_ = true;
  cv_.notify_all();
}

Result<size_t> Log::read(std::span<uint8_t> buf, const std::atomic<bool>* cancel) {
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait(l, [&] { return !ring_.empty() || shut_ || (cancel && cancel->load()); });
  if (ring_.empty()) return shut_ ? Err::Shutdown : Err::Interrupted;
  size_t n = std::min(buf.size(), ring_.size());
  std::memcpy(buf.data(), ring_.data(), n);
  ring_.erase(0, n);
  return n;
}

}  // namespace ninet
