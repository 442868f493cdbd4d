// fields.h — splitting a ctl message into words, as Plan 9's tokenize does
// for the ip(3) files: blanks are space, tab, newline and carriage return
// (a message written by `echo` ends in a newline), runs of them separate
// words, and there is no quoting.
//
//   for (std::string_view w : ctl_fields("add 10.0.0.1 255.0.0.0\n")) ...
#pragma once

#include <string_view>
#include <vector>

namespace ninet {

// The words of s, in order; views into s.
std::vector<std::string_view> ctl_fields(std::string_view s);

}  // namespace ninet
