// ctl_test — pipex's ctl messages and text (ctl.h) on a session table:
// each message's effect, each error path with its Err (and so its errno),
// the closed list in 128s, and a session's status, which registers the same
// session again.
#include "pipex/ctl.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <set>
#include <string>

#include "ip/ip.h"
#include "media/testing.h"

namespace ninet::pipex {
namespace {

const char* kL2tp7 =
    "ifc=0 proto=l2tp id=7 peer-id=9 ppp-id=507 framed=10.0.0.7 peer=192.0.2.1!1701 "
    "local=192.0.2.2!1701 tunnel-id=1 peer-tunnel-id=2";

struct CtlTest : ::testing::Test {
  CtlTest() : ip(clock, pool, TestMedium::factory(&media)), px(ip) {
    std::lock_guard<std::mutex> g(ip.mu);
    pppac = *ip.ifc_clone();  // 0
    EXPECT_TRUE(ip.ifc_ctl(*pppac, "bind pkt"));
    ether = *ip.ifc_clone();  // 1
    EXPECT_TRUE(ip.ifc_ctl(*ether, "bind ether veth7"));
    unbound = *ip.ifc_clone();  // 2
  }

  Status ctl(std::string_view msg) {
    std::lock_guard<std::mutex> g(ip.mu);
    return pipex::ctl(px, ip, msg);
  }
  // The error of a message that must fail.
  Error fail(std::string_view msg) {
    Status st = ctl(msg);
    EXPECT_FALSE(st.ok()) << msg;
    return st.ok() ? Error(Err::Ok) : st.error();
  }
  Status sctl(int proto, uint16_t id, std::string_view msg) {
    std::lock_guard<std::mutex> g(ip.mu);
    return session_ctl(px, ip, proto, id, msg);
  }
  std::string status(int proto, uint16_t id) {
    std::lock_guard<std::mutex> g(ip.mu);
    Session* s = px.find(proto, id);
    return s ? status_text(px, *s, ip) : "none";
  }
  std::string stats(int proto, uint16_t id) {
    std::lock_guard<std::mutex> g(ip.mu);
    Session* s = px.find(proto, id);
    return s ? stats_text(px, *s, ip) : "none";
  }
  std::string closed() {
    std::lock_guard<std::mutex> g(ip.mu);
    return closed_text(px, ip);
  }
  void run_for(int seconds) {
    for (int i = 0; i < seconds; i++) {
      clock.advance(sec(1));
      std::lock_guard<std::mutex> g(ip.mu);
      ip.timers.run(clock.now());
    }
  }
  // An L2TP session on interface ifc with framed address 10.1.ID/256.ID%256.
  Status add_l2tp(int id, int ifc = 0, const std::string& extra = "") {
    return ctl("add ifc=" + std::to_string(ifc) + " proto=l2tp id=" + std::to_string(id) +
               " ppp-id=" + std::to_string(1000 + id) + " framed=10.1." + std::to_string(id / 256) +
               "." + std::to_string(id % 256) + " peer=192.0.2.1!1701 local=192.0.2.2!1701 " +
               extra);
  }

