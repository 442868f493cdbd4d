#include "wire/tcp.h"

#include "base/checksum.h"
#include "base/endian.h"

namespace ninet::wire {

namespace {

// Reads the options in p (the bytes between the fixed header and the data
// offset) into r.
Status parse_options(std::span<const uint8_t> p, TcpRepr& r) {
  size_t i = 0;
  while (i < p.size()) {
    uint8_t kind = p[i];
    if (kind == tcp::kOptEnd) break;
    if (kind == tcp::kOptNop) {
      i++;
      continue;
    }
    if (i + 1 >= p.size()) return Error(Err::BadArg, "tcp option without a length");
    size_t len = p[i + 1];
    if (len < 2 || i + len > p.size()) return Error(Err::BadArg, "bad tcp option length");
    const uint8_t* v = p.data() + i + 2;
    switch (kind) {
      case tcp::kOptMss:
        if (len == 4) r.mss = load16(v);
        break;
      case tcp::kOptWscale:
        if (len == 3) r.wscale = v[0];
        break;
      case tcp::kOptSackPermitted:
        if (len == 2) r.sack_permitted = true;
        break;
      case tcp::kOptSack:
        if (len >= 10 && (len - 2) % 8 == 0) {
          r.nsack = 0;
          for (size_t o = 0; o + 8 <= len - 2 && r.nsack < tcp::kMaxSackBlocks; o += 8)
            r.sack[r.nsack++] = {load32(v + o), load32(v + o + 4)};
        }
        break;
      case tcp::kOptTimestamps:
        if (len == 10) r.ts = TcpRepr::Timestamps{load32(v), load32(v + 4)};
        break;
      default:
        if (r.unknown_options < 255) r.unknown_options++;
        break;
    }
    i += len;
  }
  return {};
}

// Option bytes without padding, for the blocks that fit.
size_t options_len(const TcpRepr& r, size_t nsack) {
  size_t n = 0;
  if (r.mss) n += 4;
  if (r.ts)
    n += 12;  // SACK-permitted or NOP NOP, then the 10 bytes
  else if (r.sack_permitted)
    n += 4;                       // NOP NOP SACK-permitted
  if (r.wscale) n += 4;           // NOP wscale
  if (nsack) n += 4 + 8 * nsack;  // NOP NOP kind len blocks
  return n;
}

}  // namespace

Result<TcpRepr> TcpRepr::parse_unchecked(std::span<const uint8_t> p) {
  if (p.size() < tcp::kMinHeader) return Error(Err::BadArg, "tcp segment too short");
  TcpRepr r;
  size_t off = size_t(p[tcp::kDataOff] >> 4) * 4;
  if (off < tcp::kMinHeader) return Error(Err::BadArg, "tcp data offset below 5");
  if (off > p.size()) return Error(Err::BadArg, "tcp data offset past the segment");
  r.src_port = load16(p.data() + tcp::kSrcPort);
  r.dst_port = load16(p.data() + tcp::kDstPort);
  r.seq = load32(p.data() + tcp::kSeq);
  r.ack = load32(p.data() + tcp::kAckNum);
  r.reserved = p[tcp::kDataOff] & 0x0f;
  r.flags = p[tcp::kFlags];
  r.window = load16(p.data() + tcp::kWindow);
  r.urgent = load16(p.data() + tcp::kUrgPtr);
  r.header_bytes = uint8_t(off);
  if (auto st = parse_options(p.subspan(tcp::kMinHeader, off - tcp::kMinHeader), r); !st)
    return st.error();
  r.payload = p.subspan(off);
  return r;
}

Result<TcpRepr> TcpRepr::parse(const Ipaddr& src, const Ipaddr& dst, std::span<const uint8_t> p) {
  if (p.size() > 65535) return Error(Err::BadArg, "tcp segment too long");
  uint32_t sum = csum_pseudo(src, dst, 6, uint32_t(p.size()));
  if (csum_fold(csum_partial(p.data(), p.size(), sum)) != 0)
    return Error(Err::BadArg, "bad tcp checksum");
  return parse_unchecked(p);
}

size_t TcpRepr::sack_blocks_written() const {
  size_t n = std::min<size_t>(nsack, tcp::kMaxSackBlocks);
  while (n && options_len(*this, n) > tcp::kMaxHeader - tcp::kMinHeader)
    n--;
  return n;
}

size_t TcpRepr::header_len() const {
  return tcp::kMinHeader + (options_len(*this, sack_blocks_written()) + 3) / 4 * 4;
}

void TcpRepr::emit(const Ipaddr& src, const Ipaddr& dst, std::span<uint8_t> seg) const {
  emit_partial(src, dst, seg);
  // The pseudo-header sum is in the field: summing it in with the rest would
  // count it twice; start from zero instead.
  store16(seg.data() + tcp::kCksum, 0);
  uint32_t sum = csum_pseudo(src, dst, 6, uint32_t(seg.size()));
  store16(seg.data() + tcp::kCksum, csum_fold(csum_partial(seg.data(), seg.size(), sum)));
}

void TcpRepr::emit_partial(const Ipaddr& src, const Ipaddr& dst, std::span<uint8_t> seg) const {
  size_t hl = header_len();
  uint8_t* h = seg.data();
  store16(h + tcp::kSrcPort, src_port);
  store16(h + tcp::kDstPort, dst_port);
  store32(h + tcp::kSeq, seq);
  store32(h + tcp::kAckNum, ack);
  h[tcp::kDataOff] = uint8_t(hl / 4 << 4);
  h[tcp::kFlags] = flags;
  store16(h + tcp::kWindow, window);
  store16(h + tcp::kCksum, 0);
  store16(h + tcp::kUrgPtr, urgent);
  uint8_t* o = h + tcp::kMinHeader;
  if (mss) {
    *o++ = tcp::kOptMss;
    *o++ = 4;
    store16(o, *mss);
    o += 2;
  }
  if (ts) {
    if (sack_permitted) {
      *o++ = tcp::kOptSackPermitted;
      *o++ = 2;
    } else {
      *o++ = tcp::kOptNop;
      *o++ = tcp::kOptNop;
    }
    *o++ = tcp::kOptTimestamps;
    *o++ = 10;
    store32(o, ts->val);
    store32(o + 4, ts->ecr);
    o += 8;
  } else if (sack_permitted) {
    *o++ = tcp::kOptNop;
    *o++ = tcp::kOptNop;
    *o++ = tcp::kOptSackPermitted;
    *o++ = 2;
  }
  if (wscale) {
    *o++ = tcp::kOptNop;
    *o++ = tcp::kOptWscale;
    *o++ = 3;
    *o++ = *wscale;
  }
  if (size_t n = sack_blocks_written()) {
    *o++ = tcp::kOptNop;
    *o++ = tcp::kOptNop;
    *o++ = tcp::kOptSack;
    *o++ = uint8_t(2 + 8 * n);
    for (size_t i = 0; i < n; i++, o += 8) {
      store32(o, sack[i].left);
      store32(o + 4, sack[i].right);
    }
  }
  while (o < h + hl)
    *o++ = tcp::kOptEnd;  // pads to the data offset (End of Option List, then zeros)
  store16(h + tcp::kCksum, uint16_t(~csum_fold(csum_pseudo(src, dst, 6, uint32_t(seg.size())))));
}

}  // namespace ninet::wire
