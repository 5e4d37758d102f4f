// `rcf`: a streaming Random Cut Forest over shingled values.
//
// Each observation closes a shingle (the last `shingle` values, normalised by
// the series' min/max when known). Every tree keeps a time-decayed reservoir
// sample of `sample_size` shingles, organised as a random cut tree: each
// internal node cuts one dimension, chosen with probability proportional to
// its range in the node's bounding box. A shingle is scored BEFORE it may be
// sampled: walking down its path, the chance that a random cut would
// separate it at each node is known from the node's box, and if it were cut
// off there it would displace that node's whole subtree. The expected
// displacement (RRCF's collusive displacement of a point isolated at that
// node) is averaged over the trees and mapped to [0,1] by
// log2(1 + codisp) / log2(1 + sample_size).
//
// Memory is fixed at construction: per tree 2*sample_size nodes of
// (2*shingle floats + 5 words) plus sample_size (key, leaf) pairs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "analytics/detector.h"
#include "analytics/method_params.h"
#include "analytics/post_process.h"

namespace edgeflow::analytics {

struct RcfParams {
  int shingle = 4;          // values per point
  int trees = 20;           // trees in the forest
  int sample_size = 256;    // points kept per tree
  double time_decay = 0.0;  // reservoir decay per point; 0 means 1/(10*sample_size)
};

// One random cut tree over a bounded, time-decayed reservoir of points.
class RandomCutTree {
 public:
  RandomCutTree(int dim, int sample_size, double time_decay, uint64_t seed);
  // Expected displacement if `point` were inserted now (0 when empty).
  double Codisplacement(const float* point) const;
  // Offers `point` (observation number `t`) to the reservoir.
  void Offer(const float* point, int64_t t);
  int size() const { return sample_count_; }
  size_t StateBytes() const;

 private:
  struct Node {
    int32_t left = -1;  // -1 for a leaf
    int32_t right = -1;
    int32_t parent = -1;
    int32_t mass = 0;  // points below (a leaf counts duplicates)
    int32_t cut_dim = 0;
    float cut_value = 0.0f;
  };
  double NextUniform();
  int NewNode();
  float* Min(int node) { return &box_[static_cast<size_t>(node) * 2 * dim_]; }
  float* Max(int node) { return &box_[static_cast<size_t>(node) * 2 * dim_ + dim_]; }
  const float* Min(int node) const { return &box_[static_cast<size_t>(node) * 2 * dim_]; }
  const float* Max(int node) const { return &box_[static_cast<size_t>(node) * 2 * dim_ + dim_]; }
  int Insert(const float* point);  // returns the leaf
  void Remove(int leaf);
  void RecomputeBox(int node);

  int dim_;
  int sample_size_;
  double time_decay_;
  uint64_t rng_;
  std::vector<Node> nodes_;
  std::vector<float> box_;  // per node: min[dim], max[dim]
  std::vector<int32_t> free_;
  int32_t root_ = -1;
  // Reservoir: smaller key = kept; the largest key is evicted first.
  std::vector<double> keys_;
  std::vector<int32_t> leaves_;
  int sample_count_ = 0;
  std::vector<int32_t> heap_;  // slots, max-heap on keys_
};

class RcfDetector : public Detector {
 public:
  RcfDetector(const RcfParams& params, const SeriesInfo& info);
  Verdict Update(int64_t time_us, double value) override;
  size_t StateBytes() const override;

 private:
  RcfParams params_;
  double min_;
  double span_;
  std::vector<float> shingle_;  // ring
  std::vector<float> point_;    // shingle in time order
  int64_t seen_ = 0;
  std::vector<RandomCutTree> trees_;
};

class RcfFactory : public DetectorFactory {
 public:
  explicit RcfFactory(RcfParams params) : params_(params) {}
  std::unique_ptr<Detector> Make(const SeriesInfo& info) const override;

 private:
  RcfParams params_;
};

// The method table's entry (src/analytics/detector_methods.cc).
std::vector<MethodParam> RcfMethodParams();
// rcf's raw codisplacement is high at every point of a strong anomaly and
// its level differs per series, so by default it is judged by likelihood
// and repeats are suppressed (see post_process.h).
PostProcessParams RcfPostProcessDefaults();
std::shared_ptr<const DetectorFactory> MakeRcf(MethodParams& params);

}  // namespace edgeflow::analytics
