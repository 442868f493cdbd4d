// dial_fuzz — parse_addr (an address taken apart with no lookups) and
// netmkaddr on arbitrary text.
//
// Invariants: an address that parses has a network of [A-Za-z0-9_-], a
// host and a service with no '!', white space or control character (so
// that no ctl message dial builds from them gets a second word), a numeric
// service of at most 65535, "*" exactly when the kind says any, and a tree
// that is a path with no '!' and no trailing '/' (but "/"); it prints (Addr::str) to text that
// parses back to the same Addr. netmkaddr keeps an address of three parts as it is and completes
// one without '!'.
//
//   sh tests/fuzz/run.sh 60 dial_fuzz        (text: -max_len=256)
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/fuzz_check.h"
#include "dial/dial.h"

namespace ninet::dial {
namespace {

bool plain(std::string_view s) {
  for (char c : s)
    if (c == '!' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0' ||
        static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return false;
  return true;
}

void check(std::string_view text) {
  auto a = parse_addr(text);
  if (a) {
    FUZZ_CHECK(!a->proto.empty() && !a->host.empty());
    FUZZ_CHECK(a->proto.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                          "0123456789-_") == std::string::npos);
    FUZZ_CHECK(a->proto != "net");
    FUZZ_CHECK(plain(a->host) && plain(a->service));
    FUZZ_CHECK((a->kind == Addr::kAny) == (a->host == "*"));
    if (a->numeric) {
      FUZZ_CHECK(!a->service.empty() && a->service.size() <= 5);
      FUZZ_CHECK(std::atoi(a->service.c_str()) <= 65535);
    }
    FUZZ_CHECK(a->netdir.empty() || a->netdir == "/" ||
               (a->netdir[0] == '/' && a->netdir.back() != '/'));
    FUZZ_CHECK(a->netdir.find('!') == std::string::npos);
    std::string s = a->str();
    auto b = parse_addr(s);
    FUZZ_CHECK(b);
    FUZZ_CHECK(*b == *a);
    FUZZ_CHECK(b->str() == s);
    if (a->netdir.empty() && std::string_view(text).substr(0, 4) != "net!") FUZZ_CHECK(s == text);
  }
  std::string m = netmkaddr(text, "udp", "7");
  size_t bangs = 0;
  for (char c : text)
    bangs += c == '!';
  if (bangs == 0) FUZZ_CHECK(m == "udp!" + std::string(text) + "!7");
  if (bangs >= 2) FUZZ_CHECK(m == text);
}

}  // namespace
}  // namespace ninet::dial

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ninet::dial::check(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
