// resample: downsamples each device to one event per fixed period.
//
// Periods are aligned to the epoch ([k * period, (k + 1) * period)). Each
// device's events in a period are aggregated per field (mean by default, or
// any window aggregate, per field if wished) and emitted as one event with
// time = period start, the aggregates under the input field names, and
// `count` (events in the period). A period closes when the watermark passes
// its end (or at Flush); events of a closed period are late: dropped and
// counted. With `fill: previous`, empty periods between two periods with data
// repeat the last values (count 0), at most `max_fill` in a row. State is
// bounded by `max_keys` devices and `max_periods_per_key` open periods.
#pragma once

#include "pipeline/registry.h"

namespace edgeflow {

ComponentDef ResampleStageDef();

}  // namespace edgeflow
