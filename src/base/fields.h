// fields.h — splitting a ctl message into words, as Plan 9's tokenize does
// for the ip(3) files: blanks are space, tab, newline and carriage return
// (a message written by `echo` ends in a newline), runs of them separate
// words, and there is no quoting.
//
//   for (std::string_view w : ctl_fields("add 10.0.0.1 255.0.0.0\n")) ...
//   if (auto mtu = parse_int(w, 68, 9014)) ...   // *mtu
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace ninet {

// The words of s, in order; views into s.
std::vector<std::string_view> ctl_fields(std::string_view s);

// The decimal number that is the whole of s (an optional '-' only if lo < 0;
// no '+', blanks or other bases), if it lies in [lo, hi]. The one integer
// parser of ctl messages, addresses and ports.
std::optional<int64_t> parse_int(std::string_view s, int64_t lo, int64_t hi);

}  // namespace ninet
