// Small text helpers shared by parsers (config units, CSV, time formats).
#pragma once

#include <string_view>

namespace edgeflow {

// `s` without leading and trailing spaces and tabs.
std::string_view TrimSpaces(std::string_view s);
// ASCII case-insensitive equality.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace edgeflow
