// pptp.cc — ctld's PPTP server (to come).
#include "ctld.h"

namespace ninet::ctld {

Result<std::unique_ptr<Tunnel>> make_pptp(Daemon&) {
  return Error(Err::BadArg, "pptp: not built yet");
}

}  // namespace ninet::ctld
