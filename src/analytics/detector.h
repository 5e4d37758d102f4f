// Streaming anomaly detectors: the contract every detection method meets.
//
// A Detector watches ONE series (one device's one field). It sees each
// observation once, in arrival order, and must decide from that observation
// and its own past only (no look-ahead). Its state is bounded: StateBytes()
// must not grow with the length of the series.
//
// A DetectorFactory holds one configured method (its parameters) and makes a
// fresh Detector per series; the `detect` stage keeps one per key, the NAB
// evaluation one per data file. Factories are immutable and may be shared.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>

namespace edgeflow::analytics {

// What a detector says about one observation.
struct Verdict {
  // Anomaly likelihood in [0, 1]; 0 during warm-up.
  double score = 0.0;
  // True while the detector is still learning (no decisions yet).
  bool warming_up = true;
  // The value the detector expected here and how far the observation is
  // from it (value - expected); NaN when the method has no such notion.
  double expected = std::numeric_limits<double>::quiet_NaN();
  double deviation = std::numeric_limits<double>::quiet_NaN();
};

// Facts about a series known before it starts.
struct SeriesInfo {
  // Expected value range, when known (NAB passes each file's min and max;
  // a pipeline may declare them). NaN when unknown.
  double min = std::numeric_limits<double>::quiet_NaN();
  double max = std::numeric_limits<double>::quiet_NaN();
  // Seed for any randomness; the same seed and input give the same output.
  uint64_t seed = 0;
  // Values the series may spend warming up before it is judged, when the
  // evaluation declares it (NAB passes its detectors the probationary
  // period: 15% of the file's rows, at most 750); 0 when unknown.
  int64_t warmup_values = 0;
};

class Detector {
 public:
  virtual ~Detector() = default;
  // One observation; `time_us` is event time in µs since the epoch (may be
  // irregular; never decreasing is NOT guaranteed by real data).
  virtual Verdict Update(int64_t time_us, double value) = 0;
  // Bytes of state held for this series (bounded by the method's params).
  virtual size_t StateBytes() const = 0;
};

class DetectorFactory {
 public:
  virtual ~DetectorFactory() = default;
  virtual std::unique_ptr<Detector> Make(const SeriesInfo& info) const = 0;
};

}  // namespace edgeflow::analytics
