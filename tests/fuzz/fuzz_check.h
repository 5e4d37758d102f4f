// Shared by the fuzz targets: a broken invariant is reported with the
// target's name and aborts, so that libFuzzer saves the input as a crash.
#pragma once

#include <errno.h>  // program_invocation_short_name (GNU)

#include <cstdio>
#include <cstdlib>

namespace edgeflow::fuzz {

[[noreturn]] inline void Fail(const char* what) {
  std::fprintf(stderr, "%s: invariant broken: %s\n", program_invocation_short_name, what);
  std::abort();
}

}  // namespace edgeflow::fuzz
