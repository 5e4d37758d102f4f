// detect: streaming anomaly detection per series (key x field).
//
// Each numeric field an event carries is fed to the series' detector (one
// per key_by value and field, made by the configured method, see
// src/analytics/detector_methods.h) and the event gets `<prefix>_score`
// (anomaly score in [0, 1]) and `<prefix>` (true when score >= threshold
// and the series is past warm-up); with explain, also `<prefix>_expected`
// and `<prefix>_deviation`. State is bounded: at most `max_series` keys,
// the least recently seen evicted (and counted) when a new one arrives.
#pragma once

#include "pipeline/registry.h"

namespace edgeflow {

ComponentDef DetectStageDef();

}  // namespace edgeflow
