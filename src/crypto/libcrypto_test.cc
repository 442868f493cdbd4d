// Tests for the OpenSSL wrappers: published known answers for each primitive
// (RFC 6229 for RC4, RFC 1320 for MD4, FIPS 180's "abc" for SHA-1, the
// classic worked DES example), so that the provider setup is proven before
// MS-CHAPv2 and MPPE build on it; re-keying restarts RC4; a missing legacy
// provider is an Error, not a crash.
#include "crypto/libcrypto.h"

#include <gtest/gtest.h>

#include "crypto/crypto_testing.h"

namespace ninet::crypto {
namespace {

using testing::Bytes;
using testing::from_hex;
using testing::lib;
using testing::to_hex;

// RFC 6229 section 2, key 0x0102030405 (40 bits): the keystream's first 16
// bytes (offset 0) and the next 16 (offset 16).
TEST(Rc4Test, Rfc6229Key0102030405) {
  auto rc4 = Rc4::create(lib());
  ASSERT_TRUE(rc4.ok()) << rc4.error().text();
  ASSERT_TRUE(rc4->set_key(from_hex("0102030405")).ok());
  Bytes ks(32, 0);
  ASSERT_TRUE(rc4->crypt(ks).ok());
  EXPECT_EQ(to_hex(Bytes(ks.begin(), ks.begin() + 16)), "b2396305f03dc027ccc3524a0a1118a8");
  EXPECT_EQ(to_hex(Bytes(ks.begin() + 16, ks.end())), "6982944f18fc82d589c403a47a0d0919");
}

TEST(Rc4Test, SetKeyRestartsTheKeystreamAndSplitsAreSeamless) {
  auto rc4 = Rc4::create(lib());
  ASSERT_TRUE(rc4.ok());
  Bytes key = from_hex("0102030405");
  ASSERT_TRUE(rc4->set_key(key).ok());
  Bytes whole(40, 0x5a);
  ASSERT_TRUE(rc4->crypt(whole).ok());
  // The same 40 bytes in three calls, out of place: the same output.
  ASSERT_TRUE(rc4->set_key(key).ok());
  Bytes in(40, 0x5a), out(40);
  ASSERT_TRUE(rc4->crypt(std::span(in).first(7), std::span(out).first(7)).ok());
  ASSERT_TRUE(rc4->crypt(std::span(in).subspan(7, 20), std::span(out).subspan(7, 20)).ok());
  ASSERT_TRUE(rc4->crypt(std::span(in).subspan(27), std::span(out).subspan(27)).ok());
  EXPECT_EQ(out, whole);
  // A 16-byte key after a 5-byte one, and back: the length follows the key.
  ASSERT_TRUE(rc4->set_key(from_hex("0102030405060708090a0b0c0d0e0f10")).ok());
  Bytes ks(16, 0);
  ASSERT_TRUE(rc4->crypt(ks).ok());
  EXPECT_EQ(to_hex(ks), "9ac7cc9a609d1ef7b2932899cde41b97");  // RFC 6229, 128-bit key
  ASSERT_TRUE(rc4->set_key(key).ok());
  ASSERT_TRUE(rc4->crypt(ks = Bytes(16, 0)).ok());
  EXPECT_EQ(to_hex(ks), "b2396305f03dc027ccc3524a0a1118a8");
}

TEST(Rc4Test, BadArguments) {
  auto rc4 = Rc4::create(lib());
  ASSERT_TRUE(rc4.ok());
  EXPECT_EQ(rc4->set_key({}).error().code(), Err::BadArg);
  EXPECT_EQ(rc4->set_key(Bytes(257, 1)).error().code(), Err::BadArg);
  ASSERT_TRUE(rc4->set_key(Bytes(256, 1)).ok());
  Bytes in(4), out(3);
  EXPECT_EQ(rc4->crypt(in, out).error().code(), Err::BadArg);
  Bytes none;
  EXPECT_TRUE(rc4->crypt(none).ok());
}

// RFC 1320 section A.5.
TEST(LibcryptoTest, Md4) {
  EXPECT_EQ(to_hex(*lib()->md4({})), "31d6cfe0d16ae931b73c59d7e0c089c0");
  EXPECT_EQ(to_hex(*lib()->md4(bytes_of("abc"))), "a448017aaf21d8525fc10ae87aa6729d");
  EXPECT_EQ(to_hex(*lib()->md4(bytes_of("message digest"))), "d9130a8164549fe818874806e1c7014b");
}

// FIPS 180-2 appendix A.1, "abc", given whole and in parts.
TEST(LibcryptoTest, Sha1) {
  EXPECT_EQ(to_hex(*lib()->sha1({bytes_of("abc")})), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(to_hex(*lib()->sha1({bytes_of("a"), {}, bytes_of("bc")})),
            "a9993e364706816aba3e25717850c26c9cd0d89d");
  auto sha = Sha1::create(lib());
  ASSERT_TRUE(sha.ok());
  Sha1Digest d;
  for (int i = 0; i < 2; i++) {  // the context is reused
    ASSERT_TRUE(sha->digest({bytes_of("ab"), bytes_of("c")}, d).ok());
    EXPECT_EQ(to_hex(d), "a9993e364706816aba3e25717850c26c9cd0d89d");
  }
}

// The worked example of "The DES Algorithm Illustrated" (J. Orlin Grabbe):
// K = 133457799BBCDFF1, M = 0123456789ABCDEF, C = 85E813540F0AB405. The key's
// parity bits are ignored: flipping every low bit gives the same block.
TEST(LibcryptoTest, Des) {
  auto key = testing::array_from_hex<8>("133457799BBCDFF1");
  auto block = testing::array_from_hex<8>("0123456789ABCDEF");
  auto c = lib()->des_encrypt(key, block);
  ASSERT_TRUE(c.ok()) << c.error().text();
  EXPECT_EQ(to_hex(*c), "85e813540f0ab405");
  for (auto& b : key)
    b ^= 1;
  EXPECT_EQ(to_hex(*lib()->des_encrypt(key, block)), "85e813540f0ab405");
}

// With a module directory that holds no legacy.so, open() fails cleanly.
TEST(LibcryptoTest, MissingLegacyProviderIsAnError) {
  auto l = Libcrypto::open("/nonexistent/ninet-crypto-test");
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().code(), Err::NotSupported);
  EXPECT_NE(l.error().text().find("legacy provider"), std::string::npos) << l.error().text();
}

TEST(LibcryptoTest, TwoContextsSideBySide) {
  auto a = Libcrypto::open();
  auto b = Libcrypto::open();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*(*a)->md4(bytes_of("abc")), *(*b)->md4(bytes_of("abc")));
}

}  // namespace
}  // namespace ninet::crypto
