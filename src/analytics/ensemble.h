// ensemble: several methods on the same series, their scores combined.
//
// combine: mean (the default), max (the most alarmed member), or vote (the fraction of
// members whose score is >= vote_threshold). A member warming up does not
// take part; the ensemble is warming up while all members are. expected and
// deviation come from the first member that gives them. State and cost:
// the sum of the members'.
#pragma once

#include <memory>
#include <vector>

#include "analytics/detector.h"
#include "analytics/method_params.h"

namespace edgeflow::analytics {

enum class Combine { kMax, kMean, kVote };

class EnsembleDetector final : public Detector {
 public:
  EnsembleDetector(std::vector<std::unique_ptr<Detector>> members, Combine combine, double vote_threshold)
      : members_(std::move(members)), combine_(combine), vote_threshold_(vote_threshold) {}
  Verdict Update(int64_t time_us, double value) override;
  size_t StateBytes() const override;

 private:
  std::vector<std::unique_ptr<Detector>> members_;
  Combine combine_;
  double vote_threshold_;
};

class EnsembleFactory final : public DetectorFactory {
 public:
  EnsembleFactory(std::vector<std::shared_ptr<const DetectorFactory>> members, Combine combine, double vote_threshold)
      : members_(std::move(members)), combine_(combine), vote_threshold_(vote_threshold) {}
  std::unique_ptr<Detector> Make(const SeriesInfo& info) const override;

 private:
  std::vector<std::shared_ptr<const DetectorFactory>> members_;
  Combine combine_;
  double vote_threshold_;
};

// Parameters: methods (comma list), combine, vote_threshold, and each
// member's own parameters as "<member>.<param>" (e.g. robust_z.window=50).
std::vector<MethodParam> EnsembleParams();
std::shared_ptr<const DetectorFactory> MakeEnsemble(MethodParams& params);

}  // namespace edgeflow::analytics
