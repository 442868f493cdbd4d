#include "config.h"

#include <gtest/gtest.h>

#include "base/timer.h"

namespace ninet {
namespace {

TEST(Config, ParsesStacksFilesAndDots) {
  auto c = parse_config(
      "# comment\n"
      "stack 0 /net\n"
      "ipifc/clone bind loopback   # trailing comment\n"
      ". add 127.0.0.1 255.0.0.0\n"
      "\n"
      "stack 3\n"
      "9p unix!/run/ninet3\n"
      "iproute add 0.0.0.0 0.0.0.0 10.0.0.1\n");
  ASSERT_TRUE(c.ok()) << c.error().text();
  ASSERT_EQ(c->stacks.size(), 2u);
  EXPECT_EQ(c->stacks[0].number, 0);
  EXPECT_EQ(c->stacks[0].mountpoint, "/net");
  ASSERT_EQ(c->stacks[0].writes.size(), 2u);
  EXPECT_EQ(c->stacks[0].writes[0].file, "ipifc/clone");
  EXPECT_EQ(c->stacks[0].writes[0].message, "bind loopback");
  EXPECT_EQ(c->stacks[0].writes[1].file, "");
  EXPECT_EQ(c->stacks[0].writes[1].message, "add 127.0.0.1 255.0.0.0");
  EXPECT_EQ(c->stacks[0].writes[1].line, 4);
  EXPECT_EQ(c->stacks[1].number, 3);
  EXPECT_EQ(c->stacks[1].mountpoint, "");
  ASSERT_EQ(c->stacks[1].ninep.size(), 1u);
  EXPECT_EQ(c->stacks[1].ninep[0].addr, "unix!/run/ninet3");
  EXPECT_FALSE(c->stacks[1].ninep[0].remote);
  EXPECT_EQ(c->stacks[0].owner, "root");
}

TEST(Config, OwnerAndRemote9p) {
  auto c = parse_config(
      "stack 1\n"
      "owner glenda\n"
      "9p tcp!10.9.0.1!564 allow-remote\n"
      "ipifc/clone bind loopback\n");
  ASSERT_TRUE(c.ok()) << c.error().text();
  EXPECT_EQ(c->stacks[0].owner, "glenda");
  ASSERT_EQ(c->stacks[0].ninep.size(), 1u);
  EXPECT_EQ(c->stacks[0].ninep[0].addr, "tcp!10.9.0.1!564");
  EXPECT_TRUE(c->stacks[0].ninep[0].remote);
  EXPECT_FALSE(parse_config("stack 0\nowner\n").ok());
  EXPECT_FALSE(parse_config("stack 0\nowner a b\n").ok());
  EXPECT_FALSE(parse_config("stack 0\nipifc/clone bind loopback\nowner a\n").ok());
  EXPECT_FALSE(parse_config("stack 0\n9p tcp!1.2.3.4!5 open\n").ok());
}

TEST(Config, BusyPoll) {
  auto c = parse_config(
      "stack 0\nbusypoll 50\n"
      "stack 1\nbusypoll always\n"
      "stack 2\nbusypoll always\nbusypoll off\n"
      "stack 3\n");
  ASSERT_TRUE(c.ok()) << c.error().text();
  EXPECT_EQ(c->stacks[0].busy_poll, us(50));
  EXPECT_EQ(c->stacks[1].busy_poll, kNever);
  EXPECT_EQ(c->stacks[2].busy_poll, 0);
  EXPECT_EQ(c->stacks[3].busy_poll, 0);
  for (const char* bad : {"busypoll", "busypoll 0", "busypoll -5", "busypoll 1000001",
                          "busypoll 5us", "busypoll always 5"}) {
    auto e = parse_config(std::string("stack 0\n") + bad + "\n");
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_NE(e.error().text().find("line 2: busypoll"), std::string::npos) << e.error().text();
  }
}

TEST(Config, RejectsBadInputWithTheLine) {
  auto c = parse_config("ipifc/clone bind loopback\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().text().find("line 1"), std::string::npos);
  EXPECT_FALSE(parse_config("stack 16\n").ok());
  EXPECT_FALSE(parse_config("stack 0\nstack 0\n").ok());
  EXPECT_FALSE(parse_config("stack 0\n. add 1.2.3.4\n").ok());
  EXPECT_FALSE(parse_config("stack 0\nipifc/clone\n").ok());
  auto d = parse_config("stack x\n");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code(), Err::BadArg);
}

TEST(Config, DefaultIsValid) {
  auto c = parse_config(default_config("/net"));
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->stacks.size(), 1u);
  EXPECT_EQ(c->stacks[0].mountpoint, "/net");
  EXPECT_EQ(c->stacks[0].writes.size(), 3u);
}

}  // namespace
}  // namespace ninet
