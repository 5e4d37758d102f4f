#include "stages/aggregator.h"

#include <algorithm>
#include <cmath>

namespace edgeflow {

std::optional<AggKind> ParseAggKind(std::string_view name) {
  if (name == "count") return AggKind::kCount;
  if (name == "sum") return AggKind::kSum;
  if (name == "mean" || name == "avg") return AggKind::kMean;
  if (name == "min") return AggKind::kMin;
  if (name == "max") return AggKind::kMax;
  if (name == "stddev") return AggKind::kStddev;
  if (name == "first") return AggKind::kFirst;
  if (name == "last") return AggKind::kLast;
  if (name == "p50" || name == "median") return AggKind::kP50;
  if (name == "p95") return AggKind::kP95;
  if (name == "p99") return AggKind::kP99;
  return std::nullopt;
}

std::string_view AggKindName(AggKind kind) {
  switch (kind) {
    case AggKind::kCount: return "count";
    case AggKind::kSum: return "sum";
    case AggKind::kMean: return "mean";
    case AggKind::kMin: return "min";
    case AggKind::kMax: return "max";
    case AggKind::kStddev: return "stddev";
    case AggKind::kFirst: return "first";
    case AggKind::kLast: return "last";
    case AggKind::kP50: return "p50";
    case AggKind::kP95: return "p95";
    case AggKind::kP99: return "p99";
  }
  return "?";
}

std::vector<std::string> AggKindNames() {
  return {"count", "sum", "mean", "avg", "min", "max", "stddev", "first", "last", "p50", "median", "p95", "p99"};
}

bool AggNeedsSketch(AggKind kind) {
  return kind == AggKind::kP50 || kind == AggKind::kP95 || kind == AggKind::kP99;
}

void AggState::Reset(bool with_sketch, size_t max_samples) {
  count_ = 0;
  max_samples_ = max_samples;
  samples_.clear();
  samples_sorted_ = true;
  sum_ = shift_ = shifted_sum_ = shifted_sq_ = min_ = max_ = first_ = last_ = 0;
  first_time_ = last_time_ = 0;
  if (with_sketch) {
    if (sketch_) {
      sketch_->Clear();
    } else {
      sketch_ = std::make_unique<QuantileSketch>();
    }
  } else {
    sketch_.reset();
  }
}

bool AggState::Add(double v, TimeMicros t) {
  bool kept = true;
  if (max_samples_ > 0) {
    if (samples_.size() < max_samples_) {
      if (!samples_.empty() && t < samples_.back().time) samples_sorted_ = false;
      samples_.push_back({t, v});
    } else {
      kept = false;
    }
  }
  if (count_ == 0) {
    min_ = max_ = first_ = last_ = shift_ = v;
    first_time_ = last_time_ = t;
  } else {
    min_ = v < min_ ? v : min_;
    max_ = v > max_ ? v : max_;
    if (t < first_time_) {
      first_time_ = t;
      first_ = v;
    }
    if (t >= last_time_) {
      last_time_ = t;
      last_ = v;
    }
  }
  ++count_;
  sum_ += v;
  const double d = v - shift_;
  shifted_sum_ += d;
  shifted_sq_ += d * d;
  if (sketch_) sketch_->Add(v);
  return kept;
}

void AggState::SamplesInTimeOrder(std::vector<double>& out) const {
  out.clear();
  if (!samples_sorted_) {
    std::stable_sort(samples_.begin(), samples_.end(),
                     [](const Sample& a, const Sample& b) { return a.time < b.time; });
    samples_sorted_ = true;
  }
  out.reserve(samples_.size());
  for (const Sample& s : samples_) out.push_back(s.value);
}

size_t AggState::Merge(const AggState& o) {
  if (o.count_ == 0) return 0;
  size_t over_cap = 0;
  if (max_samples_ > 0) {
    for (const Sample& s : o.samples_) {
      if (samples_.size() >= max_samples_) {
        ++over_cap;
        continue;
      }
      if (!samples_.empty() && s.time < samples_.back().time) samples_sorted_ = false;
      samples_.push_back(s);
    }
  }
  if (count_ == 0) {
    const bool had_sketch = sketch_ != nullptr;
    std::unique_ptr<QuantileSketch> sketch = std::move(sketch_);
    count_ = o.count_;
    sum_ = o.sum_;
    shift_ = o.shift_;
    shifted_sum_ = o.shifted_sum_;
    shifted_sq_ = o.shifted_sq_;
    min_ = o.min_;
    max_ = o.max_;
    first_ = o.first_;
    last_ = o.last_;
    first_time_ = o.first_time_;
    last_time_ = o.last_time_;
    sketch_ = std::move(sketch);
    if (had_sketch && o.sketch_) sketch_->Merge(*o.sketch_);
    return over_cap;
  }
  // Re-express the other's shifted sums around this state's shift K:
  // sum(x - K) = S' + n'(K' - K); sum((x - K)^2) = Q' + 2(K' - K)S' + n'(K' - K)^2.
  const double n_b = static_cast<double>(o.count_);
  const double delta = o.shift_ - shift_;
  shifted_sq_ += o.shifted_sq_ + 2 * delta * o.shifted_sum_ + n_b * delta * delta;
  shifted_sum_ += o.shifted_sum_ + n_b * delta;
  count_ += o.count_;
  sum_ += o.sum_;
  if (o.min_ < min_) min_ = o.min_;
  if (o.max_ > max_) max_ = o.max_;
  if (o.first_time_ < first_time_) {
    first_time_ = o.first_time_;
    first_ = o.first_;
  }
  if (o.last_time_ >= last_time_) {
    last_time_ = o.last_time_;
    last_ = o.last_;
  }
  if (sketch_ && o.sketch_) sketch_->Merge(*o.sketch_);
  return over_cap;
}

std::optional<double> AggState::Get(AggKind kind) const {
  if (kind == AggKind::kCount) return static_cast<double>(count_);
  if (count_ == 0) return std::nullopt;
  switch (kind) {
    case AggKind::kCount: return static_cast<double>(count_);
    case AggKind::kSum: return sum_;
    case AggKind::kMean: return shift_ + shifted_sum_ / static_cast<double>(count_);
    case AggKind::kMin: return min_;
    case AggKind::kMax: return max_;
    case AggKind::kStddev: {
      if (count_ < 2) return 0.0;
      const double n = static_cast<double>(count_);
      const double variance = (shifted_sq_ - shifted_sum_ * shifted_sum_ / n) / (n - 1);
      return std::sqrt(std::max(0.0, variance));
    }
    case AggKind::kFirst: return first_;
    case AggKind::kLast: return last_;
    case AggKind::kP50: return sketch_ ? std::optional(sketch_->Quantile(0.5)) : std::nullopt;
    case AggKind::kP95: return sketch_ ? std::optional(sketch_->Quantile(0.95)) : std::nullopt;
    case AggKind::kP99: return sketch_ ? std::optional(sketch_->Quantile(0.99)) : std::nullopt;
  }
  return std::nullopt;
}

}  // namespace edgeflow
