// Tests for MS-CHAPv2's hashes against RFC 2759 section 9.2 (user "User",
// password "clientPass"), step by step as the RFC prints them; the UTF-8 to
// UTF-16LE conversion of passwords; the domain prefix of user names; the
// constant-time check an authenticator uses.
#include "crypto/mschap.h"

#include <gtest/gtest.h>

#include "crypto/crypto_testing.h"

namespace ninet::crypto {
namespace {

using testing::array_from_hex;
using testing::Bytes;
using testing::from_hex;
using testing::lib;
using testing::to_hex;

// RFC 2759 section 9.2.
const MschapChallenge kAuthChallenge = array_from_hex<16>("5B5D7C7D7B3F2F3E3C2C602132262628");
const MschapChallenge kPeerChallenge = array_from_hex<16>("21402324255E262A28295F2B3A337C7E");
constexpr std::string_view kUser = "User";            // 55 73 65 72
constexpr std::string_view kPassword = "clientPass";  // 63 00 6C 00 69 00 ...

TEST(MschapTest, Rfc2759Section92StepByStep) {
  const Libcrypto& l = *lib();
  auto ch = challenge_hash(l, kPeerChallenge, kAuthChallenge, kUser);
  ASSERT_TRUE(ch.ok()) << ch.error().text();
  EXPECT_EQ(to_hex(*ch), "d02e4386bce91226");
  auto hash = nt_password_hash(l, kPassword);
  ASSERT_TRUE(hash.ok()) << hash.error().text();
  EXPECT_EQ(to_hex(*hash), "44ebba8d5312b8d611474411f56989ae");
  auto resp = challenge_response(l, *ch, *hash);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(to_hex(*resp), "82309ecd8d708b5ea08faa3981cd83544233114a3d85d6df");
  auto hash_hash = hash_nt_password_hash(l, *hash);
  ASSERT_TRUE(hash_hash.ok());
  EXPECT_EQ(to_hex(*hash_hash), "41c00c584bd2d91c4017a2a12fa59f3f");
}

TEST(MschapTest, Rfc2759Section92Whole) {
  const Libcrypto& l = *lib();
  auto nt = generate_nt_response(l, kAuthChallenge, kPeerChallenge, kUser, kPassword);
  ASSERT_TRUE(nt.ok());
  EXPECT_EQ(to_hex(*nt), "82309ecd8d708b5ea08faa3981cd83544233114a3d85d6df");
  auto s =
      generate_authenticator_response(l, kPassword, *nt, kPeerChallenge, kAuthChallenge, kUser);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, "S=407A5589115FD0D6209F510FE9C04566932CDA56");
  // The same from the stored NT hash.
  auto hash = nt_password_hash(l, kPassword);
  EXPECT_EQ(to_hex(*generate_nt_response(l, kAuthChallenge, kPeerChallenge, kUser, *hash)),
            to_hex(*nt));
  EXPECT_EQ(*generate_authenticator_response(l, *hash, *nt, kPeerChallenge, kAuthChallenge, kUser),
            *s);
}

TEST(MschapTest, CheckNtResponse) {
  const Libcrypto& l = *lib();
  auto hash = nt_password_hash(l, kPassword);
  auto good = array_from_hex<24>("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF");
  EXPECT_TRUE(*check_nt_response(l, kAuthChallenge, kPeerChallenge, kUser, *hash, good));
  for (size_t i : {size_t(0), size_t(23)}) {
    NtResponse bad = good;
    bad[i] ^= 0x80;
    EXPECT_FALSE(*check_nt_response(l, kAuthChallenge, kPeerChallenge, kUser, *hash, bad));
  }
  auto other = nt_password_hash(l, "clientpass");
  EXPECT_FALSE(*check_nt_response(l, kAuthChallenge, kPeerChallenge, kUser, *other, good));
  // The name is part of the challenge.
  EXPECT_FALSE(*check_nt_response(l, kAuthChallenge, kPeerChallenge, "user", *hash, good));
}

TEST(MschapTest, PasswordsAreHashedAsUtf16le) {
  const Libcrypto& l = *lib();
  // "p\u00e9\u20ac\U0001F600": 1-, 2-, 3- and 4-byte UTF-8; the last one a surrogate pair.
  auto h = nt_password_hash(l, "p\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  ASSERT_TRUE(h.ok()) << h.error().text();
  EXPECT_EQ(*h, *l.md4(from_hex("7000 e900 ac20 3dd8 00de")));
  EXPECT_EQ(*nt_password_hash(l, ""), *l.md4({}));
}

TEST(MschapTest, BadPasswords) {
  const Libcrypto& l = *lib();
  for (std::string_view bad : {
           std::string_view("\x80"),              // a continuation byte first
           std::string_view("\xc3"),              // truncated
           std::string_view("\xc0\xaf"),          // overlong '/'
           std::string_view("\xe0\x80\xaf"),      // overlong, three bytes
           std::string_view("\xed\xa0\x80"),      // a surrogate, U+D800
           std::string_view("\xf4\x90\x80\x80"),  // U+110000
           std::string_view("\xff"),
       }) {
    auto h = nt_password_hash(l, bad);
    ASSERT_FALSE(h.ok()) << to_hex(bad);
    EXPECT_EQ(h.error().code(), Err::BadArg);
  }
  // 256 characters are allowed (RFC 2759 section 8.1), 257 are not; a
  // character beyond U+FFFF counts as two.
  EXPECT_TRUE(nt_password_hash(l, std::string(256, 'x')).ok());
  EXPECT_FALSE(nt_password_hash(l, std::string(257, 'x')).ok());
  EXPECT_FALSE(nt_password_hash(l, std::string(255, 'x') + "\xf0\x9f\x98\x80").ok());
  EXPECT_TRUE(nt_password_hash(l, std::string(254, 'x') + "\xf0\x9f\x98\x80").ok());
}

TEST(MschapTest, UserNameWithoutDomain) {
  EXPECT_EQ(mschap_user_name("User"), "User");
  EXPECT_EQ(mschap_user_name("EXAMPLE\\User"), "User");
  EXPECT_EQ(mschap_user_name("a\\b\\User"), "User");
  EXPECT_EQ(mschap_user_name("DOMAIN\\"), "");
}

}  // namespace
}  // namespace ninet::crypto
