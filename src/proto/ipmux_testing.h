// ipmux_testing.h — for ipmux's test, fuzz target and benchmark: the
// brute-force reference (every live filter tested, the page's rules applied
// one by one to those that match) and random filters and packets drawn from
// a small space so that they often match and often tie.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "proto/ipmux_filter.h"

namespace ninet::ipmux::testing {

// ip(3)'s rules, one by one, over every filter that matches: rule 1 (the
// field of each relation in turn), rule 2 (its offset), rule 3 (its length),
// a filter with a relation left beats one with none, then rule 4 (the
// older). Written apart from the tree's preferred(), as a reference should.
inline const Filter* reference_choice(const std::vector<const Filter*>& filters, const Packet& p) {
  const Filter* best = nullptr;
  for (const Filter* f : filters) {
    if (!matches(*f, p)) continue;
    if (!best) {
      best = f;
      continue;
    }
    int verdict = 0;  // <0: f wins
    for (size_t i = 0; verdict == 0; i++) {
      bool fe = i == f->rels.size(), be = i == best->rels.size();
      if (fe || be) {
        verdict = fe && be ? (f->seq < best->seq ? -1 : 1) : (fe ? 1 : -1);
        break;
      }
      const Relation &a = f->rels[i], &b = best->rels[i];
      if (a.field != b.field)
        verdict = int(a.field) < int(b.field) ? -1 : 1;  // 1) proto > data > src > dst > ifc
      else if (a.off != b.off)
        verdict = a.off < b.off ? -1 : 1;  // 2) lower offsets
      else if (a.len != b.len)
        verdict = a.len > b.len ? -1 : 1;  // 3) longer matches
    }
    if (verdict < 0) best = f;
  }
  return best;
}

// Random filter text over a small space: few protocols, offsets, addresses.
inline std::string random_filter(std::mt19937_64& rng) {
  auto pick = [&](uint64_t n) { return uint64_t(rng() % n); };
  auto hex = [&](int bytes) {
    static const char* const kByte[] = {"00", "11", "06", "35", "ff", "0f", "f0"};
    std::string s;
    for (int i = 0; i < bytes; i++)
      s += kByte[pick(4) ? pick(3) : pick(7)];
    return s;
  };
  auto addr = [&] { return "10.0." + std::to_string(pick(3)) + "." + std::to_string(pick(4)); };
  std::string out;
  int n = 1 + int(pick(4));
  for (int i = 0; i < n; i++) {
    if (!out.empty()) out += ';';
    int values = pick(4) == 0 ? 2 : 1;
    bool mask = pick(4) == 0;
    switch (pick(6)) {
      case 0:
        out += "proto=" + hex(1);
        for (int v = 1; v < values; v++)
          out += "|" + hex(1);
        if (mask) out += "&" + hex(1);
        break;
      case 1:
      case 2: {
        bool data = pick(3) != 0;
        unsigned off = unsigned(pick(data ? 6 : 20)), len = 1 + unsigned(pick(3));
        out += std::string(data ? "data[" : "iph[") + std::to_string(off) + ":" +
               std::to_string(off + len - 1) + "]=" + hex(int(len));
        for (int v = 1; v < values; v++)
          out += "|" + hex(int(len));
        if (mask) out += "&" + hex(int(len));
        break;
      }
      default: {
        static const char* const kName[] = {"src=", "dst=", "ifc="};
        out += kName[pick(3)] + addr();
        for (int v = 1; v < values; v++)
          out += "|" + addr();
        if (mask) out += pick(2) ? "&255.255.255.0" : "&255.255.0.0";
      }
    }
  }
  return out;
}

// A random IPv4 packet (20-byte header, 0-11 bytes of data) from the same
// space, and interface addresses for it.
struct RandomPacket {
  std::vector<uint8_t> bytes;
  std::vector<Ipaddr> ifc;
  Packet view() const { return Packet{bytes, 20, ifc}; }
};

inline RandomPacket random_packet(std::mt19937_64& rng) {
  auto pick = [&](uint64_t n) { return uint64_t(rng() % n); };
  static const uint8_t kByte[] = {0x00, 0x11, 0x06, 0x35, 0xff, 0x0f, 0xf0};
  RandomPacket p;
  p.bytes.resize(20 + pick(12));
  for (auto& b : p.bytes)
    b = kByte[pick(4) ? pick(3) : pick(7)];
  p.bytes[0] = 0x45;
  for (size_t at : {size_t(12), size_t(16)}) {
    p.bytes[at] = 10, p.bytes[at + 1] = 0;
    p.bytes[at + 2] = uint8_t(pick(3)), p.bytes[at + 3] = uint8_t(pick(4));
  }
  for (uint64_t i = pick(3); i > 0; i--)
    p.ifc.push_back(Ipaddr::v4(10, 0, uint8_t(pick(3)), uint8_t(pick(4))));
  return p;
}

}  // namespace ninet::ipmux::testing
