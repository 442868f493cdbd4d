// ESP's algorithms (esp.h) against published vectors: AES-CBC (RFC 3602
// section 4, case 1), AES-CTR (RFC 3686 section 6, vectors 1 and 2),
// DES-CBC (FIPS 81's example), HMAC-SHA1 and HMAC-MD5 (RFC 2202, truncated
// to 96 bits as RFC 2404 and 2403 do), AES-XCBC-MAC (RFC 3566 section 4,
// all six cases); 3DES with three equal keys is single DES; every cipher
// decrypts what it encrypted; the refusals (unknown names, key sizes, CBC
// lengths that are not whole blocks).
#include "crypto/esp.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crypto/crypto_testing.h"

namespace ninet::crypto {
namespace {

using testing::Bytes;
Bytes hex(std::string_view s) {
  return testing::from_hex(s);
}
Bytes text(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

struct EspCryptoTest : ::testing::Test {
  std::shared_ptr<const Libcrypto> lib = testing::lib();

  std::unique_ptr<EspCipher> cipher(std::string_view alg, const Bytes& key) {
    auto c = EspCipher::create(lib, alg, key);
    EXPECT_TRUE(c.ok()) << alg << ": " << (c ? "" : c.error().text());
    return c ? std::move(*c) : nullptr;
  }
  Bytes encrypt(std::string_view alg, const Bytes& key, const Bytes& iv, Bytes data) {
    auto c = cipher(alg, key);
    if (!c) return {};
    EXPECT_TRUE(c->encrypt(iv, data).ok());
    return data;
  }
  Bytes icv(std::string_view alg, const Bytes& key, const Bytes& data) {
    auto a = EspAuth::create(lib, alg, key);
    EXPECT_TRUE(a.ok()) << alg << ": " << (a ? "" : a.error().text());
    if (!a) return {};
    Bytes out((*a)->icv_len());
    EXPECT_TRUE((*a)->icv(data, out).ok());
    return out;
  }
};

TEST_F(EspCryptoTest, AesCbcRfc3602Case1) {
  EXPECT_EQ(encrypt("aes_128_cbc", hex("06a9214036b8a15b512e03d534120006"),
                    hex("3dafba429d9eb430b422da802c9fac41"), text("Single block msg")),
            hex("e353779c1079aeb82708942dbe77181a"));
}

TEST_F(EspCryptoTest, AesCtrRfc3686Vectors) {
  // The key is the AES key, then the 4-byte nonce; the IV is the packet's.
  EXPECT_EQ(encrypt("aes_ctr", hex("AE6852F8121067CC4BF7A5765577F39E 00000030"),
                    hex("0000000000000000"), text("Single block msg")),
            hex("E4095D4FB7A7B3792D6175A3261311B8"));
  const Bytes pt = hex("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F");
  EXPECT_EQ(encrypt("aes_ctr", hex("7E24067817FAE0D743D6CE1F32539163 006CB6DB"),
                    hex("C0543B59DA48D90B"), pt),
            hex("5104A106168A72D9790D41EE8EDAD388EB2E1EFC46DA57C8FCE630DF9141BE28"));
}

TEST_F(EspCryptoTest, DesCbcFips81Example) {
  EXPECT_EQ(encrypt("des_56_cbc", hex("0123456789abcdef"), hex("1234567890abcdef"),
                    text("Now is the time for all ")),
            hex("e5c7cdde872bf27c43e934008c389c0f683788499a7c05f6"));
  // 3DES-EDE with K1 = K2 = K3 is single DES.
  EXPECT_EQ(encrypt("des3_cbc", hex("0123456789abcdef0123456789abcdef0123456789abcdef"),
                    hex("1234567890abcdef"), text("Now is the time for all ")),
            hex("e5c7cdde872bf27c43e934008c389c0f683788499a7c05f6"));
}

TEST_F(EspCryptoTest, EveryCipherDecryptsWhatItEncrypted) {
  struct Case {
    const char* alg;
    size_t key, iv;
  } cases[] = {{"null", 0, 0},
               {"des_56_cbc", 8, 8},
               {"des3_cbc", 24, 8},
               {"aes_128_cbc", 16, 16},
               {"aes_ctr", 20, 8}};
  for (const Case& k : cases) {
    Bytes key(k.key), iv(k.iv), data(48);
    for (size_t i = 0; i < key.size(); i++)
      key[i] = uint8_t(i * 7 + 1);
    for (size_t i = 0; i < iv.size(); i++)
      iv[i] = uint8_t(i * 13 + 5);
    for (size_t i = 0; i < data.size(); i++)
      data[i] = uint8_t(i);
    auto c = cipher(k.alg, key);
    ASSERT_TRUE(c) << k.alg;
    EXPECT_EQ(c->iv_len(), k.iv) << k.alg;
    Bytes x = data;
    ASSERT_TRUE(c->encrypt(iv, x).ok()) << k.alg;
    if (std::string_view(k.alg) != "null") EXPECT_NE(x, data) << k.alg;
    ASSERT_TRUE(c->decrypt(iv, x).ok()) << k.alg;
    EXPECT_EQ(x, data) << k.alg;
    // Again with the same object: the IV is set per packet, the key kept.
    ASSERT_TRUE(c->encrypt(iv, x).ok());
    ASSERT_TRUE(c->decrypt(iv, x).ok());
    EXPECT_EQ(x, data) << k.alg;
  }
}

TEST_F(EspCryptoTest, HmacRfc2202Truncated) {
  EXPECT_EQ(icv("hmac_sha1_96", Bytes(20, 0x0b), text("Hi There")),
            hex("b617318655057264e28bc0b6"));
  EXPECT_EQ(icv("hmac_md5_96", Bytes(16, 0x0b), text("Hi There")), hex("9294727a3638bb1c13f48ef8"));
  // RFC 2202 cases 2: key "Jefe".. is 4 bytes, which ESP's fixed key sizes
  // refuse; case 3 (key aa x 20, data dd x 50) fits HMAC-SHA1.
  EXPECT_EQ(icv("hmac_sha1_96", Bytes(20, 0xaa), Bytes(50, 0xdd)), hex("125d7342b9ac11cd91a39af4"));
  EXPECT_TRUE(icv("null", {}, text("x")).empty());
}

TEST_F(EspCryptoTest, AesXcbcMacRfc3566) {
  auto a = EspAuth::create(lib, "aes_xcbc_mac_96", hex("000102030405060708090a0b0c0d0e0f"));
  ASSERT_TRUE(a.ok()) << a.error().text();
  Bytes m;
  for (int i = 0; i < 34; i++)
    m.push_back(uint8_t(i));
  struct Case {
    size_t len;
    const char* mac;
  } cases[] = {{0, "75f0251d528ac01c4573dfd584d79f29"},  {3, "5b376580ae2f19afe7219ceef172756f"},
               {16, "d2a246fa349b68a79998a4394ff7a263"}, {20, "47f51b4564966215b8985c63055ed308"},
               {32, "f54f0ec8d2b9f3d36807734bd5283fd4"}, {34, "becbb3bccdb518a30677d5481fb6b4d8"}};
  for (const Case& k : cases) {
    std::array<uint8_t, 16> full;
    ASSERT_TRUE((*a)->xcbc_full(std::span(m).first(k.len), full).ok());
    EXPECT_EQ(Bytes(full.begin(), full.end()), hex(k.mac)) << k.len;
    Bytes out(12);
    ASSERT_TRUE((*a)->icv(std::span(m).first(k.len), out).ok());
    EXPECT_EQ(out, Bytes(full.begin(), full.begin() + 12)) << "the first 96 bits";
  }
  // RFC 3566 case 7: 1000 bytes of zeros.
  std::array<uint8_t, 16> full;
  ASSERT_TRUE((*a)->xcbc_full(Bytes(1000, 0), full).ok());
  EXPECT_EQ(Bytes(full.begin(), full.begin() + 12), hex("f0dafee895db30253761103b"));
}

TEST_F(EspCryptoTest, Refusals) {
  EXPECT_FALSE(EspCipher::create(lib, "rc4", Bytes(16)).ok());
  EXPECT_FALSE(EspCipher::create(lib, "aes_128_cbc", Bytes(15)).ok());
  EXPECT_FALSE(EspCipher::create(lib, "aes_ctr", Bytes(16)).ok()) << "needs the 4-byte nonce";
  EXPECT_FALSE(EspAuth::create(lib, "hmac_sha256", Bytes(32)).ok());
  EXPECT_FALSE(EspAuth::create(lib, "hmac_sha1_96", Bytes(16)).ok());
  auto c = cipher("aes_128_cbc", Bytes(16, 1));
  Bytes odd(17), iv(16);
  auto st = c->encrypt(iv, odd);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), Err::BadArg);
  Bytes block(16);
  EXPECT_FALSE(c->encrypt(Bytes(8), block).ok()) << "wrong IV size";
}

}  // namespace
}  // namespace ninet::crypto
