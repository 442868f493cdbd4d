#include "base/ipaddr.h"

#include <cstdio>

#include "base/endian.h"
#include "base/fields.h"

namespace ninet {

namespace {

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses dotted-quad "a.b.c.d" into 4 bytes.
bool parse_dotted(std::string_view s, uint8_t out[4]) {
  int part = 0;
  size_t i = 0;
  while (part < 4) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
    unsigned v = 0;
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      v = v * 10 + unsigned(s[i] - '0');
      if (v > 255 || i - start >= 3) return false;
      i++;
    }
    out[part++] = uint8_t(v);
    if (part < 4) {
      if (i >= s.size() || s[i] != '.') return false;
      i++;
    }
  }
  return i == s.size();
}

// RFC 4291 section 2.2 text forms, including "::" and a trailing dotted quad.
bool parse_v6(std::string_view s, uint8_t out[16]) {
  uint8_t b[16] = {};
  int n = 0;     // bytes filled
  int gap = -1;  // byte index where "::" was
  size_t i = 0;
  if (s.size() >= 2 && s[0] == ':' && s[1] == ':') {
    gap = 0;
    i = 2;
    if (i == s.size()) {
      std::memset(out, 0, 16);
      return true;
    }
  } else if (!s.empty() && s[0] == ':') {
    return false;
  }
  while (i < s.size()) {
    if (n >= 16) return false;
    // A dotted quad may end the address.
    size_t end = s.find(':', i);
    std::string_view group = s.substr(i, end == std::string_view::npos ? s.npos : end - i);
    if (group.find('.') != std::string_view::npos) {
      if (end != std::string_view::npos || n > 12) return false;
      if (!parse_dotted(group, b + n)) return false;
      n += 4;
      i = s.size();
      break;
    }
    if (group.empty() || group.size() > 4) return false;
    unsigned v = 0;
    for (char c : group) {
      int h = hexval(c);
      if (h < 0) return false;
      v = v << 4 | unsigned(h);
    }
    b[n++] = uint8_t(v >> 8);
    b[n++] = uint8_t(v);
    i += group.size();
    if (i == s.size()) break;
    i++;  // the ':'
    if (i < s.size() && s[i] == ':') {
      if (gap >= 0) return false;
      gap = n;
      i++;
    } else if (i == s.size()) {
      return false;  // trailing single ':'
    }
  }
  if (gap >= 0) {
    if (n == 16) return false;
    int tail = n - gap;
    std::memset(out, 0, 16);
    std::memcpy(out, b, size_t(gap));
    std::memcpy(out + 16 - tail, b + gap, size_t(tail));
    return true;
  }
  if (n != 16) return false;
  std::memcpy(out, b, 16);
  return true;
}

}  // namespace

Ipaddr Ipaddr::from_v4_bytes(const uint8_t* p) {
  return v4(load32(p));
}

Result<Ipaddr> Ipaddr::parse(std::string_view s) {
  Ipaddr r;
  if (s.find(':') == std::string_view::npos) {
    uint8_t q[4];
    if (!parse_dotted(s, q)) return Error(Err::BadIp, std::string(s));
    return from_v4_bytes(q);
  }
  if (!parse_v6(s, r.b_.data())) return Error(Err::BadIp, std::string(s));
  return r;
}

Result<Ipaddr> Ipaddr::parse_mask(std::string_view s, bool v4) {
  if (!s.empty() && s[0] == '/') {
    // At most three digits ("/0024" is not a mask, "/024" is).
    auto n = s.size() <= 4 ? parse_int(s.substr(1), 0, v4 ? 32 : 128) : std::nullopt;
    if (!n) return Error(Err::BadMask, std::string(s));
    return v4 ? mask_v4(int(*n)) : mask_v6(int(*n));
  }
  auto a = parse(s);
  if (!a) return Error(Err::BadMask, std::string(s));
  Ipaddr m = *a;
  if (m.is_v4()) {
    // A dotted mask: make the first 96 bits ones (Plan 9 keeps v4 masks so).
    std::memset(m.b_.data(), 0xff, 12);
  } else if (v4) {
    return Error(Err::BadMask, std::string(s));
  }
  if (m.prefix_len(v4) < 0) return Error(Err::BadMask, std::string(s));
  return m;
}

Ipaddr Ipaddr::mask_v6(int len) {
  Ipaddr r;
  for (int i = 0; i < 16; i++) {
    int bits = len - 8 * i;
    r.b_[size_t(i)] = bits >= 8 ? 0xff : bits <= 0 ? 0 : uint8_t(0xff << (8 - bits));
  }
  return r;
}

Ipaddr Ipaddr::mask_v4(int len) {
  return mask_v6(96 + len);
}

Ipaddr Ipaddr::class_mask(const Ipaddr& a) {
  if (!a.is_v4()) return mask_v6(64);
  uint8_t top = a.b_[12];
  if (top < 128) return mask_v4(8);   // class A
  if (top < 192) return mask_v4(16);  // class B
  if (top < 224) return mask_v4(24);  // class C
  return mask_v4(32);
}

bool Ipaddr::is_zero() const {
  if (is_v4()) return v4() == 0;
  for (auto c : b_)
    if (c) return false;
  return true;
}

bool Ipaddr::is_multicast() const {
  if (is_v4()) return (b_[12] & 0xf0) == 0xe0;
  return b_[0] == 0xff;
}

