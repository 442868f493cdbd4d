#include "proto/tcp/ooo.h"

#include <algorithm>

namespace ninet::tcp {

using wire::seq_ge;
using wire::seq_gt;
using wire::seq_le;
using wire::seq_lt;

bool OooQueue::add(uint32_t seq, BlockPtr data) {
  if (!data || data->size() == 0) return false;
  uint32_t end = seq + data->size();
  uint64_t stamp = ++clock_;
  // The first held segment that ends after the new one starts.
  size_t i = size_t(std::partition_point(segs_.begin(), segs_.end(),
                                         [&](const Seg& s) { return seq_le(s.end, seq); }) -
                    segs_.begin());
  // Cut off the front that held segments already have.
  for (; i < segs_.size() && seq_le(segs_[i].seq, seq); i++) {
    segs_[i].stamp = stamp;
    if (seq_ge(segs_[i].end, end)) return true;  // every byte is held already
    data->pull(segs_[i].end - seq);
    seq = segs_[i].end;
  }
  // Held segments inside the new one give way to it; one that starts
  // inside it keeps its bytes and the new one ends where it starts.
  size_t j = i;
  size_t freed = 0;
  for (; j < segs_.size() && seq_le(segs_[j].end, end); j++)
    freed += segs_[j].data->capacity();
  if (j < segs_.size() && seq_lt(segs_[j].seq, end)) {
    end = segs_[j].seq;
    data->trim(end - seq);
  }
  size_t memory = memory_ - freed + data->capacity();
  size_t count = segs_.size() - (j - i) + 1;
  if (memory > max_memory_ || count > max_segments_) return false;
  for (size_t k = i; k < j; k++)
    bytes_ -= segs_[k].end - segs_[k].seq;
  segs_.erase(segs_.begin() + long(i), segs_.begin() + long(j));
  bytes_ += end - seq;
  memory_ = memory;
  segs_.insert(segs_.begin() + long(i), Seg{seq, end, stamp, std::move(data)});
  return true;
}

uint32_t OooQueue::take(uint32_t rcv_nxt, std::vector<BlockPtr>& out) {
  size_t k = 0;
  for (; k < segs_.size() && seq_le(segs_[k].seq, rcv_nxt); k++) {
    Seg& s = segs_[k];
    bytes_ -= s.end - s.seq;
    memory_ -= s.data->capacity();
    if (seq_le(s.end, rcv_nxt)) continue;  // old news: dropped
    s.data->pull(rcv_nxt - s.seq);
    rcv_nxt = s.end;
    out.push_back(std::move(s.data));
  }
  segs_.erase(segs_.begin(), segs_.begin() + long(k));
  return rcv_nxt;
}

size_t OooQueue::sack(std::span<SackBlock> out) const {
  struct Run {
    SackBlock b;
    uint64_t stamp;
  };
  std::vector<Run> runs;
  for (const Seg& s : segs_) {
    if (!runs.empty() && runs.back().b.right == s.seq) {
      runs.back().b.right = s.end;
      runs.back().stamp = std::max(runs.back().stamp, s.stamp);
    } else {
      runs.push_back({{s.seq, s.end}, s.stamp});
    }
  }
  size_t n = std::min(out.size(), runs.size());
  std::partial_sort(runs.begin(), runs.begin() + long(n), runs.end(),
                    [](const Run& a, const Run& b) { return a.stamp > b.stamp; });
  for (size_t k = 0; k < n; k++)
    out[k] = runs[k].b;
  return n;
}

void OooQueue::clear() {
  segs_.clear();
  bytes_ = memory_ = 0;
}

}  // namespace ninet::tcp
