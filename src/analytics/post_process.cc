#include "analytics/post_process.h"

#include <algorithm>
#include <cmath>

namespace edgeflow::analytics {
namespace {

// Floors on the fitted distribution (as HTM's likelihood has): a detector
// that has said ~0 all along must not make its first small score a
// one-in-a-billion event.
constexpr double kMinMean = 0.03;
constexpr double kMinVariance = 0.0003;
// Values of history needed before judging.
constexpr int64_t kMinHistory = 100;

}  // namespace

AnomalyLikelihood::AnomalyLikelihood(int history, int average)
    : history_(history), average_(average), recent_(average, 0.0), averages_(history, 0.0) {}

double AnomalyLikelihood::Update(double raw) {
  // Short average of the raw score.
  double& slot = recent_[raw_seen_ % average_];
  recent_sum_ += raw - slot;
  slot = raw;
  ++raw_seen_;
  const double average = recent_sum_ / static_cast<double>(std::min<int64_t>(raw_seen_, average_));

  // Judge it against the history so far (before adding it).
  double score = 0.0;
  const int64_t n = std::min<int64_t>(averages_seen_, history_);
  if (n >= kMinHistory) {
    const double mean = std::max(sum_ / static_cast<double>(n), kMinMean);
    const double variance =
        std::max(sum_squares_ / static_cast<double>(n) - (sum_ / n) * (sum_ / n), kMinVariance);
    if (average > mean) {
      // Upper tail only: a lower-than-usual score is no anomaly.
      const double tail = 0.5 * std::erfc((average - mean) / std::sqrt(2.0 * variance));
      score = std::clamp(std::log10(tail + 1e-10) / -10.0, 0.0, 1.0);
    }
  }
  double& old = averages_[averages_seen_ % history_];
  if (averages_seen_ >= history_) {
    sum_ -= old;
    sum_squares_ -= old * old;
  }
  old = average;
  sum_ += average;
  sum_squares_ += average * average;
  ++averages_seen_;
  // Running sums drift with rounding; rebuild them once per ring turn.
  if (averages_seen_ % history_ == 0) {
    sum_ = sum_squares_ = 0.0;
    for (double a : averages_) {
      sum_ += a;
      sum_squares_ += a * a;
    }
  }
  return score;
}

size_t AnomalyLikelihood::StateBytes() const {
  return sizeof(*this) + (recent_.capacity() + averages_.capacity()) * sizeof(double);
}

PostProcessedDetector::PostProcessedDetector(std::unique_ptr<Detector> inner, const PostProcessParams& params)
    : inner_(std::move(inner)), params_(params) {
  if (params_.likelihood > 0) {
    likelihood_ = std::make_unique<AnomalyLikelihood>(params_.likelihood, params_.likelihood_average);
  }
}

Verdict PostProcessedDetector::Update(int64_t time_us, double value) {
  Verdict v = inner_->Update(time_us, value);
  if (v.warming_up) return v;
  double score = std::isfinite(v.score) ? v.score : 0.0;
  if (likelihood_ != nullptr) score = likelihood_->Update(score);
  if (params_.refractory > 0) {
    ++since_emitted_;
    if (since_emitted_ > params_.refractory) emitted_ = 0.0;
    if (score > emitted_) {
      emitted_ = score;
      since_emitted_ = 0;
    } else {
      score = 0.0;
    }
  }
  v.score = score;
  return v;
}

size_t PostProcessedDetector::StateBytes() const {
  return sizeof(*this) + inner_->StateBytes() + (likelihood_ ? likelihood_->StateBytes() : 0);
}

std::unique_ptr<Detector> PostProcessedFactory::Make(const SeriesInfo& info) const {
  return std::make_unique<PostProcessedDetector>(inner_->Make(info), params_);
}

std::vector<MethodParam> PostProcessMethodParams() {
  return {
      {"likelihood", "int", "0",
       "Any method: score = rarity of the recent mean score against this many past values (0 = off; 100..1000000)"},
      {"likelihood_average", "int", "10", "Any method: values averaged before judging the likelihood (1..10000)"},
      {"refractory", "int", "0",
       "Any method: after a score is passed on, zero the next this many unless higher (0 = off; ..1000000)"},
  };
}

std::shared_ptr<const DetectorFactory> WrapPostProcess(std::shared_ptr<const DetectorFactory> inner,
                                                       const PostProcessParams& defaults, MethodParams& p) {
  PostProcessParams c = defaults;
  if (p.Has("likelihood")) {
    c.likelihood = static_cast<int>(p.Int("likelihood", c.likelihood, 0, 1000000));
    if (c.likelihood > 0 && c.likelihood < 100) p.Error("likelihood", "must be 0 (off) or at least 100");
  }
  c.likelihood_average = static_cast<int>(p.Int("likelihood_average", c.likelihood_average, 1, 10000));
  c.refractory = static_cast<int>(p.Int("refractory", c.refractory, 0, 1000000));
  if (inner == nullptr || !c.enabled()) return inner;
  return std::make_shared<PostProcessedFactory>(std::move(inner), c);
}

}  // namespace edgeflow::analytics
