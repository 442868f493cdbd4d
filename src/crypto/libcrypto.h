// libcrypto.h — ninet's one door to OpenSSL's libcrypto: a library context of
// its own with the "default" and "legacy" providers, and thin wrappers for what
// MPPE and MS-CHAPv2 need (SHA-1, MD4, single DES in ECB, RC4). No cipher or hash
// is written here; every primitive is OpenSSL's.
//
//   auto lib = Libcrypto::open();              // Error if the legacy provider is missing
//   if (!lib) return lib.error();
//   auto md = (*lib)->md4(bytes);              // one-shot, for handshakes
//   auto rc4 = Rc4::create(*lib);              // a context kept for packets
//   rc4->set_key(key);  rc4->crypt(data);      // no allocation per key or packet
//
// Why a context of its own: OpenSSL 3 keeps RC4, MD4 and single DES in the
// "legacy" provider, which its default configuration does not load. Loading it
// into OpenSSL's default context would change what every other user of libcrypto
// in the process gets, and would depend on /etc/ssl/openssl.cnf; an OSSL_LIB_CTX
// owned by a Libcrypto keeps the choice local. Both providers are loaded
// explicitly and every algorithm is fetched once, in open(): a missing provider
// is one Error there (Err::NotSupported, "openssl legacy provider ..."), never a
// failure on the packet path.
//
// Cost: Sha1 and Rc4 own one EVP context each, made once. Rc4::set_key
// re-keys it in place (EVP_CipherInit_ex2 with a NULL cipher keeps the
// provider's context): an RC4 key schedule allocates nothing. Sha1::digest
// re-initialises its context the same way; newer OpenSSL keeps the provider's
// digest context then (openssl/openssl#18105), but 3.0 (Debian 12's 3.0.x)
// frees and re-makes it: one 96-byte malloc per digest, counted with
// CRYPTO_set_mem_functions. The one-shot
// helpers of Libcrypto allocate a context per call: they are for
// authentication, not for packets.
//
// Threads: a Libcrypto is immutable after open() and may be shared (that is why
// it is handed out as shared_ptr<const>); a Sha1 or Rc4 belongs to one thread at
// a time.
#pragma once

#include <openssl/types.h>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "base/error.h"

namespace ninet::crypto {

using Bytes16 = std::array<uint8_t, 16>;
using Sha1Digest = std::array<uint8_t, 20>;

// The bytes of text (ASCII constants, user names) as hash input.
inline std::span<const uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// An Error for a failed OpenSSL call: what failed, and OpenSSL's reason for the
// oldest error it queued. The queue is emptied, so that a later, unrelated
// OpenSSL call in the process does not find our leftovers.
Error ossl_error(Err code, std::string_view what);

class Libcrypto {
 public:
  // module_dir: where to look for OpenSSL's legacy provider module (legacy.so);
  // empty means OpenSSL's own default ($OPENSSL_MODULES, else its MODULESDIR).
  static Result<std::shared_ptr<const Libcrypto>> open(const std::string& module_dir = {});
  ~Libcrypto();
  Libcrypto(const Libcrypto&) = delete;
  Libcrypto& operator=(const Libcrypto&) = delete;

  // The library context, for fetching what a caller keeps (esp.h's ciphers).
  OSSL_LIB_CTX* ctx() const { return ctx_; }
  const EVP_MD* sha1_md() const { return sha1_; }
  const EVP_CIPHER* rc4_cipher() const { return rc4_; }

  // SHA-1 (FIPS 180-4) of the concatenation of parts.
  Result<Sha1Digest> sha1(std::initializer_list<std::span<const uint8_t>> parts) const;
  // MD4 (RFC 1320) of data.
  Result<Bytes16> md4(std::span<const uint8_t> data) const;
  // DES (FIPS 46-3) in ECB mode of one 8-byte block under an 8-byte key whose
  // parity bits (the low bit of each byte) are ignored.
  Result<std::array<uint8_t, 8>> des_encrypt(const std::array<uint8_t, 8>& key,
                                             const std::array<uint8_t, 8>& block) const;

 private:
  Libcrypto() = default;

  OSSL_LIB_CTX* ctx_ = nullptr;
  OSSL_PROVIDER* default_ = nullptr;
  OSSL_PROVIDER* legacy_ = nullptr;
  EVP_MD* sha1_ = nullptr;
  EVP_MD* md4_ = nullptr;
  EVP_CIPHER* rc4_ = nullptr;
  EVP_CIPHER* des_ = nullptr;
};

// SHA-1 with a context kept for reuse (digest(): see "Cost" above).
class Sha1 {
 public:
  static Result<Sha1> create(std::shared_ptr<const Libcrypto> lib);
  Status digest(std::initializer_list<std::span<const uint8_t>> parts, Sha1Digest& out);

 private:
  struct Free {
    void operator()(EVP_MD_CTX* c) const;
  };
  Sha1() = default;
  std::shared_ptr<const Libcrypto> lib_;
  std::unique_ptr<EVP_MD_CTX, Free> ctx_;
};

// RC4 (the keystream of RFC 6229) with a context kept for reuse: set_key()
// restarts the keystream under a new key without allocating.
class Rc4 {
 public:
  static Result<Rc4> create(std::shared_ptr<const Libcrypto> lib);
  // A key of 1 to 256 bytes; the keystream starts again from its first byte.
  Status set_key(std::span<const uint8_t> key);
  // XORs the next data.size() keystream bytes into data.
  Status crypt(std::span<uint8_t> data);
  // out[i] = in[i] ^ keystream; out holds at least in.size() bytes and either is
  // in itself or does not overlap it (OpenSSL's rule).
  Status crypt(std::span<const uint8_t> in, std::span<uint8_t> out);

 private:
  struct Free {
    void operator()(EVP_CIPHER_CTX* c) const;
  };
  Rc4() = default;
  std::shared_ptr<const Libcrypto> lib_;
  std::unique_ptr<EVP_CIPHER_CTX, Free> ctx_;
};

}  // namespace ninet::crypto
