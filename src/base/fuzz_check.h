// fuzz_check.h — the invariant check of ninet's libFuzzer targets.
//
//   FUZZ_CHECK(h->total_len <= in.size());   // prints file:line and the text, then aborts
//
// Unlike assert() it is never compiled out, and abort() is what libFuzzer
// reports as a crash (with the input saved as an artifact).
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                                \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)
