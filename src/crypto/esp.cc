// esp.cc — ESP's ciphers and integrity algorithms (esp.h) on OpenSSL's EVP.
//
// CBC keeps one context per direction, keyed once (AES decrypts with its own
// key schedule); a packet only sets the IV (EVP_CipherInit_ex2 with no
// cipher and no key). AES-CTR (RFC 3686) is one context: its counter block
// is the nonce, the packet's 8-byte IV and a 32-bit counter from 1. HMAC is
// an EVP_MAC keyed once and re-initialised per packet with the same key.
// AES-XCBC-MAC (RFC 3566 section 2) derives K1, K2, K3 by encrypting
// 0x01.., 0x02.., 0x03.. under the key, runs CBC under K1 over all blocks
// but the last, and encrypts the last one XORed with K2 (whole) or, padded
// with 80 00.., with K3.
#include "crypto/esp.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <cstring>
#include <string>

namespace ninet::crypto {

namespace {

struct CipherInfo {
  std::string_view name;
  EspCipher::Alg alg;
  const char* evp;  // OpenSSL's name; nullptr for null
  size_t key_len, iv_len, block;
};
constexpr CipherInfo kCiphers[] = {
    {"null", EspCipher::kNull, nullptr, 0, 0, 4},
    {"des_56_cbc", EspCipher::kDesCbc, "DES-CBC", 8, 8, 8},
    {"des3_cbc", EspCipher::kDes3Cbc, "DES-EDE3-CBC", 24, 8, 8},
    {"aes_128_cbc", EspCipher::kAes128Cbc, "AES-128-CBC", 16, 16, 16},
    {"aes_ctr", EspCipher::kAesCtr, "AES-128-CTR", 20, 8, 4},
};

struct AuthInfo {
  std::string_view name;
  EspAuth::Alg alg;
  const char* digest;  // HMAC's digest
  size_t key_len;
};
constexpr AuthInfo kAuths[] = {
    {"null", EspAuth::kNull, nullptr, 0},
    {"hmac_sha1_96", EspAuth::kHmacSha1, "SHA1", 20},
    {"hmac_md5_96", EspAuth::kHmacMd5, "MD5", 16},
    {"aes_xcbc_mac_96", EspAuth::kAesXcbc, nullptr, 16},
};

// A context for cipher under key (iv set per packet), no padding.
EVP_CIPHER_CTX* keyed_ctx(const EVP_CIPHER* c, const uint8_t* key, bool enc) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx && EVP_CipherInit_ex2(ctx, c, key, nullptr, enc ? 1 : 0, nullptr) == 1 &&
      EVP_CIPHER_CTX_set_padding(ctx, 0) == 1)
    return ctx;
  EVP_CIPHER_CTX_free(ctx);
  return nullptr;
}

// One 16-byte block through an ECB context.
bool ecb_block(EVP_CIPHER_CTX* ctx, const uint8_t* in, uint8_t* out) {
  int n = 0;
  return EVP_CipherUpdate(ctx, out, &n, in, 16) == 1 && n == 16;
}

}  // namespace

// ---- EspCipher ----

Result<std::unique_ptr<EspCipher>> EspCipher::create(std::shared_ptr<const Libcrypto> lib,
                                                     std::string_view alg,
                                                     std::span<const uint8_t> key) {
  const CipherInfo* info = nullptr;
  for (const CipherInfo& c : kCiphers)
    if (c.name == alg) info = &c;
  if (!info) return Error(Err::BadArg, "unknown esp algorithm " + std::string(alg));
  if (key.size() != info->key_len)
    return Error(Err::BadArg, std::string(alg) + " takes a " + std::to_string(info->key_len) +
                                  "-byte key, not " + std::to_string(key.size()));
  std::unique_ptr<EspCipher> c(new EspCipher);
  c->lib_ = std::move(lib);
  c->alg_ = info->alg;
  c->iv_len_ = info->iv_len;
  c->block_ = info->block;
  if (!info->evp) return c;
  c->cipher_ = EVP_CIPHER_fetch(c->lib_->ctx(), info->evp, nullptr);
  if (!c->cipher_) return ossl_error(Err::NotSupported, std::string("openssl ") + info->evp);
  // AES-CTR's key is the first 16 bytes (the cipher's key length); the
  // last 4 are the nonce.
  if (c->alg_ == kAesCtr) std::memcpy(c->nonce_.data(), key.data() + 16, 4);
  c->ctx_ = keyed_ctx(c->cipher_, key.data(), true);
  if (c->alg_ != kAesCtr) c->dec_ = keyed_ctx(c->cipher_, key.data(), false);
  if (!c->ctx_ || (c->alg_ != kAesCtr && !c->dec_))
    return ossl_error(Err::Io, std::string("openssl ") + info->evp + " key");
  return c;
}

