// embed_test — stacks of a configuration inside the test's process
// (embed.h): the configuration's errors name their line, and the dial
// library reaches the embedded stack's tree with no mount.
#include "embed.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "dial/dial.h"

namespace ninet {
namespace {

Config parse(const std::string& text) {
  auto c = parse_config(text);
  EXPECT_TRUE(c) << c.error().text();
  return c ? *c : Config{};
}

TEST(Embed, AConfigurationErrorNamesItsLine) {
  auto e =
      embed(parse("stack 0\nipifc/clone bind loopback\n. add 127.0.0.1 255.0.0.0\n"
                  ". add 10.0.0.300 255.0.0.0\n"));
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().text().find("config line 4: add 10.0.0.300"), std::string::npos)
      << e.error().text();
  auto f = embed(parse("stack 0\nnosuch/file hello\n"));
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code(), Err::NotFound);
  EXPECT_NE(f.error().text().find("config line 2: nosuch/file"), std::string::npos);
  EXPECT_FALSE(embed(Config{}));
}

TEST(Embed, DialReachesTheEmbeddedStackWithoutAMount) {
  auto e =
      embed(parse("stack 3 /n/three\nipifc/clone bind loopback\n. add 127.0.0.1 255.0.0.0\n"
                  ". add ::1 /128\n"));
  ASSERT_TRUE(e) << e.error().text();
  auto a = dial::announce("tcp!*!4242");
  ASSERT_TRUE(a) << a.error().text();
  EXPECT_TRUE(a->dir.starts_with("/n/three/tcp/")) << a->dir;  // the stack's mountpoint names it
  std::string got;
  std::thread server([&] {
    auto call = dial::listen(a->dir);
    ASSERT_TRUE(call) << call.error().text();
    auto fd = dial::accept(call->ctl, call->dir);
    ASSERT_TRUE(fd) << fd.error().text();
    call->data = *fd;
    std::vector<uint8_t> buf(65536);
    for (;;) {
      auto n = call->read(buf);
      if (!n || *n == 0) break;
      got.append(reinterpret_cast<const char*>(buf.data()), *n);
    }
    call->close();
  });
  std::string sent;
  for (int i = 0; sent.size() < (1 << 20); i++)
    sent += std::to_string(i) + ",";
  auto c = dial::dial("tcp!::1!4242");
  ASSERT_TRUE(c) << c.error().text();
  ASSERT_TRUE(c->write(sent));
  c->close();
  server.join();
  EXPECT_EQ(got, sent);
  a->close();
}

}  // namespace
}  // namespace ninet
