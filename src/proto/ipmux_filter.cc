// ipmux_filter.cc — ipmux's filter grammar, relation tests, preference order
// and comparison tree (ipmux_filter.h).
#include "proto/ipmux_filter.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "wire/ip4.h"

namespace ninet::ipmux {

size_t BytesHash::operator()(const Bytes& b) const {
  uint64_t lo, hi;
  std::memcpy(&lo, b.data(), 8);
  std::memcpy(&hi, b.data() + 8, 8);
  uint64_t h = (lo ^ (hi * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;
  return size_t(h ^ (h >> 32));
}

int rank_cmp(const Relation& a, const Relation& b) {
  if (a.field != b.field) return a.field < b.field ? -1 : 1;  // rule 1
  if (a.off != b.off) return a.off < b.off ? -1 : 1;          // rule 2
  if (a.len != b.len) return a.len > b.len ? -1 : 1;          // rule 3
  return 0;
}

// ---- Grammar ----

namespace {

Error bad(std::string_view rel, std::string_view why) {
  return Error(Err::BadFilter, std::string(rel) + ": " + std::string(why));
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> v;
  for (;;) {
    size_t at = s.find(sep);
    v.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return v;
    s.remove_prefix(at + 1);
  }
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// len bytes as 2*len hex digits.
bool parse_hex(std::string_view s, uint8_t len, Bytes& out) {
  if (s.size() != 2u * len) return false;
  out = {};
  for (size_t i = 0; i < len; i++) {
    int h = hex_digit(s[2 * i]), l = hex_digit(s[2 * i + 1]);
    if (h < 0 || l < 0) return false;
    out[i] = uint8_t(h << 4 | l);
  }
  return true;
}

bool parse_v4(std::string_view s, Bytes& out) {
  // Ipaddr::parse takes IPv6 too; a filter takes dotted IPv4 only.
  if (s.empty() || s.find_first_not_of("0123456789.") != std::string_view::npos) return false;
  auto a = Ipaddr::parse(s);
  if (!a || !a->is_v4()) return false;
  out = {};
  std::memcpy(out.data(), a->data() + 12, 4);
  return true;
}

bool parse_uint(std::string_view s, unsigned& v) {
  if (s.empty() || s.size() > 5) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// name, or data[n:m] / iph[n:m]: field, offset and length.
Status parse_name(std::string_view rel, std::string_view name, Relation& r) {
  if (name == "proto") {
    r.field = Field::kProto, r.off = wire::ip4::kProto, r.len = 1;
  } else if (name == "src") {
    r.field = Field::kSrc, r.off = wire::ip4::kSrc, r.len = 4;
  } else if (name == "dst") {
    r.field = Field::kDst, r.off = wire::ip4::kDst, r.len = 4;
  } else if (name == "ifc") {
    r.field = Field::kIfc, r.off = 0, r.len = 4;
  } else if (name.starts_with("data[") || name.starts_with("iph[")) {
    r.field = name[0] == 'd' ? Field::kData : Field::kIph;
    if (name.back() != ']') return bad(rel, "no closing ]");
    std::string_view range = name.substr(name.find('[') + 1);
    range.remove_suffix(1);
    size_t colon = range.find(':');
    unsigned n, m;
    if (!parse_uint(range.substr(0, colon), n) ||
        !parse_uint(
            colon == std::string_view::npos ? range.substr(0, colon) : range.substr(colon + 1),
            m) ||
        n > 65535 || m > 65535)
      return bad(rel, "offsets are [n:m] or [n], decimal");
    if (m < n) return bad(rel, "m is before n");
    if (m - n + 1 > kMaxLen) return bad(rel, "compares more than 16 bytes");
    if (r.field == Field::kIph && m > kMaxIphEnd) return bad(rel, "past the longest IPv4 header");
    r.off = uint16_t(n);
    r.len = uint8_t(m - n + 1);
  } else {
    return bad(rel, "unknown relation (proto data[n:m] iph[n:m] ifc src dst)");
  }
  return {};
}

Status parse_relation(std::string_view rel, Relation& r) {
  size_t eq = rel.find('=');
  if (eq == std::string_view::npos) return bad(rel, "no =");
  if (auto st = parse_name(rel, rel.substr(0, eq), r); !st) return st;
  std::string_view expr = rel.substr(eq + 1);
  bool addr = r.field == Field::kSrc || r.field == Field::kDst || r.field == Field::kIfc;
  auto value = [&](std::string_view s, Bytes& out) {
    return addr ? parse_v4(s, out) : parse_hex(s, r.len, out);
  };
  const char* form = addr ? "dotted IPv4 address" : "hex bytes, 2 digits each";
  size_t amp = expr.find('&');
  r.mask = {};
  std::fill_n(r.mask.begin(), r.len, 0xff);
  r.masked = amp != std::string_view::npos;
  if (r.masked) {
    std::string_view m = expr.substr(amp + 1);
    if (!value(m, r.mask)) return bad(rel, std::string("mask is not ") + form);
    expr = expr.substr(0, amp);
  }
  auto vals = split(expr, '|');
  if (vals.size() > kMaxValues) return bad(rel, "more than 32 values");
  r.values.clear();
  for (std::string_view s : vals) {
    Bytes v;
    if (!value(s, v)) return bad(rel, std::string("value ") + std::string(s) + " is not " + form);
    for (size_t i = 0; i < kMaxLen; i++)
      v[i] &= r.mask[i];
    r.values.push_back(v);
  }
  std::sort(r.values.begin(), r.values.end());
  r.values.erase(std::unique(r.values.begin(), r.values.end()), r.values.end());
  return {};
}

void put_hex(std::string& s, const Bytes& b, uint8_t len) {
  static const char kDigits[] = "0123456789abcdef";
  for (size_t i = 0; i < len; i++) {
    s += kDigits[b[i] >> 4];
    s += kDigits[b[i] & 15];
  }
}

void put_v4(std::string& s, const Bytes& b) {
  for (int i = 0; i < 4; i++) {
    if (i) s += '.';
    s += std::to_string(b[size_t(i)]);
  }
}

}  // namespace

Result<std::vector<Relation>> parse_filter(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.remove_suffix(1);
  if (text.empty()) return Error(Err::BadFilter, "empty filter");
  auto parts = split(text, ';');
  if (parts.size() > kMaxRelations) return Error(Err::BadFilter, "more than 16 relations");
  std::vector<Relation> rels;
  for (std::string_view p : parts) {
    if (p.empty()) return Error(Err::BadFilter, "empty relation");
    Relation r;
    if (auto st = parse_relation(p, r); !st) return st.error();
    rels.push_back(std::move(r));
  }
  std::stable_sort(rels.begin(), rels.end(),
                   [](const Relation& a, const Relation& b) { return rank_cmp(a, b) < 0; });
  return rels;
}

std::string filter_text(const std::vector<Relation>& rels) {
  static const char* const kNames[] = {"proto", "data", "iph", "src", "dst", "ifc"};
  std::string s;
  for (const Relation& r : rels) {
    if (!s.empty()) s += ';';
    s += kNames[size_t(r.field)];
    bool addr = r.field >= Field::kSrc;
    if (r.field == Field::kData || r.field == Field::kIph)
      s += "[" + std::to_string(r.off) + ":" + std::to_string(r.off + r.len - 1) + "]";
    s += '=';
    for (size_t i = 0; i < r.values.size(); i++) {
      if (i) s += '|';
      addr ? put_v4(s, r.values[i]) : put_hex(s, r.values[i], r.len);
    }
    if (r.masked) {
      s += '&';
      addr ? put_v4(s, r.mask) : put_hex(s, r.mask, r.len);
    }
  }
  return s;
}

// ---- Tests on a packet ----

bool Packet::extract(Field field, uint16_t off, uint8_t len, const Bytes& mask, size_t i,
                     Bytes& out) const {
  const uint8_t* from;
  if (field == Field::kIfc) {
    if (i >= ifc_addrs.size()) return false;
    from = ifc_addrs[i].data() + 12;
  } else {
    if (i != 0) return false;
    size_t start = field == Field::kData ? hl + off : off;
    size_t limit = field == Field::kIph ? hl : ip.size();
    if (start + len > limit) return false;
    from = ip.data() + start;
  }
  out = {};
  for (size_t k = 0; k < len; k++)
    out[k] = from[k] & mask[k];
  return true;
}

bool matches(const Relation& r, const Packet& p) {
  Bytes v;
  for (size_t i = 0; p.extract(r.field, r.off, r.len, r.mask, i, v); i++)
    if (std::binary_search(r.values.begin(), r.values.end(), v)) return true;
  return false;
}

bool matches(const Filter& f, const Packet& p) {
  for (const Relation& r : f.rels)
    if (!matches(r, p)) return false;
  return true;
}

bool preferred(const Filter& a, const Filter& b) {
  size_t n = std::min(a.rels.size(), b.rels.size());
  for (size_t i = 0; i < n; i++)
    if (int c = rank_cmp(a.rels[i], b.rels[i])) return c < 0;
  if (a.rels.size() != b.rels.size()) return a.rels.size() > b.rels.size();  // longer match
  return a.seq < b.seq;                                                      // rule 4
}

// ---- The tree ----

// A test under a node: the children whose relation at this depth compares
// these bytes under this mask, and the hash from masked bytes to them.
struct Tree::Group {
  Relation key;  // field, off, len, mask (its values unused)
  struct Child {
    std::vector<Bytes> values;
    std::unique_ptr<Node> node;
  };
  std::vector<Child> children;
  std::unordered_map<Bytes, std::vector<Node*>, BytesHash> index;
};

struct Tree::Node {
  std::vector<const Filter*> ends;  // filters whose last test is this node's, oldest first
  std::vector<Group> groups;        // in rank order
};

Tree::Tree() : root_(std::make_unique<Node>()) {}
Tree::~Tree() = default;

bool Tree::empty() const {
  return filters_ == 0;
}

void Tree::add(const Filter& f) {
  Node* n = root_.get();
  for (const Relation& r : f.rels) {
    auto g = std::find_if(n->groups.begin(), n->groups.end(),
                          [&](const Group& x) { return x.key.same_test(r); });
    if (g == n->groups.end()) {
      // After every group of a better or equal rank.
      auto at = std::find_if(n->groups.begin(), n->groups.end(),
                             [&](const Group& x) { return rank_cmp(r, x.key) < 0; });
      g = n->groups.insert(at, Group{});
      g->key = r;
      g->key.values.clear();
    }
    auto c = std::find_if(g->children.begin(), g->children.end(),
                          [&](const Group::Child& x) { return x.values == r.values; });
    if (c == g->children.end()) {
      g->children.push_back({r.values, std::make_unique<Node>()});
      c = g->children.end() - 1;
      for (const Bytes& v : r.values)
        g->index[v].push_back(c->node.get());
      nodes_++;
    }
    n = c->node.get();
  }
  auto at = std::upper_bound(n->ends.begin(), n->ends.end(), f.seq,
                             [](uint64_t s, const Filter* x) { return s < x->seq; });
  n->ends.insert(at, &f);
  filters_++;
}

bool Tree::remove(Node& n, const Filter& f, size_t depth) {
  if (depth == f.rels.size()) {
    auto it = std::find(n.ends.begin(), n.ends.end(), &f);
    if (it == n.ends.end()) return false;
    n.ends.erase(it);
    return true;
  }
  const Relation& r = f.rels[depth];
  for (auto g = n.groups.begin(); g != n.groups.end(); ++g) {
    if (!g->key.same_test(r)) continue;
    for (auto c = g->children.begin(); c != g->children.end(); ++c) {
      if (c->values != r.values) continue;
      if (!remove(*c->node, f, depth + 1)) return false;
      if (!c->node->ends.empty() || !c->node->groups.empty()) return true;
      for (const Bytes& v : c->values) {
        auto& list = g->index[v];
        std::erase(list, c->node.get());
        if (list.empty()) g->index.erase(v);
      }
      g->children.erase(c);
      nodes_--;
      if (g->children.empty()) n.groups.erase(g);
      return true;
    }
    return false;
  }
  return false;
}

void Tree::remove(const Filter& f) {
  if (remove(*root_, f, 0)) filters_--;
}

const Filter* Tree::search(const Node& n, const Packet& p) const {
  // Groups of the best rank first; within a rank every matching child, the
  // preferred result; the first rank that yields one wins (a filter that
  // goes on beyond this node tests more than those that end here).
  for (size_t i = 0; i < n.groups.size();) {
    size_t j = i + 1;
    while (j < n.groups.size() && rank_cmp(n.groups[i].key, n.groups[j].key) == 0)
      j++;
    const Filter* win = nullptr;
    for (; i < j; i++) {
      const Group& g = n.groups[i];
      Bytes v;
      for (size_t k = 0; p.extract(g.key.field, g.key.off, g.key.len, g.key.mask, k, v); k++) {
        auto it = g.index.find(v);
        if (it == g.index.end()) continue;
        for (const Node* c : it->second)
          if (const Filter* f = search(*c, p); f && (!win || preferred(*f, *win))) win = f;
      }
    }
    if (win) return win;
  }
  return n.ends.empty() ? nullptr : n.ends.front();
}

const Filter* Tree::match(const Packet& p) const {
  return filters_ == 0 ? nullptr : search(*root_, p);
}

}  // namespace ninet::ipmux
