#include "crypto/mschap.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <bit>

namespace ninet::crypto {

namespace {

// RFC 2759 section 8.1: "Password is 0-to-256-unicode-char".
constexpr size_t kMaxPasswordUnits = 256;

// RFC 2759 section 8.7's two constants, given there as bytes of ASCII text.
constexpr std::string_view kAuthMagic1 = "Magic server to client signing constant";
constexpr std::string_view kAuthMagic2 = "Pad to make it do more than one iteration";
static_assert(kAuthMagic1.size() == 39 && kAuthMagic2.size() == 41);

// Writes the UTF-16LE form of the UTF-8 text s into out and sets len to its
// length in bytes. False on invalid UTF-8 (truncated or overlong sequences,
// surrogates, code points beyond U+10FFFF) or more than out.size() / 2 units.
bool to_utf16le(std::string_view s, std::span<uint8_t> out, size_t& len) {
  static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  len = 0;
  auto put = [&](uint32_t unit) {
    if (len + 2 > out.size()) return false;
    out[len++] = uint8_t(unit);
    out[len++] = uint8_t(unit >> 8);
    return true;
  };
  for (size_t i = 0; i < s.size();) {
    uint8_t b = uint8_t(s[i]);
    int more = b < 0x80             ? 0
               : (b & 0xe0) == 0xc0 ? 1
               : (b & 0xf0) == 0xe0 ? 2
               : (b & 0xf8) == 0xf0 ? 3
                                    : -1;
    if (more < 0 || s.size() - i <= size_t(more)) return false;
    uint32_t cp = more == 0 ? b : b & (0x3f >> more);
    for (int k = 1; k <= more; k++) {
      uint8_t c = uint8_t(s[i + k]);
      if ((c & 0xc0) != 0x80) return false;
      cp = cp << 6 | (c & 0x3f);
    }
    if (cp < kMin[more] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += size_t(more) + 1;
    bool ok =
        cp < 0x10000 ? put(cp) : put(0xd800 | (cp - 0x10000) >> 10) && put(0xdc00 | (cp & 0x3ff));
    if (!ok) return false;
  }
  return true;
}

// A DES key from 7 bytes (56 bits): seven bits to a byte, most significant
// first, with odd parity in the low bit. RFC 2759 section 8.6 (DesEncrypt)
// leaves this to the implementer: DES takes 64 key bits of which every eighth
// is parity. OpenSSL ignores parity; setting it makes the key the standard one.
std::array<uint8_t, 8> des_key(const uint8_t* k7) {
  uint64_t v = 0;
  for (int i = 0; i < 7; i++)
    v = v << 8 | k7[i];
  std::array<uint8_t, 8> key;
  for (int j = 0; j < 8; j++) {
    uint8_t b = uint8_t((v >> (49 - 7 * j)) & 0x7f) << 1;
    key[j] = std::popcount(b) % 2 == 0 ? b | 1 : b;
  }
  return key;
}

}  // namespace

std::string_view mschap_user_name(std::string_view name) {
  size_t slash = name.rfind('\\');
  return slash == std::string_view::npos ? name : name.substr(slash + 1);
}

Result<NtHash> nt_password_hash(const Libcrypto& lib, std::string_view password) {
  std::array<uint8_t, 2 * kMaxPasswordUnits> unicode;
  size_t len = 0;
  if (!to_utf16le(password, unicode, len)) {
    OPENSSL_cleanse(unicode.data(), unicode.size());
    return Error(Err::BadArg, "password: invalid utf-8 or longer than 256 characters");
  }
  auto h = lib.md4(std::span(unicode).first(len));
  OPENSSL_cleanse(unicode.data(), unicode.size());
  return h;
}

Result<NtHash> hash_nt_password_hash(const Libcrypto& lib, const NtHash& password_hash) {
  return lib.md4(password_hash);
}

Result<std::array<uint8_t, 8>> challenge_hash(const Libcrypto& lib, const MschapChallenge& peer,
                                              const MschapChallenge& authenticator,
                                              std::string_view user) {
  auto d = lib.sha1({peer, authenticator, bytes_of(user)});
  if (!d) return d.error();
  std::array<uint8_t, 8> out;
  std::copy_n(d->begin(), out.size(), out.begin());
  return out;
}

Result<NtResponse> challenge_response(const Libcrypto& lib, const std::array<uint8_t, 8>& challenge,
                                      const NtHash& password_hash) {
  std::array<uint8_t, 21> z{};  // ZPasswordHash: the hash, then five zeros
  std::copy(password_hash.begin(), password_hash.end(), z.begin());
  NtResponse out;
  for (int i = 0; i < 3; i++) {
    auto block = lib.des_encrypt(des_key(z.data() + 7 * i), challenge);
    if (!block) return block.error();
    std::copy(block->begin(), block->end(), out.begin() + 8 * i);
  }
  OPENSSL_cleanse(z.data(), z.size());
  return out;
}

Result<NtResponse> generate_nt_response(const Libcrypto& lib, const MschapChallenge& authenticator,
                                        const MschapChallenge& peer, std::string_view user,
                                        const NtHash& password_hash) {
  auto ch = challenge_hash(lib, peer, authenticator, user);
  if (!ch) return ch.error();
  return challenge_response(lib, *ch, password_hash);
}

Result<NtResponse> generate_nt_response(const Libcrypto& lib, const MschapChallenge& authenticator,
                                        const MschapChallenge& peer, std::string_view user,
                                        std::string_view password) {
  auto h = nt_password_hash(lib, password);
  if (!h) return h.error();
  return generate_nt_response(lib, authenticator, peer, user, *h);
}

Result<bool> check_nt_response(const Libcrypto& lib, const MschapChallenge& authenticator,
                               const MschapChallenge& peer, std::string_view user,
                               const NtHash& password_hash, const NtResponse& received) {
  auto want = generate_nt_response(lib, authenticator, peer, user, password_hash);
  if (!want) return want.error();
  return CRYPTO_memcmp(want->data(), received.data(), received.size()) == 0;
}

Result<std::string> generate_authenticator_response(
    const Libcrypto& lib, const NtHash& password_hash, const NtResponse& nt_response,
    const MschapChallenge& peer, const MschapChallenge& authenticator, std::string_view user) {
  auto hash_hash = hash_nt_password_hash(lib, password_hash);
  if (!hash_hash) return hash_hash.error();
  auto digest = lib.sha1({*hash_hash, nt_response, bytes_of(kAuthMagic1)});
  if (!digest) return digest.error();
  auto ch = challenge_hash(lib, peer, authenticator, user);
  if (!ch) return ch.error();
  auto final_digest = lib.sha1({*digest, *ch, bytes_of(kAuthMagic2)});
  if (!final_digest) return final_digest.error();
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string s = "S=";
  for (uint8_t b : *final_digest) {
    s += kHex[b >> 4];
    s += kHex[b & 15];
  }
  return s;
}

Result<std::string> generate_authenticator_response(const Libcrypto& lib, std::string_view password,
                                                    const NtResponse& nt_response,
                                                    const MschapChallenge& peer,
                                                    const MschapChallenge& authenticator,
                                                    std::string_view user) {
  auto h = nt_password_hash(lib, password);
  if (!h) return h.error();
  return generate_authenticator_response(lib, *h, nt_response, peer, authenticator, user);
}

}  // namespace ninet::crypto
