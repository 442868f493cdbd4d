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

}  // namespace ninet
