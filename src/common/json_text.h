// Writing JSON string literals: the one escaping routine shared by logs and
// event encoders.
#pragma once

#include <string>
#include <string_view>

namespace edgeflow {

// Appends `s` as a JSON string literal (with quotes) to `out`.
void AppendJsonString(std::string_view s, std::string& out);

}  // namespace edgeflow
