// mppe.h — MPPE (RFC 3078) for one direction of one PPP session, and its key
// derivation from MS-CHAPv2 (RFC 3079 section 3).
//
//   auto lib = Libcrypto::open();
//   auto tx = Mppe::create(*lib, {.key_bits = 128, .stateless = true, .master_key = send_key});
//   // packet = 2 bytes of room, then the inner PPP protocol and information
//   auto hdr = tx->encrypt(packet);                // header written, the rest encrypted
//   auto in = rx->decrypt(packet);                 // the peer's side, in place
//   if (in.verdict == MppeVerdict::kResetRequest) send_ccp_reset_request();
//   if (in.ok()) deliver(in.data);
//   // on a CCP Reset-Request from the peer: tx->reset_request();
//
// Keys (RFC 3079 section 3). An authenticator gets PasswordHashHash and the
// peer's NT-Response from MS-CHAPv2 (mschap.h); get_master_key() makes the
// 16-byte MasterKey, get_asymmetric_start_key() the start key of each direction
// (the server's send key is the client's receive key). That start key is what
// pipex's pipex_mppe_req calls master_key (16 bytes; 40- and 56-bit sessions
// use its first 8) and what MppeConfig::master_key holds. The first session key
// is GetNewKeyFromSHA(start, start), reduced (40 bits: d1 26 9e in bytes 0-2;
// 56 bits: d1 in byte 0), with no RC4 step (RFC 3079 sections 3.1-3.3 and the
// samples of 3.5; Linux's mppe_rekey(initial), pipex_mppe_init). Each later
// change (RFC 3078 section 7.3): interim = GetNewKeyFromSHA(start, current);
// key = RC4(interim, interim); reduce.
//
// The header (RFC 3078 section 3): A 0x8000 "flushed" (the RC4 state was
// re-initialised, with a new key: see below), B 0x4000 and C 0x2000 (MPPC's,
// never negotiated here), D 0x1000 "encrypted", and a 12-bit coherency count.
// It is parsed here rather than in src/wire because it is two bytes that only
// this code reads, and the crypto layer may use base only.
//
// Sending. The first packet has count 0. Stateless: every packet gets a new key
// and the flushed bit. Stateful: the key changes every 256 packets, on the
// "flag" packets whose count's low byte is 0xff, and on the first packet after
// reset_request() (a CCP Reset-Request from the peer); those packets carry the
// flushed bit, and between them the RC4 keystream runs on across packets. The
// first stateful packet is not flushed (Linux's ppp_mppe: a Linux receiver
// changes the key on every flushed packet, so flushing the first one, as RFC
// 3078 section 3.1 suggests, would put it one key ahead).
//
// Receiving. The distance d = (count - expected) mod 4096 sorts a packet:
// d < 0xf00 is d packets lost and this one; d >= 0xf00 (up to 256 behind) is a
// late (reordered or duplicated) packet, dropped as kLate with nothing changed.
// OpenBSD's pipex_mppe_input splits the count space at the same 0x0f00.
// - Stateless: d+1 key changes, then decrypt. A jump costs at most 3840 key
//   changes (a SHA-1 and an RC4 key schedule each): bounded, never a loop
//   without end on the peer's say-so. What the others do with a late packet:
//   Linux's mppe_decompress rekeys until the count comes round again (up to
//   4095 times) and is then 4096 keys ahead of its peer for good; pipex keeps
//   64 old keys and decrypts a late packet with its own. We drop it: an
//   unsequenced L2TP session loses the odd reordered packet, but never the
//   whole stream.
// - Stateful: the keystream runs on, so a loss cannot be skipped. A packet that
//   is not the expected one and not flushed starts the discard state and is
//   kResetRequest: drop it and send a CCP Reset-Request. Later unflushed
//   packets are kDiscard, and again kResetRequest on the 2nd, 4th, 8th, ... and
//   then every 64th, so that a lost Reset-Request is repeated without a timer
//   and without answering every packet. A flushed packet resynchronises
//   (whether or not a loss was seen): one key change per flag packet passed
//   since the expected count (one per 256-count block boundary crossed), then one
//   for the flushed packet itself, then decrypt. That is Linux's ppp_mppe,
//   which NOTES.md says users' peers run. OpenBSD's pipex and FreeBSD instead
//   restart RC4 with the same key after a Reset-Request, so a stateful session
//   with them desynchronises after a loss; Debian's pppd negotiates stateless
//   anyway. The price of Linux's way: if a packet flushed for a reset is lost
//   (or overtaken by a later flushed one), the two ends are a key apart for
//   good, and nothing in MPPE can tell.
// - Dropped with nothing changed: shorter than the header and one byte
//   (kShort); D clear, B or C set, stateless without the flushed bit, a
//   stateful flag packet without it (Linux's sanity checks) (kBadHeader). In
//   stateful mode the next packet then shows the gap and asks for a reset.
// - MPPE has no integrity check: a wrong key, or a forged packet, decrypts to
//   garbage (kOk); the PPP layer above drops what does not parse. A forged count
//   can also move a receiver's key on, as with every MPPE implementation.
//
// Cost: one Rc4 and one Sha1 context per direction, made in create() and
// re-keyed in place: packets between key changes allocate nothing, and a key
// change only the SHA-1 context's one malloc of OpenSSL 3.0 (libcrypto.h).
// Measured at -O2 with OpenSSL 3.0.19 on a shared 2-core VM: 1400-byte
// packets, encrypt plus decrypt, 5-6 us stateful and 11-12 us stateless (a key
// change on each side); a key change alone 1-2 us, so the longest stateless
// jump (3839 counts) takes 4-8 ms.
//
// An Mppe is one direction: use it to encrypt or to decrypt, not both (they
// share the count and key). Not thread-safe; one session's direction belongs to
// one thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "base/error.h"
#include "crypto/libcrypto.h"
#include "crypto/mschap.h"

