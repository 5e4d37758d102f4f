#include "analytics/resonance_detector.h"

#include <algorithm>
#include <cmath>

namespace edgeflow::analytics {
namespace {

// Candidate vigilances tried during warm-up, coarse to fine.
constexpr std::array<double, 10> kVigilances = {0.6, 0.7, 0.76, 0.80, 0.84, 0.88, 0.91, 0.94, 0.96, 0.975};

}  // namespace

FuzzyArt::FuzzyArt(int dim, int max_categories, double vigilance, double alpha)
    : dim2_(2 * dim),
      max_categories_(max_categories),
      vigilance_(vigilance),
      alpha_(alpha),
      weights_(static_cast<size_t>(max_categories) * dim2_),
      norms_(max_categories),
      last_used_(max_categories) {}

FuzzyArt::Result FuzzyArt::Learn(const float* input) {
  Result result;
  ++clock_;
  // |I| is dim for complement-coded input, so match = |I ^ w| / dim.
  const double input_norm = dim2_ / 2.0;
  int chosen = -1;
  double chosen_choice = -1.0;
  for (int j = 0; j < categories_; ++j) {
    const float* w = &weights_[static_cast<size_t>(j) * dim2_];
    double overlap = 0.0;
    for (int k = 0; k < dim2_; ++k) overlap += std::min(input[k], w[k]);
    const double match = overlap / input_norm;
    result.best_match = std::max(result.best_match, match);
    if (match < vigilance_) continue;
    const double choice = overlap / (alpha_ + norms_[j]);
    if (choice > chosen_choice) {
      chosen_choice = choice;
      chosen = j;
    }
  }
  if (chosen < 0) {
    result.created = true;
    if (categories_ < max_categories_) {
      chosen = categories_++;
    } else {
      // Memory full: the least recently used category makes room.
      chosen = static_cast<int>(std::min_element(last_used_.begin(), last_used_.end()) -
                                last_used_.begin());
    }
    std::copy(input, input + dim2_, &weights_[static_cast<size_t>(chosen) * dim2_]);
  } else {
    // Fast learning: the box grows just enough to hold the input.
    float* w = &weights_[static_cast<size_t>(chosen) * dim2_];
    for (int k = 0; k < dim2_; ++k) w[k] = std::min(w[k], input[k]);
  }
  const float* w = &weights_[static_cast<size_t>(chosen) * dim2_];
  double norm = 0.0;
  for (int k = 0; k < dim2_; ++k) norm += w[k];
  norms_[chosen] = static_cast<float>(norm);
  last_used_[chosen] = clock_;
  return result;
}

size_t FuzzyArt::StateBytes() const {
  return sizeof(*this) + weights_.capacity() * sizeof(float) + norms_.capacity() * sizeof(float) +
         last_used_.capacity() * sizeof(uint32_t);
}

ResonanceDetector::ResonanceDetector(const ResonanceParams& params, const SeriesInfo& info)
    : params_(params),
      block_length_(std::max(1, params.block - params.phase)),
      min_(info.min),
      max_(info.max),
      range_known_(std::isfinite(info.min) && std::isfinite(info.max)),
      levels_(params.window, 0.0),
      features_(4 * params.window, 0.0f) {
  for (double vigilance : kVigilances) {
    candidates_.push_back(std::make_unique<FuzzyArt>(2 * params_.window, params_.max_categories,
                                                     vigilance, params_.alpha));
  }
  created_late_.assign(candidates_.size(), 0);
  late_novelty_.resize(candidates_.size());
}

double ResonanceDetector::Normalise(double value) {
  if (!range_known_) {
    // No declared range: use the range seen so far.
    if (!std::isfinite(min_) || value < min_) min_ = value;
    if (!std::isfinite(max_) || value > max_) max_ = value;
  }
  const double span = max_ - min_;
  if (!(span > 0.0)) return 0.5;
  return std::clamp((value - min_) / span, -0.5, 1.5);
}

// A block's value is its mean, unless it holds a spike: then the extreme on
// the side away from the running level, so short spikes survive downsampling.
double ResonanceDetector::CloseBlock() {
  const double mean = block_sum_ / block_count_;
  if (blocks_seen_ == 0) level_average_ = mean;
  level_average_ = 0.5 * (level_average_ + mean);
  double value = block_max_;
  if (std::abs(block_max_ - level_average_) < std::abs(block_min_ - level_average_)) {
    value = block_min_;
  }
  if (std::abs(value - mean) < params_.spike_fraction) value = mean;
  return value;
}

void ResonanceDetector::BuildFeatures() {
  const int w = params_.window;
  const int oldest = blocks_seen_ % w;  // ring position of the oldest block
  double lo = levels_[0], hi = levels_[0];
  for (double level : levels_) {
    lo = std::min(lo, level);
    hi = std::max(hi, level);
  }
  for (int i = 0; i < w; ++i) {
    const double level = levels_[(oldest + i) % w];
    const double in_range = std::clamp(level, 0.0, 1.0);
    const double shape = hi > lo ? (level - lo) / (hi - lo) : 0.5;
    const float a = static_cast<float>(in_range);
    const float b = static_cast<float>(shape);
    // Complement coding: [x, 1 - x] keeps box sizes meaningful.
    features_[i] = a;
    features_[w + i] = b;
    features_[2 * w + i] = 1.0f - a;
    features_[3 * w + i] = 1.0f - b;
  }
}

// A window is flagged when its novelty (1 - best match in the memory) beats
// every novelty of the last `history_blocks` blocks: novelty relative to the
// series' own recent past, so one fixed setting serves clean and noisy
// series. The score is the margin by which the record was beaten; repeats
// right after a detection are masked unless remask_ratio times stronger.
double ResonanceDetector::Decide(double novelty, bool created) {
  const int block = blocks_seen_;
  float record = 0.0f;
  const int filled = std::min(history_count_, params_.history_blocks);
  for (int i = 0; i < filled; ++i) record = std::max(record, novelty_history_[i]);
  novelty_history_[history_count_ % params_.history_blocks] = static_cast<float>(novelty);
  ++history_count_;
  if (novelty <= record || novelty <= 0.0) return 0.0;
  // As in ARTime: a window the memory could absorb (it grew a category to
  // fit) is not an anomaly, however far it stretched that category.
  if (params_.new_category_only && !created) return 0.0;
  const double score = (novelty - record) / novelty;
  // Within the mask only a much stronger detection gets through, so a
  // marginal record does not hide a real event right after it.
  if (block - last_detection_block_ <= params_.mask_blocks &&
      score <= params_.remask_ratio * last_detection_score_) {
    return 0.0;
  }
  last_detection_block_ = block;
  last_detection_score_ = score;
  return score;
}

Verdict ResonanceDetector::Update(int64_t /*time_us*/, double value) {
  Verdict verdict;
  verdict.expected = expected_;
  verdict.deviation = value - expected_;
  if (!std::isfinite(value)) {
    verdict.warming_up = art_ == nullptr;
    return verdict;
  }
  const double x = Normalise(value);
  if (block_count_ == 0) {
    block_sum_ = 0.0;
    block_min_ = block_max_ = x;
  }
  ++block_count_;
  block_sum_ += x;
  block_min_ = std::min(block_min_, x);
  block_max_ = std::max(block_max_, x);
  if (block_count_ < block_length_) {
    verdict.warming_up = art_ == nullptr;
    verdict.score = 0.0;
    return verdict;
  }
  expected_ = min_ + (block_sum_ / block_count_) * (max_ - min_);
  levels_[blocks_seen_ % params_.window] = CloseBlock();
  block_count_ = 0;
  block_length_ = params_.block;
  ++blocks_seen_;
  verdict.expected = expected_;
  verdict.deviation = value - expected_;
  if (blocks_seen_ < params_.window) return verdict;  // first window not full
  BuildFeatures();

  if (art_ == nullptr) {
    const bool late = blocks_seen_ > params_.warmup_blocks / 2;
    for (size_t c = 0; c < candidates_.size(); ++c) {
      const FuzzyArt::Result result = candidates_[c]->Learn(features_.data());
      if (late && result.created) ++created_late_[c];
      if (late) late_novelty_[c].push_back(static_cast<float>(1.0 - result.best_match));
    }
    if (blocks_seen_ >= params_.warmup_blocks) {
      // Finest vigilance whose memory hardly grew over the 2nd half of warm-up.
      size_t pick = 0;
      for (size_t c = 0; c < candidates_.size(); ++c) {
        if (created_late_[c] <= 1) pick = c;
      }
      art_ = std::move(candidates_[pick]);
      novelty_history_.assign(params_.history_blocks, 0.0f);
      for (float novelty : late_novelty_[pick]) {
        novelty_history_[history_count_++ % params_.history_blocks] = novelty;
      }
      late_novelty_.clear();
      candidates_.clear();
      candidates_.shrink_to_fit();
    }
    return verdict;
  }
  verdict.warming_up = false;
  const FuzzyArt::Result result = art_->Learn(features_.data());
  verdict.score = Decide(1.0 - result.best_match, result.created);
  return verdict;
}

size_t ResonanceDetector::StateBytes() const {
  size_t bytes = sizeof(*this) + levels_.capacity() * sizeof(double) +
                 features_.capacity() * sizeof(float);
  for (const auto& c : candidates_) bytes += c->StateBytes();
  if (art_ != nullptr) bytes += art_->StateBytes();
  return bytes;
}

MultiScaleResonance::MultiScaleResonance(const ResonanceParams& params, const SeriesInfo& info) : params_(params) {
  for (int k = 0; k < params.scales; ++k) {
    ResonanceParams own = params;
    // block, block+1, block-1, block+2, ...
    const int step = (k + 1) / 2;
    own.block = std::max(1, params.block + (k % 2 == 1 ? step : -step));
    for (int ph = 0; ph < params.phases; ++ph) {
      // Offsets spread evenly over the block.
      own.phase = (params.phase + ph * own.block / params.phases) % own.block;
      detectors_.push_back(std::make_unique<ResonanceDetector>(own, info));
    }
  }
  last_fired_.assign(detectors_.size(), -1000000000);
  last_score_.assign(detectors_.size(), 0.0);
}

Verdict MultiScaleResonance::Update(int64_t time_us, double value) {
  Verdict out;
  out.warming_up = false;
  const int64_t span = static_cast<int64_t>(params_.mask_blocks) * params_.block;
  int fired_now = 0;
  for (size_t k = 0; k < detectors_.size(); ++k) {
    const Verdict v = detectors_[k]->Update(time_us, value);
    if (k == 0) {
      out.expected = v.expected;
      out.deviation = v.deviation;
    }
    out.warming_up = out.warming_up || v.warming_up;
    if (v.score > 0.0) {
      last_fired_[k] = seen_;
      last_score_[k] = v.score;
      ++fired_now;
    }
  }
  ++seen_;
  if (out.warming_up || fired_now == 0) return out;
  int agreeing = 0;
  double score = 0.0;
  for (size_t k = 0; k < detectors_.size(); ++k) {
    if (seen_ - 1 - last_fired_[k] <= span) {
      ++agreeing;
      score += last_score_[k];
    }
  }
  score /= static_cast<double>(detectors_.size());
  // The same mask as one scale's: repeats within the span only when much stronger.
  if (agreeing < params_.votes ||
      (seen_ - last_emitted_ <= span && score <= params_.remask_ratio * last_emitted_score_)) {
    return out;
  }
  out.score = score;
  last_emitted_ = seen_;
  last_emitted_score_ = score;
  return out;
}

size_t MultiScaleResonance::StateBytes() const {
  size_t bytes = sizeof(*this) + (last_fired_.capacity() + last_score_.capacity()) * 8;
  for (const auto& d : detectors_) bytes += d->StateBytes();
  return bytes;
}

ResonanceParams ResolveForSeries(const ResonanceParams& params, const SeriesInfo& info) {
  ResonanceParams own = params;
  if (params.probation_windows <= 0 || info.warmup_values <= 0) return own;
  // A longer warm-up means a longer series: watch it at a coarser time scale,
  // with about probation_windows feature windows to learn from.
  const int64_t per_block = static_cast<int64_t>(params.window) * params.probation_windows;
  own.block = static_cast<int>(std::clamp<int64_t>(info.warmup_values / per_block, 1, 1000));
  own.warmup_blocks = static_cast<int>(std::max<int64_t>(params.window, info.warmup_values / own.block));
  return own;
}

std::unique_ptr<Detector> ResonanceFactory::Make(const SeriesInfo& info) const {
  const ResonanceParams own = ResolveForSeries(params_, info);
  if (own.scales > 1 || own.phases > 1) return std::make_unique<MultiScaleResonance>(own, info);
  return std::make_unique<ResonanceDetector>(own, info);
}

std::vector<MethodParam> ResonanceMethodParams() {
  return {
      {"block", "int", "6", "Raw values per downsampled block (1..1000)"},
      {"window", "int", "8", "Blocks per feature window (2..64)"},
      {"warmup_blocks", "int", "50", "Blocks learned before any decision (window..100000)"},
      {"max_categories", "int", "200", "Bound on the ART memory's categories (1..10000)"},
      {"history_blocks", "int", "128", "A detection must beat the novelty of this many past blocks (1..100000)"},
      {"mask_blocks", "int", "24", "No new detection this many blocks after one... (0..100000)"},
      {"remask_ratio", "double", "10", "...unless its score is this many times higher (1..1e9)"},
      {"new_category_only", "string", "true", "Flag only windows that founded a new ART category: true | false"},
      {"scales", "int", "3", "Detectors at block, block+1, block-1, ... (1..9)"},
      {"votes", "int", "half of scales*phases",
       "A detection needs this many detectors firing within mask_blocks*block values (1..scales*phases; default: half of them, rounded up)"},
      {"phases", "int", "4", "Detectors per scale with block boundaries at evenly spread offsets; votes count over all (1..16)"},
      {"phase", "int", "0", "Offset of one detector's block boundaries: its first block is block - phase values long (0..block-1)"},
      {"probation_windows", "int", "0",
       "When > 0 and the series declares its warm-up length (NAB's probationary period): block = warm-up / "
       "(window * this), warmup_blocks = warm-up / block; 0 = use block and warmup_blocks (0..10000)"},
  };
}

std::shared_ptr<const DetectorFactory> MakeResonance(MethodParams& p) {
  ResonanceParams c;
  c.block = static_cast<int>(p.Int("block", c.block, 1, 1000));
  c.window = static_cast<int>(p.Int("window", c.window, 2, 64));
  c.warmup_blocks = static_cast<int>(p.Int("warmup_blocks", c.warmup_blocks, c.window, 100000));
  c.max_categories = static_cast<int>(p.Int("max_categories", c.max_categories, 1, 10000));
  c.history_blocks = static_cast<int>(p.Int("history_blocks", c.history_blocks, 1, 100000));
  c.mask_blocks = static_cast<int>(p.Int("mask_blocks", c.mask_blocks, 0, 100000));
  c.remask_ratio = p.Double("remask_ratio", c.remask_ratio, 1, 1e9);
  c.new_category_only = p.Enum("new_category_only", "true", {"true", "false"}) == "true";
  c.scales = static_cast<int>(p.Int("scales", c.scales, 1, 9));
  c.probation_windows = static_cast<int>(p.Int("probation_windows", c.probation_windows, 0, 10000));
  c.phases = static_cast<int>(p.Int("phases", c.phases, 1, 16));
  c.phase = static_cast<int>(p.Int("phase", c.phase, 0, c.block - 1));
  // Unset: half of the detectors must agree (6 of 12 with the defaults).
  c.votes = static_cast<int>(p.Int("votes", (c.scales * c.phases + 1) / 2, 1, c.scales * c.phases));
  return std::make_shared<ResonanceFactory>(c);
}

}  // namespace edgeflow::analytics