  ManualClock clock;
  Pool pool;
  std::vector<TestMedium*> media;
  Ip ip;
  Pipex px;
  Ifc* pppac = nullptr;
  Ifc* ether = nullptr;
  Ifc* unbound = nullptr;
};

TEST_F(CtlTest, ModeTurnsAnInterfaceOnAndOffAndReadsBack) {
  ASSERT_TRUE(ctl("mode 0 on\n").ok());
  EXPECT_TRUE(px.mode(0));
  ASSERT_TRUE(ctl("mode 1 on").ok());
  {
    std::lock_guard<std::mutex> g(ip.mu);
    EXPECT_EQ(modes_text(px, ip), "mode 0 on\nmode 1 on\n");
  }
  ASSERT_TRUE(ctl(std::string("add ") + kL2tp7).ok());
  ASSERT_TRUE(ctl("mode 0 off").ok());
  EXPECT_FALSE(px.mode(0));
  EXPECT_EQ(px.size(), 0u) << "mode off frees the interface's sessions";
  ASSERT_TRUE(ctl("mode 2 off").ok()) << "off on an unbound interface is harmless";
  std::lock_guard<std::mutex> g(ip.mu);
  EXPECT_EQ(modes_text(px, ip), "mode 1 on\n");
}

TEST_F(CtlTest, ModeErrors) {
  EXPECT_EQ(fail("mode 0").code(), Err::BadArg);
  EXPECT_EQ(fail("mode 0 on extra").code(), Err::BadArg);
  EXPECT_EQ(fail("mode x on").code(), Err::NoDevice);
  EXPECT_EQ(fail("mode 9 on").text(), "no such device: interface 9");
  EXPECT_EQ(fail("mode 0 maybe").text(), "bad arg in system call: on or off: maybe");
  Error e = fail("mode 2 on");
  EXPECT_EQ(e.code(), Err::NoMedium) << "an unbound interface may not serve sessions";
  EXPECT_EQ(e.errnum(), ENXIO);
  EXPECT_FALSE(px.mode(2));
  EXPECT_FALSE(px.mode(0));
}

TEST_F(CtlTest, AddRegistersTheWordsOnTheNamedInterface) {
  ASSERT_TRUE(ctl("mode 0 on").ok());
  ASSERT_TRUE(ctl("add proto=l2tp id=7 framed=10.0.0.7 ifc=0 peer=192.0.2.1!1701 "
                  "local=192.0.2.2!1701")
                  .ok());
  Session* s = px.find(PIPEX_PROTO_L2TP, 7);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->ifc, 0);
  EXPECT_EQ(s->addr4, Ipaddr::v4(10, 0, 0, 7));
  EXPECT_EQ(s->peer_port, 1701);
}

TEST_F(CtlTest, AddErrorsCarryTheIoctlsErrno) {
  ASSERT_TRUE(ctl("mode 0 on").ok());
  EXPECT_EQ(fail("add proto=l2tp id=7").text(),
            "bad arg in system call: bad pipex request: ifc missing");
  EXPECT_EQ(fail("add ifc=0 ifc=0 proto=l2tp id=7").text(),
            "bad arg in system call: bad pipex request: ifc=0");
  EXPECT_EQ(fail("add ifc=zero proto=l2tp id=7").text(),
            "bad arg in system call: bad pipex request: ifc=zero");
  EXPECT_EQ(fail("add ifc=0 proto=l2tp id=7 colour=blue").text(),
            "bad arg in system call: bad pipex request: colour=blue")
      << "text.h's own errors come through";
  EXPECT_EQ(fail("add ifc=5 proto=l2tp id=7").code(), Err::NoDevice);
  // ENXIO: the interface is not in pipex mode.
  Error e = fail("add ifc=1 proto=l2tp id=7 peer=192.0.2.1!1701 local=192.0.2.2!1701");
  EXPECT_EQ(e.code(), Err::PipexOff);
  EXPECT_EQ(e.errnum(), ENXIO);
  EXPECT_EQ(e.text(), "interface not in pipex mode: interface 1");
  ASSERT_TRUE(ctl(std::string("add ") + kL2tp7).ok());
  // EEXIST: the same protocol and id.
  e = fail("add ifc=0 proto=l2tp id=7 framed=10.0.0.8 peer=192.0.2.1!1701 local=192.0.2.2!1701");
  EXPECT_EQ(e.code(), Err::SessionExists);
  EXPECT_EQ(e.errnum(), EEXIST);
  EXPECT_EQ(e.text(), "session exists: l2tp.7");
  // EADDRINUSE: another session's framed address.
  e = fail("add ifc=0 proto=pptp id=7 framed=10.0.0.7 peer=192.0.2.1!0 local=192.0.2.2!0");
  EXPECT_EQ(e.code(), Err::AddrInUse);
  EXPECT_EQ(e.errnum(), EADDRINUSE);
  EXPECT_EQ(e.text(), "address in use: framed 10.0.0.7");
  // EINVAL: a request pipex refuses (MPPE required without its keys).
  e = fail(
      "add ifc=0 proto=l2tp id=8 peer=192.0.2.1!1701 local=192.0.2.2!1701 flags=mppe-required");
  EXPECT_EQ(e.code(), Err::BadArg);
  EXPECT_EQ(e.errnum(), EINVAL);
  EXPECT_NE(e.text().find("pipex refused l2tp.8"), std::string::npos) << e.text();
  EXPECT_EQ(px.size(), 1u) << "nothing failed half way";
}

TEST_F(CtlTest, IoctlErrorsNameWhatEachErrnoMeans) {
  struct Case {
    int errnum;
    bool about_session;
    Err code;
    int want_errno;
  } cases[] = {{ENXIO, false, Err::PipexOff, ENXIO},
               {EEXIST, false, Err::SessionExists, EEXIST},
               {EADDRINUSE, false, Err::AddrInUse, EADDRINUSE},
               {EPROTONOSUPPORT, false, Err::NoProtoSupport, EPROTONOSUPPORT},
               {EINVAL, true, Err::NoSession, EINVAL},
               {EINVAL, false, Err::BadArg, EINVAL},
               {ENOTTY, false, Err::BadCtl, EINVAL},
               {ENOMEM, false, Err::NoMem, ENOMEM},
               {EOPNOTSUPP, false, Err::NotSupported, EOPNOTSUPP},
               {EFAULT, false, Err::BadArg, EINVAL}};
  for (const Case& c : cases) {
    Error e = ioctl_error(c.errnum, c.about_session);
    EXPECT_EQ(e.code(), c.code) << c.errnum;
    EXPECT_EQ(e.errnum(), c.want_errno) << c.errnum;
  }
  EXPECT_EQ(ioctl_error(EEXIST, false).text(), "session exists");
  EXPECT_EQ(ioctl_error(EPROTONOSUPPORT, false).text(), "protocol not supported");
  EXPECT_EQ(ioctl_error(EFAULT, false).text(),
            "bad arg in system call: errno " + std::to_string(EFAULT));
  // The texts read back as the same errors (a 9P Rerror, an err file).
  EXPECT_EQ(error_from_text("session exists: l2tp.7", Err::Io).code(), Err::SessionExists);
  EXPECT_EQ(error_from_text("no such session: pptp.1", Err::Io).code(), Err::NoSession);
}

TEST_F(CtlTest, DeleteConfigAndDescrNameOnlyTheSession) {
  ASSERT_TRUE(ctl("mode 0 on").ok());
  ASSERT_TRUE(ctl(std::string("add ") + kL2tp7).ok());
  Session* s = px.find(PIPEX_PROTO_L2TP, 7);
  ASSERT_TRUE(ctl("config l2tp 7 forward off").ok());
  EXPECT_FALSE(s->ip_forward);
  ASSERT_TRUE(ctl("config 1 7 forward on").ok()) << "a protocol by number, as text.h takes it";
  EXPECT_TRUE(s->ip_forward);
  ASSERT_TRUE(ctl("descr l2tp 7   alice  at home \n").ok());
  EXPECT_EQ(s->descr, "alice  at home");
  ASSERT_TRUE(ctl("descr l2tp 7").ok());
  EXPECT_EQ(s->descr, "");
  ASSERT_TRUE(ctl("descr l2tp 7 " + std::string(63, 'x')).ok());
  EXPECT_EQ(s->descr.size(), 63u);
  ASSERT_TRUE(ctl("delete l2tp 7\n").ok());
  EXPECT_EQ(px.find(PIPEX_PROTO_L2TP, 7), nullptr);
}

TEST_F(CtlTest, SessionMessageErrors) {
  ASSERT_TRUE(ctl("mode 0 on").ok());
  ASSERT_TRUE(ctl(std::string("add ") + kL2tp7).ok());
  Error e = fail("delete pptp 7");
  EXPECT_EQ(e.code(), Err::NoSession);
  EXPECT_EQ(e.errnum(), EINVAL);
  EXPECT_EQ(e.text(), "no such session: pptp.7");
  EXPECT_EQ(fail("config l2tp 8 forward on").code(), Err::NoSession);
  EXPECT_EQ(fail("descr pppoe 7 x").code(), Err::NoSession);
  EXPECT_EQ(fail("delete l2tp").text(), "bad arg in system call: usage: delete PROTO ID ...");
  EXPECT_EQ(fail("delete ppp 7").text(), "bad arg in system call: protocol: ppp");
  EXPECT_EQ(fail("delete l2tp 65536").text(), "bad arg in system call: session id: 65536");
  EXPECT_EQ(fail("delete l2tp -1").code(), Err::BadArg);
  EXPECT_EQ(fail("delete l2tp 7 now").text(), "bad arg in system call: delete: extra words");
  EXPECT_EQ(fail("config l2tp 7 forward").code(), Err::BadArg);
  EXPECT_EQ(fail("config l2tp 7 mtu 1400").text(),
            "bad arg in system call: config: forward on|off");
  EXPECT_EQ(fail("config l2tp 7 forward yes").text(), "bad arg in system call: on or off: yes");
  e = fail("descr l2tp 7 " + std::string(64, 'x'));
  EXPECT_EQ(e.code(), Err::TooBig);
  EXPECT_EQ(fail("descr l2tp 7 two\nlines").code(), Err::BadArg);
  EXPECT_EQ(fail("descr l2tp 7 bell\a").code(), Err::BadArg);
  EXPECT_EQ(fail("hello").text(), "unknown control request: hello");
  EXPECT_EQ(fail(" \n").code(), Err::BadCtl);
  Session* s = px.find(PIPEX_PROTO_L2TP, 7);
  ASSERT_NE(s, nullptr) << "no failed message changed it";
  EXPECT_TRUE(s->ip_forward);
  EXPECT_EQ(s->descr, "");
}

TEST_F(CtlTest, ASessionsOwnCtlTakesTheSameMessagesWithoutItsName) {
  ASSERT_TRUE(ctl("mode 0 on").ok());
  ASSERT_TRUE(ctl(std::string("add ") + kL2tp7).ok());
  Session* s = px.find(PIPEX_PROTO_L2TP, 7);
  ASSERT_TRUE(sctl(PIPEX_PROTO_L2TP, 7, "forward off\n").ok());
  EXPECT_FALSE(s->ip_forward);
  ASSERT_TRUE(sctl(PIPEX_PROTO_L2TP, 7, "descr bob").ok());
  EXPECT_EQ(s->descr, "bob");
  EXPECT_EQ(sctl(PIPEX_PROTO_L2TP, 7, "forward").error().code(), Err::BadArg);
  EXPECT_EQ(sctl(PIPEX_PROTO_L2TP, 7, "delete now").error().code(), Err::BadArg);
  EXPECT_EQ(sctl(PIPEX_PROTO_L2TP, 7, "config forward on").error().code(), Err::BadCtl);
  EXPECT_EQ(sctl(PIPEX_PROTO_L2TP, 7, "").error().code(), Err::BadCtl);
  EXPECT_EQ(sctl(PIPEX_PROTO_PPTP, 7, "delete").error().code(), Err::NoSession);
  ASSERT_TRUE(sctl(PIPEX_PROTO_L2TP, 7, "delete").ok());
  EXPECT_EQ(px.size(), 0u);
  EXPECT_EQ(sctl(PIPEX_PROTO_L2TP, 7, "forward on").error().text(), "no such session: l2tp.7");
}

TEST_F(CtlTest, StatusIsTheAddWordsAndRegistersTheSameSessionAgain) {
  ASSERT_TRUE(ctl("mode 0 on").ok());
  ASSERT_TRUE(ctl("add ifc=0 proto=l2tp id=7 peer-id=9 ppp-id=507 ccp-id=3 mru=1400 timeout=300 "
                  "flags=has-acf,adjust-tcpmss src=192.0.2.2 framed=10.0.1.0 netmask=255.255.255.0 "
                  "framed6=fd00:1::/64 peer=2001:db8::1!1701 local=2001:db8::2!1701 "
                  "tunnel-id=1 peer-tunnel-id=2 sequencing=on ns=10 nr=20")
                  .ok());
  ASSERT_TRUE(ctl("descr l2tp 7 alice").ok());
  ASSERT_TRUE(ctl("config l2tp 7 forward off").ok());
  run_for(12);
  const std::string st = status(PIPEX_PROTO_L2TP, 7);
  const std::string first = st.substr(0, st.find('\n'));
  EXPECT_EQ(first,
            "ifc=0 proto=l2tp id=7 peer-id=9 ppp-id=507 ccp-id=3 mru=1400 timeout=300 "
            "flags=has-acf,adjust-tcpmss src=192.0.2.2 framed=10.0.1.0 netmask=255.255.255.0 "
            "framed6=fd00:1::/64 peer=2001:db8::1!1701 local=2001:db8::2!1701 tunnel-id=1 "
            "peer-tunnel-id=2 sequencing=on ns=10 nr=20 ns-una=0 nr-acked=0");
  EXPECT_EQ(st.substr(first.size()), "\nstate=opened idle=12 forward=off\ndescr=alice\n");
  // Deleted and added again from its own status: the same words.
  ASSERT_TRUE(ctl("delete l2tp 7").ok());
  ASSERT_TRUE(ctl("add " + first).ok());
  const std::string again = status(PIPEX_PROTO_L2TP, 7);
  EXPECT_EQ(again.substr(0, again.find('\n')), first);
}

TEST_F(CtlTest, StatusLeavesOutTheMppeKeys) {
  ASSERT_TRUE(ctl("mode 0 on").ok());
  const std::string key = "000102030405060708090a0b0c0d0e0f";
  ASSERT_TRUE(add_l2tp(5, 0,
                       "flags=mppe-accepted,mppe-enabled mppe-recv=stateless,128," + key +
                           " mppe-send=stateless,128," + key)
                  .ok());
  std::string st = status(PIPEX_PROTO_L2TP, 5);
  EXPECT_NE(st.find("flags=mppe-accepted,mppe-enabled"), std::string::npos) << st;
  EXPECT_EQ(st.find("mppe-recv"), std::string::npos) << st;
  EXPECT_EQ(st.find(key), std::string::npos) << st;
}

TEST_F(CtlTest, PppoeStatusNamesItsEthernetInterfaceAndPeer) {
  ASSERT_TRUE(ctl("mode 0 on").ok());
  ASSERT_TRUE(ctl("add ifc=0 proto=pppoe id=3 over=veth7 peer-mac=02:00:00:00:00:09 "
                  "framed=10.0.0.3")
                  .ok());
  std::string st = status(PIPEX_PROTO_PPPOE, 3);
  EXPECT_EQ(st.substr(0, st.find('\n')),
            "ifc=0 proto=pppoe id=3 peer-id=0 ppp-id=0 ccp-id=0 mru=0 timeout=0 src=0.0.0.0 "
            "framed=10.0.0.3 netmask=255.255.255.255 over=veth7 peer-mac=020000000009");
}

TEST_F(CtlTest, StatsAreTheSessionsCountersAndIdleTime) {
  ASSERT_TRUE(ctl("mode 0 on").ok());
  ASSERT_TRUE(add_l2tp(7).ok());
  Session* s = px.find(PIPEX_PROTO_L2TP, 7);
  s->stats.ipackets = 5;
  s->stats.ibytes = uint64_t(1) << 33;  // beyond the ioctl's 32 bits
  s->stats.opackets = 6;
  s->stats.obytes = 700;
  s->stats.ierrors = 1;
  s->stats.oerrors = 2;
  run_for(3);
  EXPECT_EQ(stats(PIPEX_PROTO_L2TP, 7),
            "ipackets: 5\nierrors: 1\nibytes: 8589934592\nopackets: 6\noerrors: 2\n"
            "obytes: 700\nidle_time: 3\n");
}

TEST_F(CtlTest, IdleSessionsGoToCloseWaitAndTheClosedReadTakesThem) {
  ASSERT_TRUE(ctl("mode 0 on").ok());
  ASSERT_TRUE(add_l2tp(1, 0, "timeout=10").ok());
  ASSERT_TRUE(add_l2tp(2, 0, "timeout=10").ok());
  ASSERT_TRUE(add_l2tp(3, 0, "timeout=100").ok());
  EXPECT_EQ(closed(), "");
  run_for(11);
  EXPECT_NE(status(PIPEX_PROTO_L2TP, 1).find("state=close-wait idle=1 "), std::string::npos)
      << status(PIPEX_PROTO_L2TP, 1);
  std::string c = closed();
  EXPECT_TRUE(c == "1001\n1002\n" || c == "1002\n1001\n") << c;
  EXPECT_EQ(closed(), "") << "a read takes them";
  EXPECT_NE(status(PIPEX_PROTO_L2TP, 2).find("state=close-wait2"), std::string::npos);
  EXPECT_NE(status(PIPEX_PROTO_L2TP, 3).find("state=opened"), std::string::npos);
}

TEST_F(CtlTest, TheClosedReadTakesAtMost128AndSaysMore) {
  ASSERT_TRUE(ctl("mode 0 on").ok());
  ASSERT_TRUE(ctl("mode 1 on").ok());
  for (int id = 1; id <= 130; id++)
    ASSERT_TRUE(add_l2tp(id, 0, "timeout=5").ok()) << id;
  ASSERT_TRUE(add_l2tp(200, 1, "timeout=5").ok());
  run_for(6);
  auto ids = [](const std::string& text) {
    std::vector<std::string> v;
    size_t at = 0;
    while (at < text.size()) {
      size_t nl = text.find('\n', at);
      v.push_back(text.substr(at, nl - at));
      at = nl + 1;
    }
    return v;
  };
  auto first = ids(closed());
  ASSERT_EQ(first.size(), 129u);
  EXPECT_EQ(first.back(), "more");
  auto second = ids(closed());
  ASSERT_EQ(second.size(), 3u) << "the rest of interface 0's, and more: interface 1 has one";
  EXPECT_EQ(second.back(), "more");
  EXPECT_EQ(ids(closed()), std::vector<std::string>{"1200"});
  EXPECT_EQ(closed(), "");
  std::set<std::string> all(first.begin(), first.end() - 1);
  all.insert(second.begin(), second.end() - 1);
  EXPECT_EQ(all.size(), 130u) << "each id once";
}

TEST_F(CtlTest, SessionNames) {
  EXPECT_EQ(session_name(PIPEX_PROTO_L2TP, 7), "l2tp.7");
  EXPECT_EQ(session_name(PIPEX_PROTO_PPTP, 65535), "pptp.65535");
  EXPECT_EQ(session_name(PIPEX_PROTO_PPPOE, 0), "pppoe.0");
}

}  // namespace
}  // namespace ninet::pipex
