// Writing JSON string literals: the one escaping routine shared by logs and
// event encoders.
#pragma once

#include <string>
#include <string_view>

namespace edgeflow {

// Appends `s` as a JSON string literal (with quotes) to `out`.
void AppendJsonString(std::string_view s, std::string& out);
// Appends `v` in the shortest form that reads back to the same double;
// NaN and infinities (which JSON cannot hold) become null.
void AppendJsonNumber(double v, std::string& out);

}  // namespace edgeflow
