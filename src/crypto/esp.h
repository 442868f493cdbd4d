// esp.h — the ciphers and integrity algorithms of ip(3)'s ESP (`esp alg
// secret`, `ah alg secret`), every primitive OpenSSL's, through the
// Libcrypto context (libcrypto.h):
//
//   encryption (RFC 4303 section 2.3-2.4; key bytes; IV bytes on the wire;
//   block the payload is padded to):
//     null        RFC 2410                   0    0   4
//     des_56_cbc  RFC 2405 (DES-CBC)         8    8   8
//     des3_cbc    RFC 2451 (3DES-EDE-CBC)    24   8   8
//     aes_128_cbc RFC 3602                   16   16  16
//     aes_ctr     RFC 3686 (AES-128 + nonce) 20   8   4    (the key's last 4 bytes are the nonce)
//   integrity (ICV bytes):
//     null            0
//     hmac_sha1_96    RFC 2404, key 20     12
//     hmac_md5_96     RFC 2403, key 16     12
//     aes_xcbc_mac_96 RFC 3566, key 16     12   (XCBC built on OpenSSL's AES)
//
//   auto c = EspCipher::create(lib, "aes_128_cbc", key);   // Error for an unknown name or key size
//   c->encrypt(iv, payload);    // in place; payload a multiple of c->block() for CBC
//   auto a = EspAuth::create(lib, "hmac_sha1_96", key);
//   a->icv(packet, icv);        // a->icv_len() bytes
//
// Each object owns its OpenSSL contexts, made once: a packet allocates
// nothing. One object belongs to one thread at a time.
#pragma once

#include <openssl/types.h>

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "crypto/libcrypto.h"

namespace ninet::crypto {

class EspCipher {
 public:
  enum Alg { kNull, kDesCbc, kDes3Cbc, kAes128Cbc, kAesCtr };
  // alg is ip(3)'s name; key its key bytes (for aes_ctr: 16 key + 4 nonce).
  static Result<std::unique_ptr<EspCipher>> create(std::shared_ptr<const Libcrypto> lib,
                                                   std::string_view alg,
                                                   std::span<const uint8_t> key);
  ~EspCipher();
  EspCipher(const EspCipher&) = delete;
  EspCipher& operator=(const EspCipher&) = delete;

  Alg alg() const { return alg_; }
  size_t iv_len() const { return iv_len_; }
  // The payload with its trailer is a multiple of this (RFC 4303 2.4: at
  // least 4, the cipher's block for CBC).
  size_t block() const { return block_; }
  // A sender's IV for its packet number seq (iv_len() bytes): random for
  // CBC (RFC 4303 3.3.2: unpredictable; OpenSSL's DRBG), the number itself
  // for CTR (RFC 3686 section 3: never reused under one key).
  Status make_iv(uint64_t seq, std::span<uint8_t> out);
  // data in place; iv is iv_len() bytes. CBC needs a multiple of block().
  Status encrypt(std::span<const uint8_t> iv, std::span<uint8_t> data);
  Status decrypt(std::span<const uint8_t> iv, std::span<uint8_t> data);

 private:
  EspCipher() = default;
  Status crypt(std::span<const uint8_t> iv, std::span<uint8_t> data, bool enc);

  std::shared_ptr<const Libcrypto> lib_;
  Alg alg_ = kNull;
  size_t iv_len_ = 0, block_ = 4;
  EVP_CIPHER* cipher_ = nullptr;    // fetched for this object
  EVP_CIPHER_CTX* ctx_ = nullptr;   // encrypts (and, for CTR, decrypts)
  EVP_CIPHER_CTX* dec_ = nullptr;   // CBC's decrypting context
  std::array<uint8_t, 4> nonce_{};  // aes_ctr
  std::vector<uint8_t> rand_;       // CBC IVs to come (make_iv)
  size_t rand_pos_ = 0;
};

class EspAuth {
 public:
  enum Alg { kNull, kHmacSha1, kHmacMd5, kAesXcbc };
  static constexpr size_t kIcvLen = 12;  // every algorithm here but null (NOTES.md)
  static Result<std::unique_ptr<EspAuth>> create(std::shared_ptr<const Libcrypto> lib,
                                                 std::string_view alg,
                                                 std::span<const uint8_t> key);
  ~EspAuth();
  EspAuth(const EspAuth&) = delete;
  EspAuth& operator=(const EspAuth&) = delete;

  Alg alg() const { return alg_; }
  size_t icv_len() const { return alg_ == kNull ? 0 : kIcvLen; }
  // The ICV of data (its first icv_len() bytes of the full MAC) into icv.
  Status icv(std::span<const uint8_t> data, std::span<uint8_t> out);
  // True if icv (icv_len() bytes) is data's: compared in constant time.
  bool verify(std::span<const uint8_t> data, std::span<const uint8_t> icv);
  // The full 16-byte AES-XCBC-MAC (RFC 3566's test vectors give it whole).
  Status xcbc_full(std::span<const uint8_t> data, std::array<uint8_t, 16>& out);

 private:
  EspAuth() = default;

  std::shared_ptr<const Libcrypto> lib_;
  Alg alg_ = kNull;
  EVP_MAC* mac_ = nullptr;
  EVP_MAC_CTX* mac_ctx_ = nullptr;  // HMAC, keyed once
  EVP_CIPHER* aes_ = nullptr;       // XCBC: AES-128-ECB and -CBC under K1
  EVP_CIPHER* cbc_ = nullptr;
  EVP_CIPHER_CTX* k1_ = nullptr;
  EVP_CIPHER_CTX* k1_cbc_ = nullptr;
  std::array<uint8_t, 16> k2_{}, k3_{};
  std::vector<uint8_t> scratch_;  // CBC's output, unused but for its last block
};

}  // namespace ninet::crypto
