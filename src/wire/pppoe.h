// pppoe.h — PPPoE (RFC 2516): the 6-byte header after the Ethernet header,
// for the discovery stage (ethertype 0x8863, section 5) and the session
// stage (0x8864, section 6), and the tags of a discovery packet.
//
//   |  VER  | TYPE  |      CODE     |          SESSION_ID           |
//   |            LENGTH             |           payload             ~
//
//   auto s = PppoeRepr::parse(eth->type, frame.subspan(EtherRepr::kLen));
//   if (s && s->session()) ppp_input(s->session_id, s->payload);   // padding cut off
//   if (s && s->code == pppoe::kPadi)
//     for (PppoeTag t : s->tags()) if (t.type == pppoe::kHostUniq) ...
//
//   PppoeRepr{pppoe::kSessionData, sid}.emit({b->push(pppoe::kHeaderLen), b->size()});
//
// VER and TYPE MUST be 1 (section 4). LENGTH counts the payload
// only; bytes after it are Ethernet padding (a short frame is padded to 60
// bytes) and are not part of the packet. The session stage's CODE MUST be
// 0 (section 6); discovery knows only the five codes of section 5. A
// discovery packet's tags are checked once, in parse: each lies within the
// payload, and End-Of-List (length 0, appendix A) ends the list.
// Tag values are not interpreted here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>

#include "base/error.h"

namespace ninet::wire {

namespace pppoe {
constexpr size_t kVerType = 0, kCode = 1, kSessionId = 2, kLength = 4, kHeaderLen = 6;
constexpr uint8_t kVerTypeValue = 0x11;  // VER 1, TYPE 1
// CODE values.
constexpr uint8_t kSessionData = 0x00;
constexpr uint8_t kPadi = 0x09, kPado = 0x07, kPadr = 0x19, kPads = 0x65, kPadt = 0xa7;
// TAG_TYPE values (RFC 2516 appendix A).
constexpr uint16_t kEndOfList = 0x0000, kServiceName = 0x0101, kAcName = 0x0102, kHostUniq = 0x0103,
                   kAcCookie = 0x0104, kVendorSpecific = 0x0105, kRelaySessionId = 0x0110,
                   kServiceNameError = 0x0201, kAcSystemError = 0x0202, kGenericError = 0x0203;
constexpr size_t kTagHeaderLen = 4;  // TAG_TYPE, TAG_LENGTH
}  // namespace pppoe

struct PppoeTag {
  uint16_t type = 0;
  std::span<const uint8_t> value;
};

// The tags of a discovery payload, in order, up to End-Of-List or the end.
// Iteration never reads outside the payload: it also stops at a tag that
// does not fit, which check() reports (PppoeRepr::parse has run it on a
// discovery packet).
class PppoeTags {
 public:
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = PppoeTag;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = PppoeTag;

    iterator() = default;
    PppoeTag operator*() const { return tag_; }
    iterator& operator++();
    iterator operator++(int) {
      iterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const iterator& o) const { return at_ == o.at_; }

   private:
    friend class PppoeTags;
    iterator(std::span<const uint8_t> p, size_t at) : p_(p), at_(at) { load(); }
    void load();  // reads the tag at at_, or becomes end()
    static constexpr size_t kEnd = SIZE_MAX;
    std::span<const uint8_t> p_;
    size_t at_ = kEnd;
    PppoeTag tag_;
  };

  explicit PppoeTags(std::span<const uint8_t> payload) : p_(payload) {}
  // Every tag's header and value lie within the payload, and End-Of-List,
  // if present, has length 0.
  Status check() const;
  iterator begin() const { return iterator(p_, 0); }
  iterator end() const { return iterator(); }
  // The first tag of this type.
  std::optional<PppoeTag> find(uint16_t type) const;

 private:
  std::span<const uint8_t> p_;
};

// Writes one tag (header and value) at out and returns its size, 4 +
// value.size() (at most 65535 bytes of value).
size_t emit_pppoe_tag(uint8_t* out, uint16_t type, std::span<const uint8_t> value);

struct PppoeRepr {
  uint8_t code = pppoe::kSessionData;
  uint16_t session_id = 0;
  std::span<const uint8_t> payload;  // parse only: LENGTH bytes

  // p starts after the Ethernet header; ethertype says which stage it is.
  static Result<PppoeRepr> parse(uint16_t ethertype, std::span<const uint8_t> p);
  bool session() const { return code == pppoe::kSessionData; }
  PppoeTags tags() const { return PppoeTags(payload); }

  size_t header_len() const { return pppoe::kHeaderLen; }
  // Writes the header into pkt[0, 6); the payload is pkt's rest, already in
  // place, and LENGTH is its size (the caller keeps it at most 65535).
  void emit(std::span<uint8_t> pkt) const;
};

}  // namespace ninet::wire