EspCipher::~EspCipher() {
  EVP_CIPHER_CTX_free(ctx_);
  EVP_CIPHER_CTX_free(dec_);
  EVP_CIPHER_free(cipher_);
}

Status EspCipher::make_iv(uint64_t seq, std::span<uint8_t> out) {
  if (out.size() != iv_len_) return Error(Err::BadArg, "esp iv size");
  if (alg_ == kNull) return {};
  if (alg_ == kAesCtr) {
    for (size_t i = 0; i < 8; i++)
      out[i] = uint8_t(seq >> (56 - 8 * i));
    return {};
  }
  // From OpenSSL's DRBG 4 KiB at a time: one call per packet cost 3 us,
  // twice the AES-CBC of 1,400 bytes (bench/esp_benchmark).
  if (rand_pos_ + out.size() > rand_.size()) {
    rand_.resize(4096);
    if (RAND_bytes_ex(lib_->ctx(), rand_.data(), rand_.size(), 0) != 1)
      return ossl_error(Err::Io, "openssl random iv");
    rand_pos_ = 0;
  }
  std::memcpy(out.data(), rand_.data() + rand_pos_, out.size());
  std::memset(rand_.data() + rand_pos_, 0, out.size());  // each byte used once
  rand_pos_ += out.size();
  return {};
}

Status EspCipher::encrypt(std::span<const uint8_t> iv, std::span<uint8_t> data) {
  return crypt(iv, data, true);
}

Status EspCipher::decrypt(std::span<const uint8_t> iv, std::span<uint8_t> data) {
  return crypt(iv, data, false);
}

Status EspCipher::crypt(std::span<const uint8_t> iv, std::span<uint8_t> data, bool enc) {
  if (alg_ == kNull) return {};
  if (iv.size() != iv_len_) return Error(Err::BadArg, "esp iv size");
  if (alg_ != kAesCtr && data.size() % block_ != 0)
    return Error(Err::BadArg, "esp payload not a multiple of the cipher's block");
  EVP_CIPHER_CTX* ctx = enc || alg_ == kAesCtr ? ctx_ : dec_;
  uint8_t block[16];
  const uint8_t* ivp = iv.data();
  if (alg_ == kAesCtr) {  // RFC 3686 section 4: nonce | IV | counter 1
    std::memcpy(block, nonce_.data(), 4);
    std::memcpy(block + 4, iv.data(), 8);
    block[12] = block[13] = block[14] = 0;
    block[15] = 1;
    ivp = block;
  }
  int n = 0;
  if (EVP_CipherInit_ex2(ctx, nullptr, nullptr, ivp, -1, nullptr) != 1 ||
      EVP_CipherUpdate(ctx, data.data(), &n, data.data(), int(data.size())) != 1 ||
      size_t(n) != data.size())
    return ossl_error(Err::Io, "openssl esp cipher");
  return {};
}

// ---- EspAuth ----

Result<std::unique_ptr<EspAuth>> EspAuth::create(std::shared_ptr<const Libcrypto> lib,
                                                 std::string_view alg,
                                                 std::span<const uint8_t> key) {
  const AuthInfo* info = nullptr;
  for (const AuthInfo& a : kAuths)
    if (a.name == alg) info = &a;
  if (!info) return Error(Err::BadArg, "unknown ah algorithm " + std::string(alg));
  if (key.size() != info->key_len)
    return Error(Err::BadArg, std::string(alg) + " takes a " + std::to_string(info->key_len) +
                                  "-byte key, not " + std::to_string(key.size()));
  std::unique_ptr<EspAuth> a(new EspAuth);
  a->lib_ = std::move(lib);
  a->alg_ = info->alg;
  if (a->alg_ == kNull) return a;
  if (info->digest) {
    a->mac_ = EVP_MAC_fetch(a->lib_->ctx(), "HMAC", nullptr);
    a->mac_ctx_ = a->mac_ ? EVP_MAC_CTX_new(a->mac_) : nullptr;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(info->digest), 0),
        OSSL_PARAM_construct_end()};
    if (!a->mac_ctx_ || EVP_MAC_init(a->mac_ctx_, key.data(), key.size(), params) != 1)
      return ossl_error(Err::NotSupported, std::string("openssl HMAC-") + info->digest);
    return a;
  }
  // AES-XCBC-MAC: K1, K2, K3 from the key (RFC 3566 section 2.2).
  a->aes_ = EVP_CIPHER_fetch(a->lib_->ctx(), "AES-128-ECB", nullptr);
  EVP_CIPHER_CTX* k = a->aes_ ? keyed_ctx(a->aes_, key.data(), true) : nullptr;
  uint8_t c1[16], c2[16], c3[16], k1[16];
  std::memset(c1, 0x01, 16);
  std::memset(c2, 0x02, 16);
  std::memset(c3, 0x03, 16);
  const bool ok = k && ecb_block(k, c1, k1) && ecb_block(k, c2, a->k2_.data()) &&
                  ecb_block(k, c3, a->k3_.data());
  EVP_CIPHER_CTX_free(k);
  if (!ok) return ossl_error(Err::NotSupported, "openssl AES-128-ECB");
  a->k1_ = keyed_ctx(a->aes_, k1, true);
  a->cbc_ = EVP_CIPHER_fetch(a->lib_->ctx(), "AES-128-CBC", nullptr);
  a->k1_cbc_ = a->cbc_ ? keyed_ctx(a->cbc_, k1, true) : nullptr;
  if (!a->k1_ || !a->k1_cbc_) return ossl_error(Err::NotSupported, "openssl AES-128 for XCBC");
  return a;
}

