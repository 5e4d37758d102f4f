// Aggregates over a set of numeric values: the functions a window (and
// resample) computes per field.
//
// AggState accumulates one field's values in O(1) memory (plus a bounded
// quantile sketch when a percentile is requested), can merge with another
// state (session windows merge), and yields each requested aggregate.
// Standard deviation is the sample standard deviation (n - 1 denominator,
// as in pandas and SQL STDDEV), 0 for a single value. It is computed from
// sums of (x - K) and (x - K)^2 with K = the first value added (the shifted
// data algorithm): no division per value, and accurate when values sit far
// from zero (e.g. 1e9 + small noise) because K removes the offset.
//
// Signal features (rms, kurtosis, zero-crossing rate, band energies...) need
// the samples themselves in time order: Reset(.., max_samples > 0) makes the
// state also buffer up to max_samples (time, value) pairs; values beyond the
// cap still count in the other aggregates but not in the signal features,
// and Add/Merge report them so the caller can count them.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/quantile_sketch.h"
#include "model/symbol.h"

namespace edgeflow {

enum class AggKind { kCount, kSum, kMean, kMin, kMax, kStddev, kFirst, kLast, kP50, kP95, kP99 };

// Names accepted in configs: count sum mean avg min max stddev first last p50 p95 p99 median.
std::optional<AggKind> ParseAggKind(std::string_view name);
std::string_view AggKindName(AggKind kind);
std::vector<std::string> AggKindNames();
bool AggNeedsSketch(AggKind kind);

// One requested output: input field, function, output field name.
struct AggSpec {
  Symbol input;
  AggKind kind;
  Symbol output;  // "<input>_<kind>"
};

class AggState {
 public:
  // Returns false when the value did not fit in the sample buffer.
  bool Add(double value, TimeMicros time);
  // Returns how many of the other's samples did not fit in the buffer.
  size_t Merge(const AggState& other);
  void Reset(bool with_sketch, size_t max_samples = 0);
  // The aggregate's value, or nullopt when no value was added (count gives 0).
  std::optional<double> Get(AggKind kind) const;
  uint64_t count() const { return count_; }
  // The buffered samples in time order (stable for equal times); empty when
  // no buffer was requested.
  void SamplesInTimeOrder(std::vector<double>& out) const;

 private:
  uint64_t count_ = 0;
  double sum_ = 0;
  double shift_ = 0;       // K
  double shifted_sum_ = 0;  // sum of (x - K)
  double shifted_sq_ = 0;   // sum of (x - K)^2
  double min_ = 0;
  double max_ = 0;
  double first_ = 0;
  double last_ = 0;
  TimeMicros first_time_ = 0;
  TimeMicros last_time_ = 0;
  std::unique_ptr<QuantileSketch> sketch_;
  struct Sample {
    TimeMicros time;
    double value;
  };
  size_t max_samples_ = 0;
  mutable bool samples_sorted_ = true;
  mutable std::vector<Sample> samples_;  // sorted lazily by SamplesInTimeOrder
};

}  // namespace edgeflow
