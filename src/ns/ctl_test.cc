// What ctl_fuzz found, reproduced through the tree as a user would write it:
// one test per finding, on a stack with a manual clock and no engine thread.
#include <fcntl.h>
#include <gtest/gtest.h>

#include "ns/stack_tree.h"

namespace ninet::ns {
namespace {

struct CtlTest : ::testing::Test {
  ManualClock clock;
  Stack stack{0, &clock};
  StackTree tree{stack};

  std::unique_ptr<Handle> open(const std::string& path, int flags = O_RDWR) {
    auto q = tree.walk_path(path);
    EXPECT_TRUE(q.ok()) << path;
    if (!q) return nullptr;
    auto h = tree.open(*q, flags);
    EXPECT_TRUE(h.ok()) << path << ": " << h.error().text();
    return h ? std::move(*h) : nullptr;
  }
  std::string cat(const std::string& path) {
    auto h = open(path, O_RDONLY);
    if (!h) return "";
    auto s = h->read_all();
    return s ? *s : "";
  }
};

// `add local mask remote mtu junk` failed but had already set the MTU.
TEST_F(CtlTest, FailedAddLeavesTheMtu) {
  auto ctl = open("ipifc/clone");
  ASSERT_TRUE(ctl->write("bind pkt").ok());
  std::string before = cat("ipifc/0/status");
  ASSERT_EQ(before.substr(0, 16), "pkt         4096");
  auto r = ctl->write("add 10.0.0.1 255.255.255.0 10.0.0.2 1000 junk");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Err::BadArg);
  EXPECT_EQ(cat("ipifc/0/err"), "bad arg in system call: unexpected junk\n");
  EXPECT_EQ(cat("ipifc/0/status"), before) << "a failed write changes nothing";
  ASSERT_TRUE(ctl->write("add 10.0.0.1 255.255.255.0 10.0.0.2 1000").ok());
  EXPECT_EQ(cat("ipifc/0/status").substr(0, 16), "pkt         1000");
}

}  // namespace
}  // namespace ninet::ns