bool Ipaddr::is_v4_broadcast() const {
  return is_v4() && v4() == 0xffffffff;
}
bool Ipaddr::is_v6_linklocal() const {
  return b_[0] == 0xfe && (b_[1] & 0xc0) == 0x80;
}
bool Ipaddr::is_loopback() const {
  if (is_v4()) return b_[12] == 127;
  for (size_t i = 0; i < 15; i++)
    if (b_[i]) return false;
  return b_[15] == 1;
}

bool Ipaddr::is_v4_mask() const {
  for (size_t i = 0; i < 12; i++)
    if (b_[i] != 0xff) return false;
  return true;
}

int Ipaddr::prefix_len(bool v4) const {
  int n = 0;
  size_t i = 0;
  for (; i < 16 && b_[i] == 0xff; i++)
    n += 8;
  if (i < 16) {
    uint8_t c = b_[i];
    int bits = 0;
    while (c & 0x80) {
      bits++;
      c = uint8_t(c << 1);
    }
    if (c) return -1;
    n += bits;
    for (i++; i < 16; i++)
      if (b_[i]) return -1;
  }
  if (!v4) return n;
  return n >= 96 ? n - 96 : -1;
}

Ipaddr Ipaddr::operator&(const Ipaddr& m) const {
  Ipaddr r;
  for (size_t i = 0; i < 16; i++)
    r.b_[i] = b_[i] & m.b_[i];
  return r;
}
Ipaddr Ipaddr::operator|(const Ipaddr& m) const {
  Ipaddr r;
  for (size_t i = 0; i < 16; i++)
    r.b_[i] = b_[i] | m.b_[i];
  return r;
}
Ipaddr Ipaddr::operator~() const {
  Ipaddr r;
  for (size_t i = 0; i < 16; i++)
    r.b_[i] = uint8_t(~b_[i]);
  return r;
}

std::string Ipaddr::str() const {
  char buf[48];
  if (is_v4()) {
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", b_[12], b_[13], b_[14], b_[15]);
    return buf;
  }
  // RFC 5952: lowercase, longest run (>1) of zero groups becomes "::".
  uint16_t g[8];
  for (int i = 0; i < 8; i++)
    g[i] = load16(b_.data() + 2 * i);
  int best = -1, bestlen = 1;
  for (int i = 0; i < 8;) {
    if (g[i] != 0) {
      i++;
      continue;
    }
    int j = i;
    while (j < 8 && g[j] == 0)
      j++;
    if (j - i > bestlen) {
      best = i;
      bestlen = j - i;
    }
    i = j;
  }
  std::string s;
  for (int i = 0; i < 8; i++) {
    if (i == best) {
      s += "::";
      i += bestlen - 1;
      continue;
    }
    if (!s.empty() && s.back() != ':') s += ':';
    std::snprintf(buf, sizeof buf, "%x", g[i]);
    s += buf;
  }
  return s;
}

std::string Ipaddr::mask_str(bool v4) const {
  int n = prefix_len(v4);
  if (v4 && n >= 0) return Ipaddr::v4(this->v4()).str();
  if (n < 0) return str();
  return "/" + std::to_string(n);
}

Ipaddr solicited_node(const Ipaddr& a) {
  Ipaddr r;
  r[0] = 0xff;
  r[1] = 0x02;
  r[11] = 0x01;
  r[12] = 0xff;
  r[13] = a[13];
  r[14] = a[14];
  r[15] = a[15];
  return r;
}

Ipaddr linklocal_from_mac(const Mac& m) {
  Ipaddr r;
  r[0] = 0xfe;
  r[1] = 0x80;
  r[8] = m[0] ^ 0x02;
  r[9] = m[1];
  r[10] = m[2];
  r[11] = 0xff;
  r[12] = 0xfe;
  r[13] = m[3];
  r[14] = m[4];
  r[15] = m[5];
  return r;
}

Result<Mac> Mac::parse(std::string_view s) {
  Mac m;
  size_t i = 0;
  for (size_t k = 0; k < 6; k++) {
    if (i + 2 > s.size()) return Error(Err::BadArg, "bad mac address");
    int hi = hexval(s[i]), lo = hexval(s[i + 1]);
    if (hi < 0 || lo < 0) return Error(Err::BadArg, "bad mac address");
    m.b_[k] = uint8_t(hi << 4 | lo);
    i += 2;
    if (k < 5 && i < s.size() && (s[i] == ':' || s[i] == '-' || s[i] == '.')) i++;
  }
  if (i != s.size()) return Error(Err::BadArg, "bad mac address");
  return m;
}

Mac Mac::broadcast() {
  Mac m;
  m.b_.fill(0xff);
  return m;
}

Mac Mac::multicast_v4(const Ipaddr& g) {
  Mac m;
  m.b_ = {0x01, 0x00, 0x5e, uint8_t(g[13] & 0x7f), g[14], g[15]};
  return m;
}

Mac Mac::multicast_v6(const Ipaddr& g) {
  Mac m;
  m.b_ = {0x33, 0x33, g[12], g[13], g[14], g[15]};
  return m;
}

bool Mac::is_zero() const {
  for (auto c : b_)
    if (c) return false;
  return true;
}
bool Mac::is_broadcast() const {
  for (auto c : b_)
    if (c != 0xff) return false;
  return true;
}

std::string Mac::str() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02x%02x%02x%02x%02x%02x", b_[0], b_[1], b_[2], b_[3], b_[4],
                b_[5]);
  return buf;
}

}  // namespace ninet