EspAuth::~EspAuth() {
  EVP_MAC_CTX_free(mac_ctx_);
  EVP_MAC_free(mac_);
  EVP_CIPHER_CTX_free(k1_);
  EVP_CIPHER_CTX_free(k1_cbc_);
  EVP_CIPHER_free(aes_);
  EVP_CIPHER_free(cbc_);
}

Status EspAuth::xcbc_full(std::span<const uint8_t> data, std::array<uint8_t, 16>& out) {
  if (alg_ != kAesXcbc) return Error(Err::BadArg, "not aes_xcbc_mac_96");
  // The blocks before the last: CBC under K1 from a zero IV; E is the last
  // output block.
  const size_t last = data.empty() ? 0 : (data.size() - 1) / 16 * 16;
  uint8_t e[16] = {};
  if (last > 0) {
    if (scratch_.size() < last) scratch_.resize(last);
    int n = 0;
    if (EVP_CipherInit_ex2(k1_cbc_, nullptr, nullptr, e, -1, nullptr) != 1 ||
        EVP_CipherUpdate(k1_cbc_, scratch_.data(), &n, data.data(), int(last)) != 1 ||
        size_t(n) != last)
      return ossl_error(Err::Io, "openssl xcbc");
    std::memcpy(e, scratch_.data() + last - 16, 16);
  }
  uint8_t m[16] = {};
  const size_t rest = data.size() - last;  // 1..16, or 0 for an empty message
  std::memcpy(m, data.data() + last, rest);
  const uint8_t* k = k2_.data();
  if (rest < 16) {  // padded: 80 00 ..., and K3
    m[rest] = 0x80;
    k = k3_.data();
  }
  for (int i = 0; i < 16; i++)
    m[i] ^= e[i] ^ k[i];
  if (!ecb_block(k1_, m, out.data())) return ossl_error(Err::Io, "openssl xcbc");
  return {};
}

Status EspAuth::icv(std::span<const uint8_t> data, std::span<uint8_t> out) {
  if (out.size() < icv_len()) return Error(Err::BadArg, "esp icv buffer");
  switch (alg_) {
    case kNull:
      return {};
    case kAesXcbc: {
      std::array<uint8_t, 16> full;
      if (auto st = xcbc_full(data, full); !st) return st;
      std::memcpy(out.data(), full.data(), kIcvLen);
      return {};
    }
    default: {
      uint8_t full[EVP_MAX_MD_SIZE];
      size_t n = 0;
      if (EVP_MAC_init(mac_ctx_, nullptr, 0, nullptr) != 1 ||
          EVP_MAC_update(mac_ctx_, data.data(), data.size()) != 1 ||
          EVP_MAC_final(mac_ctx_, full, &n, sizeof full) != 1 || n < kIcvLen)
        return ossl_error(Err::Io, "openssl hmac");
      std::memcpy(out.data(), full, kIcvLen);
      return {};
    }
  }
}

bool EspAuth::verify(std::span<const uint8_t> data, std::span<const uint8_t> got) {
  if (got.size() != icv_len()) return false;
  if (alg_ == kNull) return true;
  uint8_t want[kIcvLen];
  if (!icv(data, want)) return false;
  return CRYPTO_memcmp(want, got.data(), kIcvLen) == 0;
}

}  // namespace ninet::crypto
