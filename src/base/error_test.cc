// Tests of error texts read back into codes (error.h).
#include "base/error.h"

#include <gtest/gtest.h>

namespace ninet {
namespace {

TEST(ErrorFromText, ReadsBackWhatErrorTextWrote) {
  for (Error e : {Error(Err::BadIp, "10.0.0.300"), Error(Err::Refused), Error(Err::TimedOut)}) {
    Error back = error_from_text(e.text(), Err::Io);
    EXPECT_EQ(back.code(), e.code()) << e.text();
    EXPECT_EQ(back.detail(), e.detail());
  }
  Error unknown = error_from_text("something else", Err::Refused);
  EXPECT_EQ(unknown.code(), Err::Refused);
  EXPECT_EQ(unknown.text(), "connection refused: something else");
  // Two codes share "permission denied": the errno (9P2000.u) chooses.
  EXPECT_EQ(error_from_text("permission denied", Err::Io, EACCES).code(), Err::Access);
  EXPECT_EQ(error_from_text("permission denied", Err::Io, EPERM).code(), Err::Perm);
}

}  // namespace
}  // namespace ninet
