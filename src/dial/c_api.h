// c_api.h — for code that adds entry points to ninet_dial.h elsewhere
// (dialfs's ninet_setnet): fail the way the others do.
#pragma once

#include "base/error.h"

namespace ninet::dial {

// Keeps e's text for ninet_errstr(), sets errno from it; returns -1.
int c_fail(const Error& e);

}  // namespace ninet::dial
