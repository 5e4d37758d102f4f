// CHECK: aborts loudly when an invariant is broken (a bug, never bad input).
// Usage: CHECK(index < size) << "index " << index;
#pragma once

#include <sstream>

namespace edgeflow::internal {

class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* condition);
  [[noreturn]] ~CheckFailure();
  template <typename T>
  CheckFailure& operator<<(const T& value) {
    stream_ << value;
    return *this;
  }

 private:
  std::ostringstream stream_;
};

}  // namespace edgeflow::internal

#define CHECK(condition)                 \
  if (__builtin_expect(!!(condition), 1)) \
    ;                                     \
  else                                    \
    ::edgeflow::internal::CheckFailure(__FILE__, __LINE__, #condition)
