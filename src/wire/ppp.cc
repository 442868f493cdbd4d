#include "wire/ppp.h"

#include "base/endian.h"

namespace ninet::wire {

Result<PppRepr> PppRepr::parse(std::span<const uint8_t> f) {
  PppRepr r;
  r.acf = f.size() >= 2 && f[0] == ppp::kAddress && f[1] == ppp::kControl;
  size_t at = r.acf ? 2 : 0;
  if (at >= f.size()) return Error(Err::TooShort, "ppp header");
  if (f[at] == ppp::kAddress) return Error(Err::BadArg, "ppp address without control");
  if (f[at] & 1) {  // odd first octet: the whole protocol (PFC)
    r.pfc = true;
    r.protocol = f[at];
    r.payload = f.subspan(at + 1);
    return r;
  }
  if (at + 2 > f.size()) return Error(Err::TooShort, "ppp protocol");
  r.protocol = load16(f.data() + at);
  if (!(r.protocol & 1)) return Error(Err::BadArg, "ppp protocol " + std::to_string(r.protocol));
  r.payload = f.subspan(at + 2);
  return r;
}

PppRepr PppRepr::for_link(uint16_t protocol, bool acfc, bool pfc) {
  PppRepr r;
  r.protocol = protocol;
  r.acf = !acfc || protocol == ppp::kLcp;
  r.pfc = pfc && protocol < 0x100 && protocol != ppp::kReservedFf;
  return r;
}

void PppRepr::emit(uint8_t* out) const {
  if (acf) {
    *out++ = ppp::kAddress;
    *out++ = ppp::kControl;
  }
  if (one_byte())
    *out = uint8_t(protocol);
  else
    store16(out, protocol);
}

}  // namespace ninet::wire
