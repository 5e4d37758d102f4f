#include "analytics/rcf_detector.h"

#include <algorithm>
#include <cmath>

namespace edgeflow::analytics {

RandomCutTree::RandomCutTree(int dim, int sample_size, double time_decay, uint64_t seed)
    : dim_(dim),
      sample_size_(sample_size),
      time_decay_(time_decay),
      rng_(seed),
      box_(static_cast<size_t>(2 * sample_size) * 2 * dim),
      keys_(sample_size),
      leaves_(sample_size) {
  nodes_.reserve(2 * sample_size);
  free_.reserve(2 * sample_size);
  heap_.reserve(sample_size);
}

// splitmix64: small, fast, and the same sequence everywhere for a seed.
double RandomCutTree::NextUniform() {
  uint64_t z = (rng_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

int RandomCutTree::NewNode() {
  int index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
    nodes_[index] = Node{};
  } else {
    index = static_cast<int>(nodes_.size());
    nodes_.push_back(Node{});
  }
  return index;
}

double RandomCutTree::Codisplacement(const float* point) const {
  if (root_ < 0) return 0.0;
  double not_separated = 1.0;
  double expected = 0.0;
  int node = root_;
  while (true) {
    const float* lo = Min(node);
    const float* hi = Max(node);
    // The box grown to hold the point; the growth is where a cut would
    // separate it. Branch-free so the loop vectorises.
    float range = 0.0f, grown = 0.0f;
    for (int d = 0; d < dim_; ++d) {
      range += hi[d] - lo[d];
      grown += std::max(hi[d], point[d]) - std::min(lo[d], point[d]);
    }
    const double p_cut_here = grown > range ? static_cast<double>(grown - range) / grown : 0.0;
    // Cut off here, the point would displace this whole subtree.
    expected += not_separated * p_cut_here * nodes_[node].mass;
    not_separated *= 1.0 - p_cut_here;
    const Node& n = nodes_[node];
    if (n.left < 0) {
      expected += not_separated;  // lands on a copy of a sampled point
      return expected;
    }
    node = point[n.cut_dim] <= n.cut_value ? n.left : n.right;
  }
}

int RandomCutTree::Insert(const float* point) {
  if (root_ < 0) {
    root_ = NewNode();
    nodes_[root_].mass = 1;
    std::copy(point, point + dim_, Min(root_));
    std::copy(point, point + dim_, Max(root_));
    return root_;
  }
  int node = root_;
  while (true) {
    float* lo = Min(node);
    float* hi = Max(node);
    double range = 0.0;
    for (int d = 0; d < dim_; ++d) range += std::max(hi[d], point[d]) - std::min(lo[d], point[d]);
    if (range <= 0.0) {
      // Same point as this leaf: count it again (mass only).
      for (int up = node; up >= 0; up = nodes_[up].parent) ++nodes_[up].mass;
      return node;
    }
    // Random cut over the box grown to hold the point.
    double r = NextUniform() * range;
    int cut_dim = dim_ - 1;
    double cut_value = 0.0;
    for (int d = 0; d < dim_; ++d) {
      const double low = std::min(lo[d], point[d]);
      const double width = std::max(hi[d], point[d]) - low;
      if (r < width || d == dim_ - 1) {
        cut_dim = d;
        cut_value = low + std::min(r, width);
        break;
      }
      r -= width;
    }
    const float x = point[cut_dim];
    const float cut = static_cast<float>(cut_value);
    const bool separates = (x < lo[cut_dim] && cut < lo[cut_dim]) || (x > hi[cut_dim] && cut >= hi[cut_dim]);
    if (separates || nodes_[node].left < 0) {
      // New parent holding the point's leaf and this subtree. A leaf with a
      // different point is always separable on some dimension: if the cut
      // landed on its value, split at the midpoint of that dimension instead.
      const int leaf = NewNode();
      const int parent = NewNode();
      nodes_[leaf].mass = 1;
      std::copy(point, point + dim_, Min(leaf));
      std::copy(point, point + dim_, Max(leaf));
      Node& p = nodes_[parent];
      p.cut_dim = cut_dim;
      p.cut_value = cut;
      if (!separates) {
        for (int d = 0; d < dim_; ++d) {
          if (point[d] != lo[d]) {
            p.cut_dim = d;
            p.cut_value = std::min(point[d], lo[d]) + 0.5f * std::abs(point[d] - lo[d]);
            if (p.cut_value >= std::max(point[d], lo[d])) p.cut_value = std::min(point[d], lo[d]);
            break;
          }
        }
      }
      const bool point_left = point[p.cut_dim] <= p.cut_value;
      p.left = point_left ? leaf : node;
      p.right = point_left ? node : leaf;
      p.parent = nodes_[node].parent;
      p.mass = nodes_[node].mass + 1;
      nodes_[leaf].parent = parent;
      float* plo = Min(parent);
      float* phi = Max(parent);
      for (int d = 0; d < dim_; ++d) {
        plo[d] = std::min(lo[d], point[d]);
        phi[d] = std::max(hi[d], point[d]);
      }
      const int grand = nodes_[node].parent;
      if (grand < 0) {
        root_ = parent;
      } else if (nodes_[grand].left == node) {
        nodes_[grand].left = parent;
      } else {
        nodes_[grand].right = parent;
      }
      nodes_[node].parent = parent;
      return leaf;
    }
    // The cut falls inside the box: grow it and follow the existing cut.
    for (int d = 0; d < dim_; ++d) {
      lo[d] = std::min(lo[d], point[d]);
      hi[d] = std::max(hi[d], point[d]);
    }
    ++nodes_[node].mass;
    node = point[nodes_[node].cut_dim] <= nodes_[node].cut_value ? nodes_[node].left : nodes_[node].right;
  }
}

void RandomCutTree::RecomputeBox(int node) {
  const Node& n = nodes_[node];
  float* lo = Min(node);
  float* hi = Max(node);
  for (int d = 0; d < dim_; ++d) {
    lo[d] = std::min(Min(n.left)[d], Min(n.right)[d]);
    hi[d] = std::max(Max(n.left)[d], Max(n.right)[d]);
  }
}

void RandomCutTree::Remove(int leaf) {
  if (--nodes_[leaf].mass > 0) {
    for (int up = nodes_[leaf].parent; up >= 0; up = nodes_[up].parent) --nodes_[up].mass;
    return;
  }
  const int parent = nodes_[leaf].parent;
  free_.push_back(leaf);
  if (parent < 0) {
    root_ = -1;
    return;
  }
  const int sibling = nodes_[parent].left == leaf ? nodes_[parent].right : nodes_[parent].left;
  const int grand = nodes_[parent].parent;
  nodes_[sibling].parent = grand;
  if (grand < 0) {
    root_ = sibling;
  } else if (nodes_[grand].left == parent) {
    nodes_[grand].left = sibling;
  } else {
    nodes_[grand].right = sibling;
  }
  free_.push_back(parent);
  for (int up = grand; up >= 0; up = nodes_[up].parent) {
    --nodes_[up].mass;
    RecomputeBox(up);
  }
}

void RandomCutTree::Offer(const float* point, int64_t t) {
  // Weighted reservoir (A-ES with weight exp(decay * t)) in log space:
  // keep the sample_size smallest keys log(-log u) - decay * t. The kept
  // slots form a max-heap on their keys, so the next to go is at the top.
  const double u = std::max(NextUniform(), 1e-300);
  const double key = std::log(-std::log(u)) - time_decay_ * static_cast<double>(t);
  const auto larger_key = [this](int32_t a, int32_t b) { return keys_[a] < keys_[b]; };
  int32_t slot;
  if (sample_count_ < sample_size_) {
    slot = sample_count_++;
    heap_.push_back(slot);
  } else {
    if (key >= keys_[heap_.front()]) return;
    std::pop_heap(heap_.begin(), heap_.end(), larger_key);
    slot = heap_.back();
    Remove(leaves_[slot]);
  }
  keys_[slot] = key;
  leaves_[slot] = Insert(point);
  std::push_heap(heap_.begin(), heap_.end(), larger_key);
}

size_t RandomCutTree::StateBytes() const {
  // Capacity is reserved up front, so this is the bound, not the current use.
  return sizeof(*this) + nodes_.capacity() * sizeof(Node) + box_.capacity() * sizeof(float) +
         free_.capacity() * sizeof(int32_t) + keys_.capacity() * sizeof(double) +
         (leaves_.capacity() + heap_.capacity()) * sizeof(int32_t);
}

RcfDetector::RcfDetector(const RcfParams& params, const SeriesInfo& info)
    : params_(params),
      min_(0.0),
      span_(1.0),
      shingle_(params.shingle, 0.0f),
      point_(params.shingle, 0.0f) {
  if (std::isfinite(info.min) && std::isfinite(info.max) && info.max > info.min) {
    min_ = info.min;
    span_ = info.max - info.min;
  }
  const double decay =
      params_.time_decay > 0.0 ? params_.time_decay : 1.0 / (10.0 * params_.sample_size);
  trees_.reserve(params_.trees);
  for (int i = 0; i < params_.trees; ++i) {
    // Distinct, seed-determined streams per tree.
    trees_.emplace_back(params_.shingle, params_.sample_size, decay,
                        info.seed * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(i) * 0xD1B54A32D192ED03ULL + 1);
  }
}

Verdict RcfDetector::Update(int64_t /*time_us*/, double value) {
  Verdict verdict;
  if (!std::isfinite(value)) {
    verdict.warming_up = seen_ < params_.shingle + params_.sample_size;
    return verdict;
  }
  const int s = params_.shingle;
  shingle_[seen_ % s] = static_cast<float>((value - min_) / span_);
  ++seen_;
  if (seen_ < s) return verdict;
  for (int i = 0; i < s; ++i) point_[i] = shingle_[(seen_ + i) % s];
  double codisp = 0.0;
  for (const RandomCutTree& tree : trees_) codisp += tree.Codisplacement(point_.data());
  codisp /= static_cast<double>(trees_.size());
  for (RandomCutTree& tree : trees_) tree.Offer(point_.data(), seen_);
  verdict.warming_up = seen_ < s + params_.sample_size;
  if (!verdict.warming_up) {
    verdict.score = std::clamp(std::log2(1.0 + codisp) / std::log2(1.0 + params_.sample_size), 0.0, 1.0);
  }
  return verdict;
}

size_t RcfDetector::StateBytes() const {
  size_t bytes = sizeof(*this) + (shingle_.capacity() + point_.capacity()) * sizeof(float);
  for (const RandomCutTree& tree : trees_) bytes += tree.StateBytes();
  return bytes;
}

std::unique_ptr<Detector> RcfFactory::Make(const SeriesInfo& info) const {
  return std::make_unique<RcfDetector>(params_, info);
}

std::vector<MethodParam> RcfMethodParams() {
  return {
      {"shingle", "int", "4", "Values per point (1..64)"},
      {"trees", "int", "20", "Trees in the forest (1..500)"},
      {"sample_size", "int", "256", "Points kept per tree (4..8192)"},
      {"time_decay", "double", "0", "Reservoir decay per point; 0 means 1/(10*sample_size)"},
      {"likelihood", "int", "2000", "Post-processing (any method, see below): rarity against this many past scores"},
      {"refractory", "int", "200", "Post-processing (any method, see below): repeats zeroed for this many values"},
  };
}

PostProcessParams RcfPostProcessDefaults() {
  PostProcessParams c;
  c.likelihood = 2000;
  c.refractory = 200;
  return c;
}

std::shared_ptr<const DetectorFactory> MakeRcf(MethodParams& p) {
  RcfParams c;
  c.shingle = static_cast<int>(p.Int("shingle", c.shingle, 1, 64));
  c.trees = static_cast<int>(p.Int("trees", c.trees, 1, 500));
  c.sample_size = static_cast<int>(p.Int("sample_size", c.sample_size, 4, 8192));
  c.time_decay = p.Double("time_decay", c.time_decay, 0, 1);
  return std::make_shared<RcfFactory>(c);
}

}  // namespace edgeflow::analytics
