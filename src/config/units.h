// Parsing of the human units used in pipeline files: durations ("250ms",
// "10s", "5m", "1h", "1d", "1h30m") and sizes ("512KB", "64MB", "1GiB").
// Sizes are binary: 1KB = 1KiB = 1024 bytes. Pure functions; they return a
// message that says what was expected on failure.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"

namespace edgeflow {

Result<TimeMicros> ParseDuration(std::string_view text);
Result<uint64_t> ParseSize(std::string_view text);
// "1.5s", "250ms": shortest text that ParseDuration reads back.
std::string FormatDuration(TimeMicros d);

}  // namespace edgeflow
