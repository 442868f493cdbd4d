#include "crypto/mppe.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <bit>

#include "base/endian.h"

namespace ninet::crypto {

namespace {

// RFC 3079 section 3.4's constants, given there as bytes of ASCII text.
constexpr std::string_view kMasterMagic = "This is the MPPE Master Key";
constexpr std::string_view kClientSendMagic =  // Magic2
    "On the client side, this is the send key; on the server side, it is the receive key.";
constexpr std::string_view kClientReceiveMagic =  // Magic3
    "On the client side, this is the receive key; on the server side, it is the send key.";
static_assert(kMasterMagic.size() == 27 && kClientSendMagic.size() == 84 &&
              kClientReceiveMagic.size() == 84);

// SHSpad1 and SHSpad2 (RFC 3078 section 7.3, RFC 3079 section 3.4).
constexpr std::array<uint8_t, 40> kPad1{};
constexpr std::array<uint8_t, 40> kPad2 = [] {
  std::array<uint8_t, 40> p{};
  p.fill(0xf2);
  return p;
}();

// A count this far ahead of the expected one, or more, is a late packet: the
// 256 counts behind (pipex_mppe_input's 0x0f00).
constexpr uint16_t kLateFrom = 0x0f00;

// GetNewKeyFromSHA's input: key_len bytes of each key between the pads.
template <typename Digest>
Status new_key_from_sha(Digest&& digest, const Bytes16& start, const Bytes16& session,
                        size_t key_len, Bytes16& out) {
  Sha1Digest d;
  Status s =
      digest({std::span(start).first(key_len), kPad1, std::span(session).first(key_len), kPad2}, d);
  if (s) std::copy_n(d.begin(), key_len, out.begin());
  OPENSSL_cleanse(d.data(), d.size());
  return s;
}

}  // namespace

Result<Bytes16> get_master_key(const Libcrypto& lib, const NtHash& password_hash_hash,
                               const NtResponse& nt_response) {
  auto d = lib.sha1({password_hash_hash, nt_response, bytes_of(kMasterMagic)});
  if (!d) return d.error();
  Bytes16 key;
  std::copy_n(d->begin(), key.size(), key.begin());
  return key;
}

Result<Bytes16> get_asymmetric_start_key(const Libcrypto& lib, const Bytes16& master_key,
                                         size_t key_len, bool is_send, bool is_server) {
  if (key_len != 8 && key_len != 16) return Error(Err::BadArg, "mppe start key of 8 or 16 bytes");
  // The client's send key is the server's receive key (Magic2), and the other way round.
  std::string_view magic = is_send == is_server ? kClientReceiveMagic : kClientSendMagic;
  auto d = lib.sha1({master_key, kPad1, bytes_of(magic), kPad2});
  if (!d) return d.error();
  Bytes16 key{};
  std::copy_n(d->begin(), key_len, key.begin());
  return key;
}

Result<Bytes16> get_new_key_from_sha(const Libcrypto& lib, const Bytes16& start_key,
                                     const Bytes16& session_key, size_t key_len) {
  if (key_len != 8 && key_len != 16) return Error(Err::BadArg, "mppe key of 8 or 16 bytes");
  auto digest = [&](std::initializer_list<std::span<const uint8_t>> parts,
                    Sha1Digest& out) -> Status {
    auto d = lib.sha1(parts);
    if (!d) return d.error();
    out = *d;
    return {};
  };
  Bytes16 key{};
  if (auto s = new_key_from_sha(digest, start_key, session_key, key_len, key); !s) return s.error();
  return key;
}

std::optional<size_t> mppe_key_len(int bits) {
  if (bits == 40 || bits == 56) return 8;
  if (bits == 128) return 16;
  return std::nullopt;
}

void reduce_session_key(int bits, Bytes16& key) {
  if (bits == 40) {
    key[0] = 0xd1;
    key[1] = 0x26;
    key[2] = 0x9e;
  } else if (bits == 56) {
    key[0] = 0xd1;
  }
}

MppeHeader MppeHeader::parse(std::span<const uint8_t> p) {
  uint16_t v = load16(p.data());
  MppeHeader h;
  h.flushed = (v & kFlushed) != 0;
  h.encrypted = (v & kEncrypted) != 0;
  h.mppc = (v & (kMppcB | kMppcC)) != 0;
  h.count = v & kCountMask;
  return h;
}

void MppeHeader::emit(std::span<uint8_t> p) const {
  store16(p.data(),
          uint16_t((flushed ? kFlushed : 0) | (encrypted ? kEncrypted : 0) | (count & kCountMask)));
}

std::string_view mppe_verdict_text(MppeVerdict v) {
  static constexpr std::string_view kText[] = {
#define X(name, text) text,
      NINET_MPPE_VERDICTS(X)
#undef X
  };
  return kText[static_cast<int>(v)];
}

Result<Mppe> Mppe::create(std::shared_ptr<const Libcrypto> lib, const MppeConfig& config) {
  auto len = mppe_key_len(config.key_bits);
  if (!len) return Error(Err::BadArg, "mppe key length of 40, 56 or 128 bits");
  auto rc4 = Rc4::create(lib);
  if (!rc4) return rc4.error();
  auto sha1 = Sha1::create(lib);
  if (!sha1) return sha1.error();
  Mppe m(std::move(*rc4), std::move(*sha1));
  m.bits_ = config.key_bits;
  m.key_len_ = *len;
  m.stateless_ = config.stateless;
  m.start_ = config.master_key;
  // The first session key: GetNewKeyFromSHA(start, start), reduced, without the
  // RC4 step of later changes (RFC 3079 section 3.5's samples).
  auto digest = [&m](std::initializer_list<std::span<const uint8_t>> parts, Sha1Digest& out) {
    return m.sha1_.digest(parts, out);
  };
  if (auto s = new_key_from_sha(digest, m.start_, m.start_, m.key_len_, m.session_); !s)
    return s.error();
  reduce_session_key(m.bits_, m.session_);
  if (auto s = m.rc4_.set_key(m.session_key()); !s) return s.error();
  return m;
}

Status Mppe::change_key() {
  auto digest = [this](std::initializer_list<std::span<const uint8_t>> parts, Sha1Digest& out) {
    return sha1_.digest(parts, out);
  };
  Bytes16 interim{};
  Status s = new_key_from_sha(digest, start_, session_, key_len_, interim);
  // The interim key encrypted with itself is the new key (RFC 3078 section 7.3).
  auto key = std::span(interim).first(key_len_);
  if (s) s = rc4_.set_key(key);
  if (s) s = rc4_.crypt(key, std::span(session_).first(key_len_));
  OPENSSL_cleanse(interim.data(), interim.size());
  if (s) reduce_session_key(bits_, session_);
  return s;
}

Status Mppe::change_keys(unsigned n) {
  for (unsigned i = 0; i < n; i++) {
    if (auto s = change_key(); !s) return s;
  }
  return rc4_.set_key(session_key());
}

Result<MppeHeader> Mppe::encrypt(std::span<uint8_t> packet) {
  if (packet.size() <= MppeHeader::kLen) return Error(Err::TooShort, "mppe: nothing to encrypt");
  MppeHeader h;
  h.count = count_;
  h.flushed = stateless_ || (count_ & 0xff) == 0xff || flush_next_;
  if (h.flushed) {
    if (auto s = change_keys(1); !s) return s.error();
    flush_next_ = false;
  }
  h.emit(packet);
  if (auto s = rc4_.crypt(packet.subspan(MppeHeader::kLen)); !s) return s.error();
  count_ = (count_ + 1) & MppeHeader::kCountMask;
  return h;
}

MppeVerdict Mppe::discard() {
  discarded_++;
  // Ask again on the 2nd, 4th, ... 64th packet dropped, then on every 64th: a
  // lost Reset-Request is repeated, at a bounded rate, without a timer.
  bool again = discarded_ <= 64 ? std::has_single_bit(discarded_) : discarded_ % 64 == 0;
  return again ? MppeVerdict::kResetRequest : MppeVerdict::kDiscard;
}

MppeInput Mppe::decrypt(std::span<uint8_t> packet) {
  MppeInput in;
  if (packet.size() <= MppeHeader::kLen) return in;  // kShort
  in.header = MppeHeader::parse(packet);
  const MppeHeader& h = in.header;
  bool flag = (h.count & 0xff) == 0xff;
  if (!h.encrypted || h.mppc || (stateless_ && !h.flushed) || (!stateless_ && flag && !h.flushed)) {
    in.verdict = MppeVerdict::kBadHeader;
    return in;
  }
  uint16_t ahead = (h.count - count_) & MppeHeader::kCountMask;
  bool late = ahead >= kLateFrom;
  unsigned changes = 0;
  if (stateless_ || h.flushed) {
    if (late) {
      in.verdict = MppeVerdict::kLate;
      return in;
    }
    // Stateless: a key per count. Stateful: a key per flag packet passed since
    // the expected count (one per 256-block boundary crossed: ahead < 0xf00
    // keeps the difference of block numbers exact mod 16), and one for this one.
    changes = stateless_ ? ahead + 1u : (((h.count >> 8) - (count_ >> 8)) & 0xf) + 1u;
  } else if (discarding_) {
    in.verdict = discard();
    return in;
  } else if (ahead != 0) {
    if (late) {
      in.verdict = MppeVerdict::kLate;
      return in;
    }
    discarding_ = true;
    discarded_ = 1;
    in.verdict = MppeVerdict::kResetRequest;
    return in;
  }
  if (changes > 0 && !change_keys(changes)) {
    in.verdict = MppeVerdict::kCryptoFailed;
    return in;
  }
  auto data = packet.subspan(MppeHeader::kLen);
  if (!rc4_.crypt(data)) {
    in.verdict = MppeVerdict::kCryptoFailed;
    return in;
  }
  discarding_ = false;
  discarded_ = 0;
  count_ = (h.count + 1) & MppeHeader::kCountMask;
  in.lost = ahead;
  in.data = data;
  in.verdict = MppeVerdict::kOk;
  return in;
}

}  // namespace ninet::crypto
