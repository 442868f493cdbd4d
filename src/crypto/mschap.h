// mschap.h — MS-CHAPv2's hashes (RFC 2759 section 8): what an authenticator
// needs to check a peer's NT-Response and to answer with the "S=" authenticator
// response, and the password hashes that MPPE's keys start from (RFC 3079
// section 3, mppe.h).
//
//   auto lib = Libcrypto::open();
//   auto nt = generate_nt_response(**lib, auth_challenge, peer_challenge, "User", "clientPass");
//   auto s = generate_authenticator_response(**lib, "clientPass", *nt, peer_challenge,
//                                            auth_challenge, "User");
//   // *nt is 82309ECD...D6DF and *s "S=407A5589115FD0D6209F510FE9C04566932CDA56"
//   // (RFC 2759 section 9.2)
//
// Design notes
// - Every primitive is OpenSSL's, through Libcrypto (libcrypto.h): MD4 for the
//   NT hash, SHA-1 for the challenge and authenticator hashes, DES in ECB for
//   ChallengeResponse. OpenSSL 3 keeps MD4 and DES in its legacy provider;
//   Libcrypto::open() fails cleanly when it is missing.
// - Passwords are given in UTF-8 and hashed as UTF-16LE, which is what RFC 2759
//   section 8.3 calls "Unicode" (Windows' wide characters): "clientPass" becomes
//   63 00 6C 00 ... Characters beyond U+FFFF become surrogate pairs. Invalid
//   UTF-8 and passwords longer than RFC 2759's 256 characters (UTF-16 units) are
//   Err::BadArg.
// - The user name is the bytes of the Response packet's Name field without any
//   "DOMAIN\" prefix (RFC 2759 section 8.2: "excluding any prepended domain
//   name"); mschap_user_name() strips it, keeping what follows the last '\'.
// - An authenticator compares NT-Responses with check_nt_response(), which does
//   so in constant time (CRYPTO_memcmp).
// - The functions taking an NtHash serve an authenticator that stores NT hashes
//   rather than passwords. MS-CHAPv2 is weak (its DES keys fall to a 2^56
//   search); it is here to interoperate with PPTP/L2TP clients, not as a choice.
// - Functions return Result: OpenSSL can still fail (memory); there is no other
//   error but bad arguments.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"
#include "crypto/libcrypto.h"

namespace ninet::crypto {

using NtHash = std::array<uint8_t, 16>;           // NtPasswordHash, and its hash
using MschapChallenge = std::array<uint8_t, 16>;  // authenticator and peer challenges
using NtResponse = std::array<uint8_t, 24>;

// The user name that enters ChallengeHash: name without a "DOMAIN\" prefix.
std::string_view mschap_user_name(std::string_view name);

// NtPasswordHash (RFC 2759 section 8.3): MD4 of the UTF-16LE password.
Result<NtHash> nt_password_hash(const Libcrypto& lib, std::string_view password);
// HashNtPasswordHash (section 8.4): MD4 of an NtPasswordHash.
Result<NtHash> hash_nt_password_hash(const Libcrypto& lib, const NtHash& password_hash);
// ChallengeHash (section 8.2): the first 8 bytes of
// SHA1(peer challenge ‖ authenticator challenge ‖ user name).
Result<std::array<uint8_t, 8>> challenge_hash(const Libcrypto& lib, const MschapChallenge& peer,
                                              const MschapChallenge& authenticator,
                                              std::string_view user);
// ChallengeResponse (section 8.5): the hash padded with zeros to 21 bytes, cut
// into three 7-byte DES keys, each encrypting the 8-byte challenge.
Result<NtResponse> challenge_response(const Libcrypto& lib, const std::array<uint8_t, 8>& challenge,
                                      const NtHash& password_hash);

// GenerateNTResponse (section 8.1).
Result<NtResponse> generate_nt_response(const Libcrypto& lib, const MschapChallenge& authenticator,
                                        const MschapChallenge& peer, std::string_view user,
                                        std::string_view password);
Result<NtResponse> generate_nt_response(const Libcrypto& lib, const MschapChallenge& authenticator,
                                        const MschapChallenge& peer, std::string_view user,
                                        const NtHash& password_hash);

// Whether a peer's NT-Response is the one its password gives, compared in
// constant time.
Result<bool> check_nt_response(const Libcrypto& lib, const MschapChallenge& authenticator,
                               const MschapChallenge& peer, std::string_view user,
                               const NtHash& password_hash, const NtResponse& received);

// GenerateAuthenticatorResponse (section 8.7): "S=" and 40 upper-case hex digits.
Result<std::string> generate_authenticator_response(const Libcrypto& lib, std::string_view password,
                                                    const NtResponse& nt_response,
                                                    const MschapChallenge& peer,
                                                    const MschapChallenge& authenticator,
                                                    std::string_view user);
Result<std::string> generate_authenticator_response(
    const Libcrypto& lib, const NtHash& password_hash, const NtResponse& nt_response,
    const MschapChallenge& peer, const MschapChallenge& authenticator, std::string_view user);

}  // namespace ninet::crypto
