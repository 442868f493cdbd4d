// handle.h — open files of a StackTree: what each file's read and write do.
#pragma once

#include <memory>

#include "ns/stack_tree.h"

namespace ninet::ns {

// Opens q for `who` (StackTree::check decides, under the same hold of the
// stack lock as the open). clone and listen open a different file: the new
// conversation's ctl, owned by `who`. `cancel` (may be null) ends a blocked
// `listen` open.
Result<std::unique_ptr<Handle>> open_handle(StackTree& tree, Qid q, int flags, const User& who,
                                            OpenCancel* cancel);

}  // namespace ninet::ns