namespace ninet::crypto {

// --- Key derivation (RFC 3079) ---

// GetMasterKey (section 3.4): SHA1(PasswordHashHash ‖ NT-Response ‖ Magic1), 16 bytes.
Result<Bytes16> get_master_key(const Libcrypto& lib, const NtHash& password_hash_hash,
                               const NtResponse& nt_response);
// GetAsymmetricStartKey (section 3.4): key_len (8 or 16) bytes of
// SHA1(MasterKey ‖ 40×00 ‖ Magic ‖ 40×f2), Magic chosen by direction and side:
// the client's send key is the server's receive key and the other way round.
Result<Bytes16> get_asymmetric_start_key(const Libcrypto& lib, const Bytes16& master_key,
                                         size_t key_len, bool is_send, bool is_server);
// GetNewKeyFromSHA (RFC 3078 section 7.3): key_len bytes of
// SHA1(StartKey ‖ 40×00 ‖ SessionKey ‖ 40×f2), over the first key_len bytes of each.
Result<Bytes16> get_new_key_from_sha(const Libcrypto& lib, const Bytes16& start_key,
                                     const Bytes16& session_key, size_t key_len);
// The key length in bytes of an MPPE key of `bits` (40, 56: 8; 128: 16), or nullopt.
std::optional<size_t> mppe_key_len(int bits);
// The reduction of RFC 3079 sections 3.1 and 3.2: for 40 bits
// bytes 0-2 become d1 26 9e, for 56 bits byte 0 becomes d1; 128 bits unchanged.
void reduce_session_key(int bits, Bytes16& key);

// --- The header (RFC 3078 section 3) ---

struct MppeHeader {
  static constexpr size_t kLen = 2;
  static constexpr uint16_t kFlushed = 0x8000;    // A
  static constexpr uint16_t kMppcB = 0x4000;      // B, MPPC
  static constexpr uint16_t kMppcC = 0x2000;      // C, MPPC
  static constexpr uint16_t kEncrypted = 0x1000;  // D
  static constexpr uint16_t kCountMask = 0x0fff;

