#pragma once
// HL_CHECK: an invariant that must hold in every build; breaking it aborts.
// HL_ASSERT: an invariant checked in debug builds only.

#include <cstdio>
#include <cstdlib>

#define HL_CHECK(cond)                                                                          \
  do {                                                                                          \
    if (!(cond)) {                                                                              \
      std::fprintf(stderr, "hardline: check failed: %s at %s:%d\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                             \
    }                                                                                           \
  } while (0)

#ifdef NDEBUG
#define HL_ASSERT(cond) \
  do {                  \
  } while (0)
#else
#define HL_ASSERT(cond) HL_CHECK(cond)
#endif
