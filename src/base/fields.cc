#include "base/fields.h"

namespace ninet {

namespace {
bool blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
}  // namespace

std::vector<std::string_view> ctl_fields(std::string_view s) {
  std::vector<std::string_view> v;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && blank(s[i]))
      i++;
    size_t j = i;
    while (j < s.size() && !blank(s[j]))
      j++;
    if (j > i) v.push_back(s.substr(i, j - i));
    i = j;
  }
  return v;
}

}  // namespace ninet