  bool flushed = false;
  bool encrypted = true;
  bool mppc = false;  // B or C set (received only: emit() never sets them)
  uint16_t count = 0;

  // The first two bytes of p (p.size() >= kLen).
  static MppeHeader parse(std::span<const uint8_t> p);
  void emit(std::span<uint8_t> p) const;
};

// --- One direction of a session ---

struct MppeConfig {
  int key_bits = 128;  // 40, 56 or 128
  bool stateless = true;
  Bytes16 master_key{};  // the direction's start key (pipex_mppe_req.master_key)
};

// What decrypt() made of a packet: each drop reason once, with its text.
#define NINET_MPPE_VERDICTS(X)                                   \
  X(kOk, "decrypted")                                            \
  X(kResetRequest, "mppe packet lost: send a ccp reset-request") \
  X(kDiscard, "mppe packet dropped until a flushed one")         \
  X(kLate, "mppe coherency count behind")                        \
  X(kBadHeader, "bad mppe header")                               \
  X(kShort, "mppe packet too short")                             \
  X(kCryptoFailed, "openssl failed")

enum class MppeVerdict : uint8_t {
#define X(name, text) name,
  NINET_MPPE_VERDICTS(X)
#undef X
};
std::string_view mppe_verdict_text(MppeVerdict v);

struct MppeInput {
  MppeVerdict verdict = MppeVerdict::kShort;
  MppeHeader header;        // as received (not for kShort)
  uint16_t lost = 0;        // kOk: counts between the last packet delivered and this one
  std::span<uint8_t> data;  // kOk: the decrypted protocol field and information
  bool ok() const { return verdict == MppeVerdict::kOk; }
};

class Mppe {
 public:
  // Err::BadArg for a key length other than 40, 56 or 128 bits.
  static Result<Mppe> create(std::shared_ptr<const Libcrypto> lib, const MppeConfig& config);

  // packet: MppeHeader::kLen bytes of room, then at least one byte of the inner
  // PPP protocol field and information. Writes the header, encrypts the rest in
  // place, returns the header written. Err::TooShort, or an OpenSSL failure.
  Result<MppeHeader> encrypt(std::span<uint8_t> packet);
  // The peer sent a CCP Reset-Request: the next packet (stateful) gets a new key
  // and the flushed bit. Every stateless packet is flushed already.
  void reset_request() { flush_next_ = true; }

  // packet: the header and the encrypted data; decrypts the data in place.
  MppeInput decrypt(std::span<uint8_t> packet);

  int key_bits() const { return bits_; }
  bool stateless() const { return stateless_; }
  // Sender: the next count to send; receiver: the count expected next.
  uint16_t count() const { return count_; }
  // Receiver, stateful: dropping packets until a flushed one.
  bool discarding() const { return discarding_; }
  // The current session key (key_len bytes).
  std::span<const uint8_t> session_key() const { return std::span(session_).first(key_len_); }

 private:
  Mppe(Rc4 rc4, Sha1 sha1) : rc4_(std::move(rc4)), sha1_(std::move(sha1)) {}
  // RFC 3078 section 7.3: the next session key. Leaves rc4_ keyed with the interim key.
  Status change_key();
  Status change_keys(unsigned n);  // n changes, then rc4_ keyed with the result
  MppeVerdict discard();           // one more packet dropped while discarding

  Rc4 rc4_;    // the packets' keystream; also the key change's RC4 step
  Sha1 sha1_;  // GetNewKeyFromSHA
  int bits_ = 128;
  size_t key_len_ = 16;
  bool stateless_ = true;
  Bytes16 start_{};
  Bytes16 session_{};
  uint16_t count_ = 0;
  bool flush_next_ = false;
  bool discarding_ = false;
  uint32_t discarded_ = 0;
};

}  // namespace ninet::crypto
