// Turning a deviation into an anomaly score in [0, 1].
#pragma once

#include <cmath>

namespace edgeflow::analytics {

// z^2 / (z^2 + z_half^2): 0 for no deviation, 0.5 at z = z_half, -> 1 as
// z grows. Monotone in |z|, so a threshold on the score is a threshold on z;
// smooth, so NAB's threshold sweep sees many distinct levels.
inline double SquashDeviation(double z, double z_half) {
  const double z2 = z * z;
  if (!std::isfinite(z2)) return 1.0;
  return z2 / (z2 + z_half * z_half);
}

// A floor for a spread estimate so a flat series (spread 0) does not turn
// every tiny change into an infinite deviation: `fraction` of the series
// range when known (NAB gives min/max), else of the value's magnitude.
inline double SpreadFloor(double range, double level, double fraction) {
  if (std::isfinite(range) && range > 0) return fraction * range;
  return fraction * std::max(std::fabs(level), 1.0);
}

}  // namespace edgeflow::analytics
