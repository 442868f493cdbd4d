#include "base/error.h"

namespace ninet {

namespace {
struct Entry {
  int errnum;
  std::string_view text;
};
constexpr Entry kErrors[] = {
#define X(name, errnum, text) {errnum, text},
#include "base/errors.def"
#undef X
};
}  // namespace

std::string_view err_text(Err e) {
  return kErrors[static_cast<int>(e)].text;
}
int err_errno(Err e) {
  return kErrors[static_cast<int>(e)].errnum;
}

std::string Error::text() const {
  std::string s(err_text(code_));
  if (!detail_.empty()) {
    s += ": ";
    s += detail_;
  }
  return s;
}

Error error_from_text(std::string_view text, Err unknown, int errnum) {
  constexpr int kNum = int(sizeof kErrors / sizeof kErrors[0]);
  int best = -1;
  size_t best_len = 0;
  for (int i = 1; i < kNum; i++) {
    std::string_view t = err_text(Err(i));
    bool whole = text == t;
    bool start =
        text.size() > t.size() + 2 && text.starts_with(t) && text.compare(t.size(), 2, ": ") == 0;
    if (!whole && !start) continue;
    bool better = best < 0 || t.size() > best_len ||
                  (t.size() == best_len && errnum && err_errno(Err(i)) == errnum &&
                   err_errno(Err(best)) != errnum);
    if (!better) continue;
    best = i;
    best_len = t.size();
  }
  if (best < 0) return text.empty() ? Error(unknown) : Error(unknown, std::string(text));
  if (text.size() == best_len) return Err(best);
  return Error(Err(best), std::string(text.substr(best_len + 2)));
}

}  // namespace ninet
