#include "proto/tcp/prr.h"

#include <algorithm>

namespace ninet::tcp {

void Prr::start(uint32_t flight, uint32_t mss) {
  delivered_ = out_ = 0;
  recover_fs_ = std::max(flight, 1u);
  mss_ = std::max(mss, 1u);
  sndcnt_ = 0;
}

uint32_t Prr::on_ack(uint32_t delivered, uint32_t pipe, uint32_t ssthresh) {
  delivered_ += delivered;
  int64_t sndcnt;
  if (pipe > ssthresh) {
    // Proportional: ceil(prr_delivered * ssthresh / RecoverFS) - prr_out.
    uint64_t due = (delivered_ * ssthresh + recover_fs_ - 1) / recover_fs_;
    sndcnt = int64_t(due) - int64_t(out_);
  } else {
    // Slow-start reduction bound: back up to ssthresh, at most what was
    // delivered (and not yet answered) plus one segment per ACK.
    int64_t limit = std::max<int64_t>(int64_t(delivered_) - int64_t(out_), delivered) + mss_;
    sndcnt = std::min<int64_t>(int64_t(ssthresh) - int64_t(pipe), limit);
  }
  // Nothing sent yet in this recovery: let (at least) the fast retransmit
  // out now (as RFC 6937bis does), not after a partial segment accrues.
  if (out_ == 0) sndcnt = std::max<int64_t>(sndcnt, mss_);
  sndcnt_ = uint32_t(std::max<int64_t>(sndcnt, 0));
  return pipe + sndcnt_;
}

}  // namespace ninet::tcp
