// Names the calling thread (what `top -H`, `ps -L` and gdb show), so that an
// operator can tell which connector's thread uses the CPU. Linux keeps at
// most 15 characters; longer names are cut.
#pragma once

#include <pthread.h>

#include <string>
#include <string_view>

namespace edgeflow {

inline void NameThisThread(std::string_view name) {
  const std::string cut(name.substr(0, 15));
  pthread_setname_np(pthread_self(), cut.c_str());
}

}  // namespace edgeflow
