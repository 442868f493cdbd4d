// pipex_ctl_fuzz — pipex's ctl messages (ctl.h) as scripts, on a fresh
// table per input (interface 0 pkt, 1 Ethernet `veth7`, 2 unbound).
//
// Input: lines. `tick` advances the clock 7 s and runs the timers (idle
// sessions go to close-wait, then away); `closed` reads the closed list;
// `s PROTO ID MSG` writes MSG to that session's own ctl; anything else is a
// message of pipex/ctl. (The target is named pipex_ctl_fuzz: ctl_fuzz is
// the tree's, src/ns.)
//
// Invariants: a failed message has an error code and text and changes
// nothing the table counts; every session's status is three lines whose
// first, but for ifc= and the hidden MPPE keys, is words text.h parses back
// to the same words, with the ifc= of the session's interface; its stats
// are 7 `Name: value` lines; a closed read is at most 128 numbers and
// perhaps `more` last.
//
//   sh tests/fuzz/run.sh 60 pipex_ctl_fuzz
#include <cstdint>
#include <string>
#include <string_view>

#include "base/fields.h"
#include "base/fuzz_check.h"
#include "ip/ip.h"
#include "media/testing.h"
#include "pipex/ctl.h"
#include "pipex/text.h"

namespace {

using namespace ninet;
using namespace ninet::pipex;

size_t count_lines(const std::string& s) {
  size_t n = 0;
  for (char c : s)
    n += c == '\n';
  return n;
}

void check_session(Pipex& px, const Session& s, Ip& ip) {
  const std::string st = status_text(px, s, ip);
  FUZZ_CHECK(count_lines(st) == 3 && st.back() == '\n');
  const std::string first = st.substr(0, st.find('\n'));
  const std::string ifc = "ifc=" + std::to_string(s.ctl_ifc) + " ";
  FUZZ_CHECK(first.starts_with(ifc));
  const std::string words = first.substr(ifc.size());
  bool mppe = s.ppp_flags & (PIPEX_PPP_MPPE_ACCEPTED | PIPEX_PPP_MPPE_ENABLED);
  auto r = parse_session_req(words);
  // Without its keys an MPPE session's words parse still (the key words are
  // optional); with no MPPE they are the whole request.
  FUZZ_CHECK(r.ok());
  FUZZ_CHECK(r->pr_protocol == s.protocol && r->pr_session_id == s.id);
  if (!mppe) FUZZ_CHECK(session_req_text(*r) == words);
  const std::string stats = stats_text(px, s, ip);
  FUZZ_CHECK(count_lines(stats) == 7);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ManualClock clock;
  Pool pool;
  std::vector<TestMedium*> media;
  Ip ip(clock, pool, TestMedium::factory(&media));
  Pipex px(ip);
  std::lock_guard<std::mutex> g(ip.mu);
  FUZZ_CHECK(ip.ifc_ctl(**ip.ifc_clone(), "bind pkt"));
  FUZZ_CHECK(ip.ifc_ctl(**ip.ifc_clone(), "bind ether veth7"));
  FUZZ_CHECK(ip.ifc_clone().ok());
  std::string_view in(reinterpret_cast<const char*>(data), size);
  while (!in.empty()) {
    size_t nl = in.find('\n');
    std::string_view line = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
    if (line == "tick") {
      clock.advance(sec(7));
      ip.timers.run(clock.now());
    } else if (line == "closed") {
      const std::string c = closed_text(px, ip);
      size_t n = 0;
      for (std::string_view l : ctl_fields(c)) {
        if (l == "more") {
          FUZZ_CHECK(c.ends_with("more\n"));
          continue;
        }
        auto id = parse_int(l, INT32_MIN, INT32_MAX);
        FUZZ_CHECK(id.has_value());
        n++;
      }
      FUZZ_CHECK(n <= PIPEX_MAX_LISTREQ);
    } else {
      const size_t before = px.size();
      Status st = Status();
      auto w = ctl_fields(line);
      if (w.size() >= 3 && w[0] == "s") {
        auto id = parse_int(w[2], 0, 65535);
        if (!id) continue;
        st = session_ctl(px, ip, parse_proto(w[1]), uint16_t(*id),
                         line.substr(size_t(w[2].data() + w[2].size() - line.data())));
      } else {
        st = ctl(px, ip, line);
      }
      if (!st) {
        FUZZ_CHECK(st.error().code() != Err::Ok && !st.error().text().empty());
        FUZZ_CHECK(px.size() == before);
      }
    }
    px.for_each([&](const Session& s) { check_session(px, s, ip); });
  }
  return 0;
}
