#include "wire/l2tp.h"

#include <cstring>
#include <string>

#include "base/endian.h"

namespace ninet::wire {

Result<L2tpRepr> L2tpRepr::parse(std::span<const uint8_t> m) {
  if (m.size() < 2) return Error(Err::TooShort, "l2tp header");
  uint16_t flags = load16(m.data() + l2tp::kFlags);
  if ((flags & l2tp::kVersionMask) != l2tp::kVersion)
    return Error(Err::BadArg, "l2tp version " + std::to_string(flags & l2tp::kVersionMask));
  L2tpRepr r;
  r.control = flags & l2tp::kType;
  r.has_length = flags & l2tp::kLength;
  r.has_seq = flags & l2tp::kSequence;
  r.priority = flags & l2tp::kPriority;
  bool has_offset = flags & l2tp::kOffset;
  if (r.control && (!r.has_length || !r.has_seq || has_offset))
    return Error(Err::BadArg, "l2tp control message flags");

  // The fields up to and including Offset Size, if present.
  size_t fixed =
      l2tp::kMinHeader + (r.has_length ? 2 : 0) + (r.has_seq ? 4 : 0) + (has_offset ? 2 : 0);
  if (m.size() < fixed) return Error(Err::TooShort, "l2tp header");
  const uint8_t* p = m.data() + 2;
  if (r.has_length) {
    size_t len = load16(p);
    p += 2;
    if (len < fixed) return Error(Err::BadArg, "l2tp length " + std::to_string(len));
    if (len > m.size()) return Error(Err::TooShort, "l2tp length " + std::to_string(len));
    m = m.first(len);
  }
  r.tunnel_id = load16(p);
  r.session_id = load16(p + 2);
  p += 4;
  if (r.has_seq) {
    r.ns = load16(p);
    r.nr = load16(p + 2);
    p += 4;
  }
  if (has_offset) {
    r.offset = load16(p);
    if (*r.offset > m.size() - fixed)
      return Error(Err::TooShort, "l2tp offset " + std::to_string(*r.offset));
  }
  r.payload = m.subspan(fixed + r.offset.value_or(0));
  return r;
}

size_t L2tpRepr::header_len() const {
  return l2tp::kMinHeader + (has_length ? 2 : 0) + (has_seq ? 4 : 0) +
         (offset ? 2 + size_t(*offset) : 0);
}

void L2tpRepr::emit(std::span<uint8_t> msg) const {
  uint8_t* p = msg.data();
  uint16_t flags = l2tp::kVersion;
  if (control) flags |= l2tp::kType;
  if (has_length) flags |= l2tp::kLength;
  if (has_seq) flags |= l2tp::kSequence;
  if (offset) flags |= l2tp::kOffset;
  if (priority) flags |= l2tp::kPriority;
  store16(p, flags);
  p += 2;
  if (has_length) {
    store16(p, uint16_t(msg.size()));
    p += 2;
  }
  store16(p, tunnel_id);
  store16(p + 2, session_id);
  p += 4;
  if (has_seq) {
    store16(p, ns);
    store16(p + 2, nr);
    p += 4;
  }
  if (offset) {
    store16(p, *offset);
    std::memset(p + 2, 0, *offset);
  }
}

}  // namespace ninet::wire
