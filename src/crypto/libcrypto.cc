#include "crypto/libcrypto.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include <climits>
#include <string_view>

namespace ninet::crypto {

Error ossl_error(Err code, std::string_view what) {
  std::string detail(what);
  if (unsigned long e = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(e);
    if (reason != nullptr) {
      detail += " (";
      detail += reason;
      detail += ")";
    }
  }
  ERR_clear_error();
  return Error(code, std::move(detail));
}

namespace {

// The digest of the concatenation of parts; out.size() is the digest's length.
Status one_digest(const EVP_MD* md, std::initializer_list<std::span<const uint8_t>> parts,
                  std::span<uint8_t> out, std::string_view name) {
  EVP_MD_CTX* c = EVP_MD_CTX_new();
  bool ok = c != nullptr && EVP_DigestInit_ex2(c, md, nullptr) == 1;
  for (auto p : parts)
    ok = ok && EVP_DigestUpdate(c, p.data(), p.size()) == 1;
  unsigned n = 0;
  ok = ok && EVP_DigestFinal_ex(c, out.data(), &n) == 1 && n == out.size();
  EVP_MD_CTX_free(c);
  if (!ok) return ossl_error(Err::Io, std::string("openssl ") + std::string(name) + " failed");
  return {};
}

}  // namespace

Result<std::shared_ptr<const Libcrypto>> Libcrypto::open(const std::string& module_dir) {
  std::shared_ptr<Libcrypto> lib(new Libcrypto);
  lib->ctx_ = OSSL_LIB_CTX_new();
  if (lib->ctx_ == nullptr) return ossl_error(Err::NoMem, "openssl library context");
  if (!module_dir.empty() &&
      OSSL_PROVIDER_set_default_search_path(lib->ctx_, module_dir.c_str()) != 1)
    return ossl_error(Err::BadArg, "openssl module directory " + module_dir);
  lib->default_ = OSSL_PROVIDER_load(lib->ctx_, "default");
  if (lib->default_ == nullptr)
    return ossl_error(Err::NotSupported, "openssl default provider not available");
  // RC4, MD4 and single DES live here in OpenSSL 3 (provider-legacy(7ossl)).
  lib->legacy_ = OSSL_PROVIDER_load(lib->ctx_, "legacy");
  if (lib->legacy_ == nullptr)
    return ossl_error(Err::NotSupported, "openssl legacy provider (rc4, md4, des) not available");
  lib->sha1_ = EVP_MD_fetch(lib->ctx_, "SHA1", nullptr);
  lib->md4_ = EVP_MD_fetch(lib->ctx_, "MD4", nullptr);
  lib->rc4_ = EVP_CIPHER_fetch(lib->ctx_, "RC4", nullptr);
  lib->des_ = EVP_CIPHER_fetch(lib->ctx_, "DES-ECB", nullptr);
  if (!lib->sha1_ || !lib->md4_ || !lib->rc4_ || !lib->des_)
    return ossl_error(Err::NotSupported, "openssl lacks sha1, md4, rc4 or des-ecb");
  return std::shared_ptr<const Libcrypto>(std::move(lib));
}

Libcrypto::~Libcrypto() {
  EVP_CIPHER_free(des_);
  EVP_CIPHER_free(rc4_);
  EVP_MD_free(md4_);
  EVP_MD_free(sha1_);
  if (legacy_ != nullptr) OSSL_PROVIDER_unload(legacy_);
  if (default_ != nullptr) OSSL_PROVIDER_unload(default_);
  OSSL_LIB_CTX_free(ctx_);
}

Result<Sha1Digest> Libcrypto::sha1(std::initializer_list<std::span<const uint8_t>> parts) const {
  Sha1Digest out;
  if (auto s = one_digest(sha1_, parts, out, "sha1"); !s) return s.error();
  return out;
}

Result<Bytes16> Libcrypto::md4(std::span<const uint8_t> data) const {
  Bytes16 out;
  if (auto s = one_digest(md4_, {data}, out, "md4"); !s) return s.error();
  return out;
}

Result<std::array<uint8_t, 8>> Libcrypto::des_encrypt(const std::array<uint8_t, 8>& key,
                                                      const std::array<uint8_t, 8>& block) const {
  std::array<uint8_t, 8> out;
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  int n = 0, m = 0;
  bool ok = c != nullptr && EVP_EncryptInit_ex2(c, des_, key.data(), nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_set_padding(c, 0) == 1 &&
            EVP_EncryptUpdate(c, out.data(), &n, block.data(), int(block.size())) == 1 && n == 8 &&
            EVP_EncryptFinal_ex(c, out.data() + n, &m) == 1 && m == 0;
  EVP_CIPHER_CTX_free(c);
  if (!ok) return ossl_error(Err::Io, "openssl des-ecb failed");
  return out;
}

void Sha1::Free::operator()(EVP_MD_CTX* c) const {
  EVP_MD_CTX_free(c);
}

Result<Sha1> Sha1::create(std::shared_ptr<const Libcrypto> lib) {
  Sha1 s;
  s.ctx_.reset(EVP_MD_CTX_new());
  if (!s.ctx_) return ossl_error(Err::NoMem, "openssl digest context");
  s.lib_ = std::move(lib);
  return s;
}

Status Sha1::digest(std::initializer_list<std::span<const uint8_t>> parts, Sha1Digest& out) {
  // The same EVP_MD again: OpenSSL re-initialises the provider's context in place.
  bool ok = EVP_DigestInit_ex2(ctx_.get(), lib_->sha1_md(), nullptr) == 1;
  for (auto p : parts)
    ok = ok && EVP_DigestUpdate(ctx_.get(), p.data(), p.size()) == 1;
  unsigned n = 0;
  ok = ok && EVP_DigestFinal_ex(ctx_.get(), out.data(), &n) == 1 && n == out.size();
  if (!ok) return ossl_error(Err::Io, "openssl sha1 failed");
  return {};
}

void Rc4::Free::operator()(EVP_CIPHER_CTX* c) const {
  EVP_CIPHER_CTX_free(c);
}

Result<Rc4> Rc4::create(std::shared_ptr<const Libcrypto> lib) {
  Rc4 r;
  r.ctx_.reset(EVP_CIPHER_CTX_new());
  if (!r.ctx_) return ossl_error(Err::NoMem, "openssl cipher context");
  // The cipher without a key: set_key() then only re-keys this context.
  if (EVP_CipherInit_ex2(r.ctx_.get(), lib->rc4_cipher(), nullptr, nullptr, 1, nullptr) != 1)
    return ossl_error(Err::Io, "openssl rc4 init failed");
  r.lib_ = std::move(lib);
  return r;
}

Status Rc4::set_key(std::span<const uint8_t> key) {
  if (key.empty() || key.size() > 256) return Error(Err::BadArg, "rc4 key of 1 to 256 bytes");
  // RC4's key length is variable: set it (a no-op when unchanged), then key the
  // context in place; a NULL cipher keeps the provider context (no allocation).
  if (EVP_CIPHER_CTX_set_key_length(ctx_.get(), int(key.size())) != 1 ||
      EVP_CipherInit_ex2(ctx_.get(), nullptr, key.data(), nullptr, 1, nullptr) != 1)
    return ossl_error(Err::Io, "openssl rc4 set key failed");
  return {};
}

Status Rc4::crypt(std::span<uint8_t> data) {
  return crypt(data, data);
}

Status Rc4::crypt(std::span<const uint8_t> in, std::span<uint8_t> out) {
  if (out.size() < in.size() || in.size() > size_t(INT_MAX))
    return Error(Err::BadArg, "rc4 output shorter than input");
  if (in.empty()) return {};
  int n = 0;
  if (EVP_CipherUpdate(ctx_.get(), out.data(), &n, in.data(), int(in.size())) != 1 ||
      size_t(n) != in.size())
    return ossl_error(Err::Io, "openssl rc4 failed");
  return {};
}

}  // namespace ninet::crypto
