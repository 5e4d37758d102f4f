// smooth: per-device smoothing of numeric fields.
//
// Methods: moving_average and moving_median over the last `window` samples
// of a device's field, and ewma (exponentially weighted moving average) with
// a fixed `alpha` per sample or, with `half_life`, a weight from the event
// time since the previous sample. Each event gets the smoothed value of each
// field it carries as `<field>_smooth` (output: suffix, the default) or in
// place of the raw value (output: replace). Missing, non-numeric, NaN and
// infinite values are not fed and get no smoothed value. State is allocated
// once per device (ring buffers of `window` samples per field), so the hot
// path does not allocate; devices beyond `max_keys` are dropped and counted.
#pragma once

#include "pipeline/registry.h"

namespace edgeflow {

ComponentDef SmoothStageDef();

}  // namespace edgeflow
