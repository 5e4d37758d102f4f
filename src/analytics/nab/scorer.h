// NAB scoring, as the reference implementation (numenta/NAB, nab/sweeper.py
// and nab/optimizer.py) computes it.
//
// Per data file, rows are paired with anomaly scores BY POSITION. The first
// min(floor(0.15 * rows), 750) rows are probationary and never scored. A row
// inside an anomaly window is worth tp * S(-(right - i + 1) / width) / S(-1)
// if it is the window's earliest detection (later ones in the same window
// add nothing); a window with no detection costs -fn. A detection outside
// any window costs fp * S((i - right) / (width - 1)) of the closest
// preceding window (-fp before the first window), where
// S(x) = 2 / (1 + e^{5x}) - 1, and -1 once x >= 3.
// A row is a detection when its anomaly score >= the threshold.
//
// The threshold is optimised over the whole corpus per profile: every
// distinct anomaly score is a candidate (swept from the highest down, the
// first being 1.1: no detection), and the best corpus score wins (the
// highest threshold among equals). The result is normalised to
// 100 * (raw - null) / (perfect - null), where null is the detector that
// never fires and perfect = tp * (number of windows in the label file).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analytics/nab/corpus.h"
#include "common/status.h"

namespace edgeflow::analytics::nab {

// NAB's scaled sigmoid S(x) above.
double ScaledSigmoid(double relative_position);

// Rows never scored at the start of a file of `rows` rows.
double ProbationaryLength(size_t rows);

// One scorable row (probationary rows are left out).
struct SweepPoint {
  double anomaly_score = 0;
  double sweep_score = 0;  // weighted reward (in a window) or cost (outside)
  int32_t window = -1;     // corpus-wide window id; -1 outside every window
};

// Appends the scorable rows of one file. Window ids start at
// `*next_window_id`, which is advanced past this file's windows. Fails when
// a window's end is not a timestamp of the file.
Status AppendSweepPoints(const DataFile& file, const std::vector<Window>& windows,
                         const std::vector<double>& anomaly_scores, const CostMatrix& cost,
                         int32_t* next_window_id, std::vector<SweepPoint>* out);

struct ThresholdScore {
  double threshold = 1.1;
  double score = 0;  // raw (unnormalised) corpus score
  int64_t tp = 0;    // detected rows inside windows
  int64_t fp = 0;    // detected rows outside windows
  int64_t tn = 0;
  int64_t fn = 0;
};

// The score at every candidate threshold, from 1.1 (no detection) down to
// the lowest anomaly score. `window_count` bounds the window ids.
std::vector<ThresholdScore> ScoresByThreshold(std::vector<SweepPoint> points, int32_t window_count,
                                              const CostMatrix& cost);

struct ProfileScore {
  std::string profile;
  ThresholdScore best;    // the chosen threshold and its raw score
  double null_score = 0;  // raw score of a detector that never fires
  double perfect_score = 0;
  double normalized = 0;  // 100 * (raw - null) / (perfect - null)
};

// Scores a detector's results (`anomaly_scores[i]` for `corpus.files[i]`)
// under every profile of the corpus.
Result<std::vector<ProfileScore>> ScoreCorpus(const Corpus& corpus,
                                              const std::vector<std::vector<double>>& anomaly_scores);

}  // namespace edgeflow::analytics::nab
