// handle.h — open files of a StackTree: what each file's read and write do.
#pragma once

#include <memory>

#include "ns/stack_tree.h"

namespace ninet::ns {

// Opens q (clone and listen open a different file: the new ctl).
Result<std::unique_ptr<Handle>> open_handle(StackTree& tree, Qid q, int flags);

}  // namespace ninet::ns
