// Post-processing any detection method's scores: parameters every method
// accepts (`likelihood`, `refractory`), applied by BuildDetectorFactory
// around the method's own detector, so ensembles and their members get
// them too.
//
// likelihood (HTM's "anomaly likelihood", Ahmad et al. 2017, our own code):
// the raw score is averaged over the last `likelihood_average` values and
// compared with the distribution (mean, variance) of those averages over
// the last `likelihood` values. The output is how improbable the current
// average is under a normal fit of its own recent history, on a log scale:
// -log10(tail probability) / 10, in [0, 1] (0.5 = a one in 100,000 event).
// So one fixed threshold means the same rarity on a calm series and a noisy
// one, which is what a corpus-wide threshold (NAB's) needs.
//
// refractory: after a score is passed on, later scores within `refractory`
// values are zeroed unless they beat it. NAB (and an operator) gain nothing
// from repeats of an alarm, and lose on every repeat after the event.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "analytics/detector.h"
#include "analytics/method_params.h"

namespace edgeflow::analytics {

struct PostProcessParams {
  int likelihood = 0;          // history length in values; 0 = off
  int likelihood_average = 10;  // values averaged before judging
  int refractory = 0;          // values; 0 = off
  bool enabled() const { return likelihood > 0 || refractory > 0; }
};

// Running normal fit of the short average of raw scores over a long ring.
class AnomalyLikelihood {
 public:
  AnomalyLikelihood(int history, int average);
  // The likelihood score for raw score `raw`; 0 until enough history.
  double Update(double raw);
  size_t StateBytes() const;

 private:
  int history_;
  int average_;
  std::vector<double> recent_;  // ring of the last `average` raw scores
  double recent_sum_ = 0.0;
  int64_t raw_seen_ = 0;
  std::vector<double> averages_;  // ring of the last `history` averages
  double sum_ = 0.0;
  double sum_squares_ = 0.0;
  int64_t averages_seen_ = 0;
};

class PostProcessedDetector : public Detector {
 public:
  PostProcessedDetector(std::unique_ptr<Detector> inner, const PostProcessParams& params);
  Verdict Update(int64_t time_us, double value) override;
  size_t StateBytes() const override;

 private:
  std::unique_ptr<Detector> inner_;
  PostProcessParams params_;
  std::unique_ptr<AnomalyLikelihood> likelihood_;
  int64_t since_emitted_ = 0;
  double emitted_ = 0.0;  // last score passed on (refractory ceiling)
};

class PostProcessedFactory : public DetectorFactory {
 public:
  PostProcessedFactory(std::shared_ptr<const DetectorFactory> inner, PostProcessParams params)
      : inner_(std::move(inner)), params_(params) {}
  std::unique_ptr<Detector> Make(const SeriesInfo& info) const override;

 private:
  std::shared_ptr<const DetectorFactory> inner_;
  PostProcessParams params_;
};

// The parameters every method accepts (listed once in docs and --help).
std::vector<MethodParam> PostProcessMethodParams();
// Reads them from `params` over the method's `defaults` (errors recorded
// there); returns `inner` itself when all are off.
std::shared_ptr<const DetectorFactory> WrapPostProcess(std::shared_ptr<const DetectorFactory> inner,
                                                       const PostProcessParams& defaults, MethodParams& params);

}  // namespace edgeflow::analytics
