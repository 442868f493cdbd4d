// ppp.h — the PPP server half of the test control daemon (ctld.cc): just
// enough LCP (RFC 1661), MS-CHAPv2 as authenticator (RFC 2759), IPCP (RFC
// 1332) and CCP with MPPE-128 stateless (RFC 2118's option 18, RFC 3078) to
// bring a real pppd client's session up, so that it can be registered with
// pipex. A test tool, not the product daemon: no full option state machine
// (RFC 1661's automaton is reduced to "send ours, answer theirs, resend once
// a second"), one user, one address per session.
//
//   PppServer ppp(lib, cfg, [&](uint16_t proto, const Bytes& info) { tunnel_send(proto, info); });
//   ppp.start();                            // our LCP Configure-Request
//   ppp.input(proto, info);                 // every PPP frame of the session
//   if (ppp.ready() && !registered) register_with_pipex(ppp.result());
//   ppp.tick();                             // once a second
//
// MPPE is negotiated when the client's CCP asks for it (option 18) and the
// configuration allows it; a client whose CCP does not ask for it gets CCP
// rejected (LCP Protocol-Reject), as does any protocol but LCP, CHAP, IPCP
// and CCP.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "crypto/libcrypto.h"
#include "crypto/mschap.h"

namespace ninet::ctld {

using Bytes = std::vector<uint8_t>;

struct PppConfig {
  std::string user = "client", password = "secret123", name = "ctld";
  uint32_t ours = 0, theirs = 0;  // IPCP addresses, host order
  uint16_t mru = 1400;            // ours, requested in LCP
  bool allow_mppe = true;
};

// What pipex needs of a session that is up.
struct PppResult {
  uint16_t peer_mru = 1500;
  bool pfc = false, acfc = false;  // the client may send them (we acked them)
  bool mppe = false;
  crypto::Bytes16 send_key{}, recv_key{};  // the server's MPPE start keys (RFC 3079 3.4)
  uint8_t ccp_id = 0;
};

class PppServer {
 public:
  using Send = std::function<void(uint16_t protocol, const Bytes& info)>;
  using Log = std::function<void(const std::string&)>;
  PppServer(std::shared_ptr<const crypto::Libcrypto> lib, PppConfig cfg, Send send, Log log);

  void start();
  // One PPP frame of the session: protocol and information.
  void input(uint16_t protocol, std::span<const uint8_t> info);
  // Resends our unanswered Configure-Request or Challenge.
  void tick();
  // Sends LCP Terminate-Request (RFC 1661's Closing state): the session is
  // dead once the peer acks it (or sends its own), or after kMaxTerminate
  // ticks unanswered. A caller that closes the tunnel at once need not wait.
  void terminate(const std::string& why);

  // LCP, authentication, IPCP and (if negotiated) CCP are all open.
  bool ready() const;
  // Dead: terminated by either side, or authentication failed; reason says why.
  bool dead() const { return dead_; }
  const std::string& reason() const { return reason_; }
  const PppResult& result() const { return res_; }
  // Set once pipex has the session: frames that pipex claims (IP, MPPE, CCP
  // resets) are then ignored here (ctld's PPPoE socket sees copies of them).
  bool registered = false;

 private:
  // One control protocol's negotiation of our own request and the peer's.
  struct Ncp {
    uint16_t protocol = 0;
    Bytes ours;            // our options
    uint8_t id = 0;        // of our last Configure-Request
    bool sent = false;     // our request went out at least once
    bool acked = false;    // the peer acked our request
    bool peer_ok = false;  // we acked the peer's request
    int tries = 0;
    bool open() const { return acked && peer_ok; }
  };
  void send_cp(uint16_t protocol, uint8_t code, uint8_t id, std::span<const uint8_t> data);
  void send_request(Ncp& n);
  void lcp_input(uint8_t code, uint8_t id, std::span<const uint8_t> data);
  void chap_input(uint8_t code, uint8_t id, std::span<const uint8_t> data);
  void ipcp_input(uint8_t code, uint8_t id, std::span<const uint8_t> data);
  void ccp_input(uint8_t code, uint8_t id, std::span<const uint8_t> data);
  // Answers the other common codes (Terminate, Code-Reject...); true if it did.
  bool common_input(Ncp& n, uint8_t code, uint8_t id, std::span<const uint8_t> data);
  void protocol_reject(uint16_t protocol, std::span<const uint8_t> info);
  void send_challenge();
  void network_phase();
  void fail(const std::string& why);

  std::shared_ptr<const crypto::Libcrypto> lib_;
  PppConfig cfg_;
  Send send_;
  Log log_;
  Ncp lcp_, ipcp_, ccp_;
  uint32_t magic_ = 0;
  uint8_t lcp_next_id_ = 1;
  crypto::MschapChallenge challenge_{};
  uint8_t chap_id_ = 0;
  int chap_tries_ = 0;
  bool authed_ = false;
  Bytes chap_answer_;  // our Success or Failure, resent for a repeated Response
  bool mppe_wanted_ = false;
  bool dead_ = false;
  std::string reason_;
  // Closing: our Terminate-Request is out; why, and how often it went.
  bool closing_ = false;
  std::string closing_why_;
  int term_tries_ = 0;
  PppResult res_;
};

}  // namespace ninet::ctld
