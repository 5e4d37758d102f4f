// features: signal features of a waveform carried by one event.
//
// For events whose `field` holds a whole block of samples as text (numbers
// separated by commas, semicolons or spaces, optionally in [brackets], as a
// JSON array sent as a string or a CSV cell), the stage computes the listed
// features (rms, peak, peak_to_peak, crest, skewness, kurtosis, zcr,
// band_energy) and adds them as `<prefix>_<feature>` (band energies:
// `<prefix>_band_<name>`). At most `max_samples` samples are used; a longer
// waveform is truncated and counted (features_samples_over_cap). An event
// without the field passes on unchanged (counted); a malformed waveform
// passes on without features and is counted as errors{reason="bad_waveform"}.
#pragma once

#include "pipeline/registry.h"

namespace edgeflow {

ComponentDef FeaturesStageDef();

}  // namespace edgeflow
