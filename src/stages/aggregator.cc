#include "stages/aggregator.h"

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

void AggState::Reset(bool with_sketch) {
  count_ = 0;
  sum_ = mean_ = m2_ = min_ = max_ = first_ = last_ = 0;
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

void AggState::Add(double v, TimeMicros t) {
  if (count_ == 0) {
    min_ = max_ = first_ = last_ = v;
    first_time_ = last_time_ = t;
  } else {
    if (v < min_) min_ = v;
    if (v > max_) max_ = v;
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
  const double delta = v - mean_;
  mean_ += delta / static_cast<double>(count_);
  m2_ += delta * (v - mean_);
  if (sketch_) sketch_->Add(v);
}

void AggState::Merge(const AggState& o) {
  if (o.count_ == 0) return;
  if (count_ == 0) {
    const bool had_sketch = sketch_ != nullptr;
    count_ = o.count_;
    sum_ = o.sum_;
    mean_ = o.mean_;
    m2_ = o.m2_;
    min_ = o.min_;
    max_ = o.max_;
    first_ = o.first_;
    last_ = o.last_;
    first_time_ = o.first_time_;
    last_time_ = o.last_time_;
    if (had_sketch && o.sketch_) sketch_->Merge(*o.sketch_);
    return;
  }
  const double n_a = static_cast<double>(count_);
  const double n_b = static_cast<double>(o.count_);
  const double delta = o.mean_ - mean_;
  const double n = n_a + n_b;
  mean_ += delta * n_b / n;
  m2_ += o.m2_ + delta * delta * n_a * n_b / n;
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
}

std::optional<double> AggState::Get(AggKind kind) const {
  if (kind == AggKind::kCount) return static_cast<double>(count_);
  if (count_ == 0) return std::nullopt;
  switch (kind) {
    case AggKind::kCount: return static_cast<double>(count_);
    case AggKind::kSum: return sum_;
    case AggKind::kMean: return mean_;
    case AggKind::kMin: return min_;
    case AggKind::kMax: return max_;
    case AggKind::kStddev:
      return count_ < 2 ? 0.0 : std::sqrt(std::max(0.0, m2_ / static_cast<double>(count_ - 1)));
    case AggKind::kFirst: return first_;
    case AggKind::kLast: return last_;
    case AggKind::kP50: return sketch_ ? std::optional(sketch_->Quantile(0.5)) : std::nullopt;
    case AggKind::kP95: return sketch_ ? std::optional(sketch_->Quantile(0.95)) : std::nullopt;
    case AggKind::kP99: return sketch_ ? std::optional(sketch_->Quantile(0.99)) : std::nullopt;
  }
  return std::nullopt;
}

}  // namespace edgeflow
