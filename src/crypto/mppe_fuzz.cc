// mppe_fuzz — Mppe::decrypt on arbitrary packets in both modes, and an MPPE
// link (sender and receiver) under loss, duplication and reordering.
//
// Input: a control byte (bit 0: the link is stateless; bits 1-2: 40, 56 or
// 128-bit keys), then records, each a length byte and that many bytes.
// 1. The first 32 records are packets for a stateless and a stateful receiver
//    (32: a stateless packet may cost 3840 key changes). Whatever comes, the
//    verdict agrees with the receiver's state: kShort only below 3 bytes; a
//    dropped packet (kShort, kBadHeader, kLate) changes nothing; kOk leaves
//    the count after the packet's and decrypts exactly the bytes after the
//    header; only stateful receivers discard, and then keep the count.
// 2. Every record is a packet of a link: its first byte says what the wire
//    does with it (deliver, lose, deliver twice, or hold it back behind the
//    next one), the rest is the payload. A kResetRequest reaches the sender
//    at once (its CCP Reset-Request). Every kOk gives back the payload sent;
//    a stateless packet newer than all delivered before decrypts; so does, in
//    stateful mode, a flushed one, and the next one in order when not
//    discarding. The wire neither loses nor holds back a stateful packet
//    flushed for a reset: a receiver that changes the key on every flushed
//    packet (Linux's way, mppe.h) cannot count one it did not see first.
//
//   sh tests/fuzz/run.sh 60 mppe_fuzz
#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "base/fuzz_check.h"
#include "crypto/mppe.h"

namespace {

using namespace ninet::crypto;
using Bytes = std::vector<uint8_t>;

const std::shared_ptr<const Libcrypto>& lib() {
  static const std::shared_ptr<const Libcrypto> l = [] {
    auto r = Libcrypto::open();
    FUZZ_CHECK(r.ok());
    return *r;
  }();
  return l;
}

Mppe make(int bits, bool stateless) {
  Bytes16 key;
  for (size_t i = 0; i < key.size(); i++)
    key[i] = uint8_t(0x31 * i + 7);
  auto m = Mppe::create(lib(), {.key_bits = bits, .stateless = stateless, .master_key = key});
  FUZZ_CHECK(m.ok());
  return std::move(*m);
}

// One arbitrary packet to a receiver; checks the verdict against its state.
void check_arbitrary(Mppe& rx, const Bytes& packet) {
  uint16_t count = rx.count();
  bool discarding = rx.discarding();
  Bytes p = packet;
  MppeInput in = rx.decrypt(p);
  FUZZ_CHECK((in.verdict == MppeVerdict::kShort) == (packet.size() <= MppeHeader::kLen));
  switch (in.verdict) {
    case MppeVerdict::kShort:
    case MppeVerdict::kBadHeader:
    case MppeVerdict::kLate:
      FUZZ_CHECK(rx.count() == count && rx.discarding() == discarding);
      break;
    case MppeVerdict::kOk:
      FUZZ_CHECK(in.header.encrypted && !in.header.mppc);
      FUZZ_CHECK(in.header.flushed || !rx.stateless());
      FUZZ_CHECK(rx.count() == ((in.header.count + 1) & MppeHeader::kCountMask));
      FUZZ_CHECK(in.lost == ((in.header.count - count) & MppeHeader::kCountMask));
      FUZZ_CHECK(in.lost < 0x0f00);
      FUZZ_CHECK(!rx.discarding());
      FUZZ_CHECK(in.data.data() == p.data() + 2 && in.data.size() == p.size() - 2);
      break;
    case MppeVerdict::kResetRequest:
    case MppeVerdict::kDiscard:
      FUZZ_CHECK(!rx.stateless() && rx.discarding() && rx.count() == count);
      FUZZ_CHECK(!in.header.flushed);
      break;
    case MppeVerdict::kCryptoFailed:
      FUZZ_CHECK(false);
  }
  FUZZ_CHECK(!mppe_verdict_text(in.verdict).empty());
}

struct Sent {
  Bytes packet;   // header and ciphertext
  Bytes payload;  // what was encrypted
  uint32_t index;
};

struct LinkRun {
  Mppe tx, rx;
  int64_t newest = -1;         // the highest index delivered so far
  int64_t last_ok = -1;        // the index of the last packet decrypted
  bool reset_pending = false;  // the sender was told of a Reset-Request

  void deliver(const Sent& s) {
    Bytes p = s.packet;
    MppeHeader h = MppeHeader::parse(p);
    bool discarding = rx.discarding();
    MppeInput in = rx.decrypt(p);
    bool newer = int64_t(s.index) > newest;
    if (in.ok()) FUZZ_CHECK(Bytes(in.data.begin(), in.data.end()) == s.payload);
    if (newer && (rx.stateless() || h.flushed)) FUZZ_CHECK(in.ok());
    if (!rx.stateless() && !discarding && int64_t(s.index) == last_ok + 1) FUZZ_CHECK(in.ok());
    if (in.verdict == MppeVerdict::kResetRequest) {
      tx.reset_request();
      reset_pending = true;
    }
    if (in.ok()) last_ok = s.index;
    if (newer) newest = s.index;
  }
};

void run_link(int bits, bool stateless, const std::vector<Bytes>& records) {
  LinkRun link{make(bits, stateless), make(bits, stateless)};
  std::optional<Sent> held;
  for (uint32_t i = 0; i < records.size(); i++) {
    const Bytes& r = records[i];
    uint8_t action = r.empty() ? 0 : r[0] & 3;
    Sent s{Bytes(2), r.size() > 1 ? Bytes(r.begin() + 1, r.end()) : Bytes{0x21}, i};
    s.packet.insert(s.packet.end(), s.payload.begin(), s.payload.end());
    auto h = link.tx.encrypt(s.packet);
    FUZZ_CHECK(h.ok() && h->count == (i & MppeHeader::kCountMask) && h->encrypted);
    bool flag = (i & 0xff) == 0xff;
    FUZZ_CHECK(h->flushed == (stateless || flag || link.reset_pending));
    if (h->flushed) link.reset_pending = false;
    // Neither lost nor held back: see the header comment.
    if (!stateless && h->flushed && !flag && (action == 1 || action == 3)) action = 0;
    switch (action) {
      case 0:
        link.deliver(s);
        break;
      case 1:
        break;
      case 2:
        link.deliver(s);
        link.deliver(s);
        break;
      case 3:
        if (held) link.deliver(*held);
        held = std::move(s);
        continue;
    }
    if (held) {
      link.deliver(*held);
      held.reset();
    }
  }
  if (held) link.deliver(*held);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static constexpr int kBits[] = {40, 56, 128, 128};
  bool stateless = data[0] & 1;
  int bits = kBits[(data[0] >> 1) & 3];
  std::vector<Bytes> records;
  for (size_t i = 1; i < size;) {
    size_t n = data[i++];
    n = std::min(n, size - i);
    records.emplace_back(data + i, data + i + n);
    i += n;
  }

  Mppe stateless_rx = make(bits, true), stateful_rx = make(bits, false);
  for (size_t i = 0; i < records.size() && i < 32; i++) {
    check_arbitrary(stateless_rx, records[i]);
    check_arbitrary(stateful_rx, records[i]);
  }
  run_link(bits, stateless, records);
  return 0;
}
