// tree_testing.h — for tests that drive a tree by path, as a user of the
// mounted files would: open (a failed walk or open is a test failure) and
// read a whole file. The user is the stack's default owner, root (not
// privileged: the tree lets it in as the owner), unless a test says.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "ns/tree.h"

namespace ninet::ns {

inline std::unique_ptr<Handle> open_path(Tree& tree, const std::string& path, int flags = O_RDWR,
                                         const User& who = User{"root"}) {
  auto q = tree.walk_path(path);
  EXPECT_TRUE(q.ok()) << path;
  if (!q) return nullptr;
  auto h = tree.open(*q, flags, who);
  EXPECT_TRUE(h.ok()) << path << ": " << h.error().text();
  return h ? std::move(*h) : nullptr;
}

// The file's text; "" if it cannot be opened or read (already a failure).
inline std::string cat_path(Tree& tree, const std::string& path, const User& who = User{"root"}) {
  auto h = open_path(tree, path, O_RDONLY, who);
  if (!h) return "";
  auto s = h->read_all();
  return s ? *s : "";
}

}  // namespace ninet::ns
