// hooks.cc — the input hook table (hooks.h).
#include "ip/hooks.h"

namespace ninet {

namespace {
template <typename V, typename E>
void insert_ordered(V& v, E e) {
  // After every entry of the same order: hooks of equal order run in the
  // order they were added.
  auto at = std::upper_bound(v.begin(), v.end(), e.order,
                             [](int o, const auto& x) { return o < x.order; });
  v.insert(at, e);
}
}  // namespace

void InputHooks::add_ether(uint16_t type, InputHook* h, int order) {
  insert_ordered(ether_, Entry{order, type, h});
}

void InputHooks::add_ipproto(uint8_t proto, InputHook* h, int order) {
  insert_ordered(ipproto_[proto], Entry{order, proto, h});
}

void InputHooks::add_conv(Conv& c, InputHook* h, int order) {
  insert_ordered(c.hooks, ConvHook{order, h});
}

void InputHooks::add_ip(InputHook* h, int order) {
  insert_ordered(ip_, Entry{order, 0, h});
}

void InputHooks::remove(InputHook* h, Conv* c) {
  std::erase_if(ether_, [&](const Entry& e) { return e.hook == h; });
  for (auto& v : ipproto_)
    std::erase_if(v, [&](const Entry& e) { return e.hook == h; });
  std::erase_if(ip_, [&](const Entry& e) { return e.hook == h; });
  if (c) std::erase_if(c->hooks, [&](const ConvHook& e) { return e.hook == h; });
}

bool InputHooks::ether(Ifc& f, uint16_t type, BlockPtr& b) {
  for (const Entry& e : ether_)
    if (e.key == type && e.hook->claim(HookIn{.ifc = f, .ethertype = type}, b)) return true;
  return false;
}

bool InputHooks::ipproto(Ifc& f, const IpRx& rx, BlockPtr& b) {
  for (const Entry& e : ipproto_[rx.proto])
    if (e.hook->claim(HookIn{.ifc = f, .ip = &rx}, b)) return true;
  return false;
}

bool InputHooks::ip(Ifc& f, const IpRx& rx, BlockPtr& b) {
  for (const Entry& e : ip_)
    if (e.hook->claim(HookIn{.ifc = f, .ip = &rx}, b)) return true;
  return false;
}

bool InputHooks::conv(Ifc& f, Conv& c, const IpRx& rx, uint16_t sport, uint16_t dport,
                      BlockPtr& b) {
  for (const ConvHook& e : c.hooks)
    if (e.hook->claim(HookIn{.ifc = f, .ip = &rx, .conv = &c, .sport = sport, .dport = dport}, b))
      return true;
  return false;
}

void InputHooks::conv_out(Conv& c, const Ipaddr& dst, uint16_t dport, std::span<uint8_t> payload) {
  for (const ConvHook& e : c.hooks)
    e.hook->conv_output(c, dst, dport, payload);
}

}  // namespace ninet
