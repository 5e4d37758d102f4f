#include "analytics/nab/scorer.h"

#include <algorithm>
#include <cmath>

namespace edgeflow::analytics::nab {
namespace {

constexpr double kProbationaryFraction = 0.15;
constexpr double kProbationaryMaxRows = kProbationaryFraction * 5000;  // 750
constexpr double kNoDetectionThreshold = 1.1;

// First row index whose time equals `t`, or -1 (Python's list.index).
int64_t FirstIndexOf(const std::vector<int64_t>& times, int64_t t) {
  const auto it = std::find(times.begin(), times.end(), t);
  return it == times.end() ? -1 : static_cast<int64_t>(it - times.begin());
}

}  // namespace

double ScaledSigmoid(double relative_position) {
  if (relative_position >= 3.0) return -1.0;  // a false positive far after a window
  return 2.0 / (1.0 + std::exp(5.0 * relative_position)) - 1.0;
}

double ProbationaryLength(size_t rows) {
  return std::min(std::floor(kProbationaryFraction * static_cast<double>(rows)), kProbationaryMaxRows);
}

Status AppendSweepPoints(const DataFile& file, const std::vector<Window>& windows,
                         const std::vector<double>& anomaly_scores, const CostMatrix& cost,
                         int32_t* next_window_id, std::vector<SweepPoint>* out) {
  if (anomaly_scores.size() != file.times_us.size()) {
    return InvalidData(file.relative_path + ": " + std::to_string(anomaly_scores.size()) +
                       " anomaly scores for " + std::to_string(file.times_us.size()) + " rows");
  }
  const double max_tp = ScaledSigmoid(-1.0);
  const double probation = ProbationaryLength(file.times_us.size());
  size_t next_window = 0;
  // The window we are in (id >= 0), and the last one we left.
  int32_t cur_id = -1;
  int64_t cur_end_time = 0;
  int64_t cur_right = 0;
  double cur_width = 0;
  int64_t prev_right = -1;
  double prev_width = 0;

  for (size_t row = 0; row < file.times_us.size(); ++row) {
    const int64_t i = static_cast<int64_t>(row);
    const int64_t t = file.times_us[row];
    // A window opens at the first row carrying its start time.
    if (next_window < windows.size() && t == windows[next_window].start_us) {
      const Window& w = windows[next_window++];
      cur_right = FirstIndexOf(file.times_us, w.end_us);
      if (cur_right < 0) {
        return InvalidData(file.relative_path + ": a window ends at a time that is not in the file");
      }
      cur_id = (*next_window_id)++;
      cur_end_time = w.end_us;
      cur_width = static_cast<double>(cur_right - FirstIndexOf(file.times_us, w.start_us) + 1);
    }
    SweepPoint p;
    p.anomaly_score = anomaly_scores[row];
    if (cur_id >= 0) {
      // Earlier in the window is worth more: -1 at the left edge, ~0 at the right.
      const double position = -static_cast<double>(cur_right - i + 1) / cur_width;
      p.sweep_score = ScaledSigmoid(position) * cost.tp / max_tp;
      p.window = cur_id;
    } else {
      const double position = prev_right < 0 ? 3.0
                                             : static_cast<double>(std::abs(prev_right - i)) / (prev_width - 1);
      p.sweep_score = ScaledSigmoid(position) * cost.fp;
    }
    if (static_cast<double>(row) >= probation) out->push_back(p);
    // A window closes after the row carrying its end time.
    if (cur_id >= 0 && t == cur_end_time) {
      prev_right = i;
      prev_width = cur_width;
      cur_id = -1;
    }
  }
  // Windows never entered (start time absent) still consume no id: NAB
  // ignores them too (they never get a score part).
  return Status::Ok();
}

std::vector<ThresholdScore> ScoresByThreshold(std::vector<SweepPoint> points, int32_t window_count,
                                              const CostMatrix& cost) {
  // Highest scores first; equal scores keep their order (Python's stable sort).
  std::stable_sort(points.begin(), points.end(),
                   [](const SweepPoint& a, const SweepPoint& b) { return a.anomaly_score > b.anomaly_score; });

  // Score parts: one per window with a scorable row (-fn until detected), in
  // the order NAB creates them, plus the sum of false-positive costs.
  std::vector<double> part(static_cast<size_t>(window_count), 0.0);
  std::vector<bool> has_part(static_cast<size_t>(window_count), false);
  std::vector<int32_t> part_order;
  ThresholdScore cur;
  for (const SweepPoint& p : points) {
    if (p.window < 0) {
      ++cur.tn;
      continue;
    }
    ++cur.fn;
    const size_t w = static_cast<size_t>(p.window);
    if (!has_part[w]) {
      has_part[w] = true;
      part[w] = -cost.fn;
      part_order.push_back(p.window);
    }
  }
  double fp_sum = 0;
  auto total = [&] {
    double sum = fp_sum;
    for (int32_t w : part_order) sum += part[static_cast<size_t>(w)];
    return sum;
  };

  std::vector<ThresholdScore> result;
  cur.threshold = kNoDetectionThreshold;
  for (const SweepPoint& p : points) {
    // A new, lower threshold: save the score of the one above it.
    if (p.anomaly_score != cur.threshold) {
      cur.score = total();
      result.push_back(cur);
      cur.threshold = p.anomaly_score;
    }
    if (p.window >= 0) {
      ++cur.tp;
      --cur.fn;
      double& w = part[static_cast<size_t>(p.window)];
      w = std::max(w, p.sweep_score);
    } else {
      ++cur.fp;
      --cur.tn;
      fp_sum += p.sweep_score;
    }
  }
  cur.score = total();
  result.push_back(cur);
  return result;
}

Result<std::vector<ProfileScore>> ScoreCorpus(const Corpus& corpus,
                                              const std::vector<std::vector<double>>& anomaly_scores) {
  if (anomaly_scores.size() != corpus.files.size()) {
    return Internal("ScoreCorpus: " + std::to_string(anomaly_scores.size()) + " score lists for " +
                    std::to_string(corpus.files.size()) + " files");
  }
  std::vector<ProfileScore> scores;
  for (const Profile& profile : corpus.profiles) {
    std::vector<SweepPoint> points;
    int32_t window_count = 0;
    for (size_t f = 0; f < corpus.files.size(); ++f) {
      EF_RETURN_IF_ERROR(AppendSweepPoints(corpus.files[f], corpus.windows[f], anomaly_scores[f], profile.cost,
                                           &window_count, &points));
    }
    // The null detector misses every window that has a scorable row.
    std::vector<bool> scored(static_cast<size_t>(window_count), false);
    for (const SweepPoint& p : points) {
      if (p.window >= 0) scored[static_cast<size_t>(p.window)] = true;
    }
    const double null_score = -profile.cost.fn * static_cast<double>(std::count(scored.begin(), scored.end(), true));
    const std::vector<ThresholdScore> by_threshold = ScoresByThreshold(std::move(points), window_count, profile.cost);
    ProfileScore s;
    s.profile = profile.name;
    s.best = by_threshold.front();  // 1.1: no detection
    s.null_score = null_score;
    for (const ThresholdScore& t : by_threshold) {
      if (t.score > s.best.score) s.best = t;  // strict: the highest threshold among equals
    }
    s.perfect_score = static_cast<double>(corpus.total_windows) * profile.cost.tp;
    s.normalized = 100.0 * (s.best.score - s.null_score) / (s.perfect_score - s.null_score);
    scores.push_back(s);
  }
  return scores;
}

}  // namespace edgeflow::analytics::nab
