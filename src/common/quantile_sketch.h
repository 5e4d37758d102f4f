// QuantileSketch: a bounded-memory streaming quantile estimator (DDSketch,
// Masson, Rim & Lee, VLDB 2019) for p50/p95/p99-style window aggregates.
//
// Values go into logarithmically spaced buckets: with gamma = (1+a)/(1-a)
// for relative accuracy a, a positive x goes to bucket k = ceil(log_gamma x),
// covering (gamma^(k-1), gamma^k], whose representative 2*gamma^k/(gamma+1)
// is within a*x of every value in it. Negative values use a mirror set of
// buckets on |x|; zeros (and |x| < 2.2250738585072014e-308, i.e. subnormals)
// are counted apart. Only counts are kept, so memory does not grow with the
// number of values, and two sketches merge by adding counts.
//
// Error guarantee. Let x_0 <= ... <= x_(n-1) be the n finite values added
// (directly or through Merge) and x = x_r with r = ceil(q * n) - 1 (at
// least 0), the nearest-rank q-quantile (the smallest value with at least a
// fraction q of the values at or below it: p95 of 2 values is the larger, p50
// of 4 values the 2nd). Quantile(q) returns y with
//     |y - x| <= a * |x|      (up to floating-point rounding, ~1e-15 * |x|)
// unless x lies in a collapsed region (below). q = 0 and q = 1 return the
// exact minimum and maximum. Results are also clamped to [min, max].
//
// Bounded memory and collapsing. Each sign has a dense array of at most
// max_bucket_count counters (8 bytes each), covering a value range of
// gamma^max_bucket_count (about 6e17 for the defaults a = 0.01, 2048), so
// MemoryBytes() <= sizeof(QuantileSketch) + 2 * 8 * max_bucket_count (about
// 32 KiB by default). When the values of one sign span more buckets, the
// buckets holding the LOWEST values of that sign are merged into the lowest
// kept one: for positive values those nearest zero, for negative values the
// most negative ones. The upper quantiles (p50..p99 of data whose bulk spans
// less than that range) keep the guarantee; a quantile whose x fell into a
// collapsed bucket is over-estimated: x <= y <= the lowest kept bucket's
// representative. collapsed() tells whether this ever happened.
//
// Cost: Add is O(1) (one log) and does not allocate once the arrays span the
// data's range (they grow geometrically, up to the bound). NaN and +/-Inf
// are ignored (the caller counts them). Not thread-safe: one sketch per
// window state machine; copy or Merge to combine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/status.h"

namespace edgeflow {

class QuantileSketch {
 public:
  static constexpr double kDefaultRelativeAccuracy = 0.01;
  static constexpr size_t kDefaultMaxBucketCount = 2048;

  // Ranges accepted by the constructor: relative accuracy in [1e-6, 0.5],
  // max_bucket_count in [8, 1 << 20]. Config parsing calls this so a bad
  // value is an InvalidConfig error, not a crash.
  static Status ValidateOptions(double relative_accuracy, size_t max_bucket_count);

  // CHECK-fails on options that ValidateOptions rejects. Allocates nothing
  // until the first Add.
  explicit QuantileSketch(double relative_accuracy = kDefaultRelativeAccuracy,
                          size_t max_bucket_count = kDefaultMaxBucketCount);

  // Adds one value; NaN and infinities are ignored.
  void Add(double value);

  // Adds `other`'s values to this sketch. Both must have the same relative
  // accuracy (CHECK-fails otherwise); this sketch's bucket bound applies.
  // Without collapsing, the result is identical to having added both
  // streams to one sketch.
  void Merge(const QuantileSketch& other);

  // The q-quantile (q clamped to [0, 1]) within the guarantee above; NaN
  // when empty or q is NaN.
  double Quantile(double q) const;

  // Number of values added (NaN/Inf excluded).
  uint64_t count() const { return count_; }
  // Exact extremes; +Inf / -Inf when empty.
  double min() const { return min_; }
  double max() const { return max_; }
  double relative_accuracy() const { return relative_accuracy_; }
  size_t max_bucket_count() const { return max_bucket_count_; }
  // True once low buckets were merged (see the header comment).
  bool collapsed() const { return positive_.collapsed() || negative_.collapsed(); }

  // Forgets all values, keeping the allocated buckets for reuse.
  void Clear();

  // Bytes used by this object and its bucket arrays.
  size_t MemoryBytes() const;

 private:
  // Counts per integer key in a contiguous window of keys, at most
  // `max_buckets` wide; keys below the window's reach are folded into its
  // lowest key.
  class DenseStore {
   public:
    explicit DenseStore(size_t max_buckets) : max_buckets_(max_buckets) {}

    void Add(int64_t key, uint64_t n);
    void Clear();
    void MergeFrom(const DenseStore& other);

    uint64_t total() const { return total_; }
    bool collapsed() const { return collapsed_; }
    int64_t min_key() const { return min_key_; }
    int64_t max_key() const { return max_key_; }
    uint64_t CountAt(int64_t key) const { return counts_[static_cast<size_t>(key - offset_)]; }
    size_t capacity_bytes() const { return counts_.capacity() * sizeof(uint64_t); }

   private:
    // Makes [new_min, new_max] the occupied key range (new_max >= max_key_),
    // collapsing below new_max - max_buckets_ + 1. Returns the lowest key kept.
    int64_t Extend(int64_t new_min, int64_t new_max);

    size_t max_buckets_;
    std::vector<uint64_t> counts_;  // counts_[i] is the count of key offset_ + i
    int64_t offset_ = 0;
    int64_t min_key_ = 0;  // occupied range, valid when total_ > 0
    int64_t max_key_ = 0;
    uint64_t total_ = 0;
    bool collapsed_ = false;
  };

  int64_t KeyOf(double magnitude) const;
  double ValueOf(int64_t key) const;

  double relative_accuracy_;
  size_t max_bucket_count_;
  double log_gamma_;
  double inverse_log_gamma_;
  double representative_factor_;  // 2 / (gamma + 1)
  // Positive values by KeyOf(x); negative values by -KeyOf(-x), so that in
  // both stores ascending keys mean ascending values and "collapse the
  // lowest keys" means "collapse the lowest values".
  DenseStore positive_;
  DenseStore negative_;
  uint64_t zero_count_ = 0;
  uint64_t count_ = 0;
  double min_;
  double max_;
};

}  // namespace edgeflow
