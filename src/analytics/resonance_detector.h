// `resonance`: an adaptive-resonance novelty detector for one series.
//
// The series is normalised with its declared min/max, downsampled into short
// blocks (keeping a block's spike when it has one), and every block closes a
// feature window: the last `window` block values as levels plus the same
// window rescaled to its own min/max (its shape). A fuzzy ART memory learns
// these windows as hyper-box categories. A window that no category can
// absorb at the chosen vigilance is novel: that is the only time the
// detector scores above 0, so its output is sparse, which is what an
// operator (and NAB) wants from an alarm.
//
// The vigilance is chosen per series from its own warm-up: several ART
// memories learn the warm-up at candidate vigilances and the finest one whose
// memory stopped growing in the second half of the warm-up is kept. So a
// clean series is watched at fine resolution and a noisy one at coarse.
// A window is flagged when its novelty is a record for the recent past AND
// no category could absorb it (it founded a new one).
// After a detection, repeats are masked for `mask_blocks` blocks unless
// `remask_ratio` times stronger.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "analytics/detector.h"
#include "analytics/method_params.h"

namespace edgeflow::analytics {

struct ResonanceParams {
  int block = 6;              // raw points per downsampled block
  int window = 8;             // blocks per feature window
  int warmup_blocks = 50;     // blocks learned before any decision
  int max_categories = 200;   // ART memory bound per series
  double spike_fraction = 0.05;  // block keeps its extreme if this far from mean
  double alpha = 0.001;       // ART choice parameter
  int history_blocks = 128;   // a detection must beat the novelty of this many past blocks
  int mask_blocks = 24;       // no new detection this many blocks after one...
  double remask_ratio = 10.0;  // ...unless its score is this many times higher
  bool new_category_only = true;  // a detection must also found a new ART category
  int scales = 3;             // detectors at block, block+1, block-1, ...; a detection needs `votes` of them
  int votes = 6;              // ...firing within mask_blocks blocks of each other
  // When > 0 and the series declares its warm-up length (SeriesInfo::warmup_values),
  // the time scale follows it: block = warmup_values / (window * probation_windows)
  // and the whole warm-up is learned (warmup_blocks = warmup_values / block).
  int probation_windows = 0;
  // Detectors per scale whose blocks start at different offsets (1..block):
  // block boundaries are arbitrary, so which window looks novel should not
  // hinge on them. Votes count over all scales x phases detectors.
  int phases = 4;
  int phase = 0;  // this detector's offset: its first block is block - phase values long
};

// The parameters one series runs with: `params`, with block and
// warmup_blocks derived from the declared warm-up when probation_windows > 0.
ResonanceParams ResolveForSeries(const ResonanceParams& params, const SeriesInfo& info);

// One fuzzy ART memory over complement-coded inputs of a fixed dimension.
class FuzzyArt {
 public:
  FuzzyArt(int dim, int max_categories, double vigilance, double alpha);
  struct Result {
    double best_match = 0.0;  // highest match of any category (0 when empty)
    bool created = false;     // no category resonated: a new one was made
  };
  // Presents `input` (2*dim values, complement coded), learns it.
  Result Learn(const float* input);
  int categories() const { return categories_; }
  double vigilance() const { return vigilance_; }
  size_t StateBytes() const;

 private:
  int dim2_;
  int max_categories_;
  double vigilance_;
  double alpha_;
  int categories_ = 0;
  std::vector<float> weights_;     // max_categories * dim2
  std::vector<float> norms_;       // |w_j|
  std::vector<uint32_t> last_used_;
  uint32_t clock_ = 0;
};

class ResonanceDetector : public Detector {
 public:
  ResonanceDetector(const ResonanceParams& params, const SeriesInfo& info);
  Verdict Update(int64_t time_us, double value) override;
  size_t StateBytes() const override;

 private:
  double Normalise(double value);
  double CloseBlock();
  void BuildFeatures();
  double Decide(double novelty, bool created);

  ResonanceParams params_;
  int block_length_;  // values in the current block (the first one may be shorter: phase)
  double min_;
  double max_;
  bool range_known_;
  // Current block.
  int block_count_ = 0;
  double block_sum_ = 0.0;
  double block_min_ = 0.0;
  double block_max_ = 0.0;
  double level_average_ = 0.0;
  // Ring of the last `window` block values.
  std::vector<double> levels_;
  int blocks_seen_ = 0;
  std::vector<float> features_;  // complement coded, 4 * window
  // Warm-up: candidate memories; afterwards only the chosen one.
  std::vector<std::unique_ptr<FuzzyArt>> candidates_;
  std::vector<int> created_late_;  // categories made in the 2nd half of warm-up
  std::vector<std::vector<float>> late_novelty_;  // their novelties then
  std::unique_ptr<FuzzyArt> art_;
  int last_detection_block_ = -1000000;
  double last_detection_score_ = 0.0;
  double expected_ = 0.0;
  std::vector<float> novelty_history_;  // ring of the last history_blocks novelties
  int history_count_ = 0;
};

// Several ResonanceDetectors at neighbouring block sizes and block offsets
// (phases); a detection is passed on when `votes` of them have fired within
// the mask span. One detector alone is brittle (a block one value longer or
// shorter, or its boundaries shifted by one value, moves which windows are
// novel: 42.7 to 64.6 on the NAB subset); agreement across them is less so.
class MultiScaleResonance : public Detector {
 public:
  MultiScaleResonance(const ResonanceParams& params, const SeriesInfo& info);
  Verdict Update(int64_t time_us, double value) override;
  size_t StateBytes() const override;

 private:
  ResonanceParams params_;
  std::vector<std::unique_ptr<ResonanceDetector>> detectors_;
  std::vector<int64_t> last_fired_;  // value index of each detector's last detection
  std::vector<double> last_score_;
  int64_t seen_ = 0;
  int64_t last_emitted_ = -1000000000;
  double last_emitted_score_ = 0.0;
};

class ResonanceFactory : public DetectorFactory {
 public:
  explicit ResonanceFactory(ResonanceParams params) : params_(params) {}
  std::unique_ptr<Detector> Make(const SeriesInfo& info) const override;

 private:
  ResonanceParams params_;
};

// The method table's entry (src/analytics/detector_methods.cc).
std::vector<MethodParam> ResonanceMethodParams();
std::shared_ptr<const DetectorFactory> MakeResonance(MethodParams& params);

}  // namespace edgeflow::analytics
