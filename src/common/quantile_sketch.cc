#include "common/quantile_sketch.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

namespace edgeflow {

namespace {

// First allocation of a store; it doubles from there up to the bound.
constexpr size_t kInitialBuckets = 64;
constexpr double kMinRelativeAccuracy = 1e-6;
constexpr double kMaxRelativeAccuracy = 0.5;
constexpr size_t kMinBucketCount = 8;
constexpr size_t kMaxBucketCount = size_t{1} << 20;
// Magnitudes below this (subnormals) count as zero.
constexpr double kMinIndexable = std::numeric_limits<double>::min();

}  // namespace

void QuantileSketch::DenseStore::Add(int64_t key, uint64_t n) {
  if (n == 0) return;
  if (total_ == 0) {
    if (counts_.empty()) counts_.assign(std::min(kInitialBuckets, max_buckets_), 0);
    const int64_t size = static_cast<int64_t>(counts_.size());
    if (key < offset_ || key >= offset_ + size) offset_ = key - size / 2;
    min_key_ = max_key_ = key;
  } else if (key < min_key_ || key > max_key_) {
    const int64_t lowest = Extend(std::min(key, min_key_), std::max(key, max_key_));
    key = std::max(key, lowest);
  }
  counts_[static_cast<size_t>(key - offset_)] += n;
  total_ += n;
}

int64_t QuantileSketch::DenseStore::Extend(int64_t new_min, int64_t new_max) {
  const int64_t max_buckets = static_cast<int64_t>(max_buckets_);
  if (new_max - new_min + 1 > max_buckets) {
    new_min = new_max - max_buckets + 1;
    collapsed_ = true;
  }
  // Occupied keys below new_min fold into new_min (slots are zeroed so that
  // every slot outside [min_key_, max_key_] stays zero).
  uint64_t folded = 0;
  for (int64_t key = min_key_; key < new_min && key <= max_key_; ++key) {
    uint64_t& slot = counts_[static_cast<size_t>(key - offset_)];
    folded += slot;
    slot = 0;
  }
  const int64_t size = static_cast<int64_t>(counts_.size());
  if (new_min < offset_ || new_max >= offset_ + size) {
    const int64_t span = new_max - new_min + 1;
    // Keys whose counts move; none when everything was folded.
    const int64_t keep_lo = std::max(min_key_, new_min);
    const int64_t keep_hi = max_key_;
    const int64_t kept = std::max<int64_t>(0, keep_hi - keep_lo + 1);
    if (span <= size) {
      // Re-centre in place: no allocation.
      const int64_t new_offset = new_min - (size - span) / 2;
      if (kept > 0) {
        std::memmove(&counts_[static_cast<size_t>(keep_lo - new_offset)],
                     &counts_[static_cast<size_t>(keep_lo - offset_)],
                     static_cast<size_t>(kept) * sizeof(uint64_t));
        std::fill(counts_.begin(), counts_.begin() + (keep_lo - new_offset), 0);
        std::fill(counts_.begin() + (keep_hi - new_offset + 1), counts_.end(), 0);
      } else {
        std::fill(counts_.begin(), counts_.end(), 0);
      }
      offset_ = new_offset;
    } else {
      // Grow geometrically, up to the bound.
      const int64_t new_size = std::min(max_buckets, std::max(span, 2 * size));
      const int64_t new_offset = new_min - (new_size - span) / 2;
      std::vector<uint64_t> grown(static_cast<size_t>(new_size), 0);
      if (kept > 0) {
        std::copy_n(counts_.begin() + (keep_lo - offset_), kept,
                    grown.begin() + (keep_lo - new_offset));
      }
      counts_.swap(grown);
      offset_ = new_offset;
    }
  }
  counts_[static_cast<size_t>(new_min - offset_)] += folded;
  min_key_ = new_min;
  max_key_ = new_max;
  return new_min;
}

void QuantileSketch::DenseStore::Clear() {
  std::fill(counts_.begin(), counts_.end(), 0);
  total_ = 0;
  collapsed_ = false;
}

void QuantileSketch::DenseStore::MergeFrom(const DenseStore& other) {
  if (other.total_ == 0) return;
  collapsed_ = collapsed_ || other.collapsed_;
  // Highest first: the first Add sets the top, so later ones never move data
  // more than once.
  for (int64_t key = other.max_key_; key >= other.min_key_; --key) {
    Add(key, other.CountAt(key));
  }
}

Status QuantileSketch::ValidateOptions(double relative_accuracy, size_t max_bucket_count) {
  if (!(relative_accuracy >= kMinRelativeAccuracy && relative_accuracy <= kMaxRelativeAccuracy)) {
    return InvalidConfig("relative accuracy must be in [1e-06, 0.5], got " +
                         std::to_string(relative_accuracy));
  }
  if (max_bucket_count < kMinBucketCount || max_bucket_count > kMaxBucketCount) {
    return InvalidConfig("max bucket count must be in [8, 1048576], got " +
                         std::to_string(max_bucket_count));
  }
  return Status::Ok();
}

QuantileSketch::QuantileSketch(double relative_accuracy, size_t max_bucket_count)
    : relative_accuracy_(relative_accuracy),
      max_bucket_count_(max_bucket_count),
      positive_(max_bucket_count),
      negative_(max_bucket_count),
      min_(std::numeric_limits<double>::infinity()),
      max_(-std::numeric_limits<double>::infinity()) {
  const Status status = ValidateOptions(relative_accuracy, max_bucket_count);
  CHECK(status.ok()) << status.ToString();
  const double gamma = (1 + relative_accuracy) / (1 - relative_accuracy);
  log_gamma_ = std::log(gamma);
  inverse_log_gamma_ = 1 / log_gamma_;
  representative_factor_ = 2 / (gamma + 1);
}

int64_t QuantileSketch::KeyOf(double magnitude) const {
  return static_cast<int64_t>(std::ceil(std::log(magnitude) * inverse_log_gamma_));
}

double QuantileSketch::ValueOf(int64_t key) const {
  return std::exp(static_cast<double>(key) * log_gamma_) * representative_factor_;
}

void QuantileSketch::Add(double value) {
  if (!std::isfinite(value)) return;
  if (value >= kMinIndexable) {
    positive_.Add(KeyOf(value), 1);
  } else if (value <= -kMinIndexable) {
    negative_.Add(-KeyOf(-value), 1);
  } else {
    ++zero_count_;
  }
  ++count_;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

void QuantileSketch::Merge(const QuantileSketch& other) {
  CHECK(other.relative_accuracy_ == relative_accuracy_)
      << "merging sketches with relative accuracy " << relative_accuracy_ << " and "
      << other.relative_accuracy_;
  if (&other == this) {
    const QuantileSketch copy = other;
    Merge(copy);
    return;
  }
  positive_.MergeFrom(other.positive_);
  negative_.MergeFrom(other.negative_);
  zero_count_ += other.zero_count_;
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

double QuantileSketch::Quantile(double q) const {
  if (count_ == 0 || std::isnan(q)) return std::numeric_limits<double>::quiet_NaN();
  q = std::clamp(q, 0.0, 1.0);
  // 0-based rank of the nearest-rank quantile: ceil(q * n) - 1.
  const double exact = std::ceil(q * static_cast<double>(count_));
  const uint64_t rank = exact <= 1 ? 0 : static_cast<uint64_t>(exact) - 1;
  if (rank == 0) return min_;
  if (rank >= count_ - 1) return max_;

  uint64_t seen = 0;
  if (negative_.total() > 0) {
    for (int64_t key = negative_.min_key(); key <= negative_.max_key(); ++key) {
      seen += negative_.CountAt(key);
      if (seen > rank) return std::clamp(-ValueOf(-key), min_, max_);
    }
  }
  seen += zero_count_;
  if (seen > rank) return std::clamp(0.0, min_, max_);
  if (positive_.total() > 0) {
    for (int64_t key = positive_.min_key(); key <= positive_.max_key(); ++key) {
      seen += positive_.CountAt(key);
      if (seen > rank) return std::clamp(ValueOf(key), min_, max_);
    }
  }
  return max_;  // unreachable: the counts add up to count_
}

void QuantileSketch::Clear() {
  positive_.Clear();
  negative_.Clear();
  zero_count_ = 0;
  count_ = 0;
  min_ = std::numeric_limits<double>::infinity();
  max_ = -std::numeric_limits<double>::infinity();
}

size_t QuantileSketch::MemoryBytes() const {
  return sizeof(*this) + positive_.capacity_bytes() + negative_.capacity_bytes();
}

}  // namespace edgeflow
