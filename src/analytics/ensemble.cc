#include "analytics/ensemble.h"

#include <algorithm>
#include <cmath>

#include "analytics/detector_methods.h"

namespace edgeflow::analytics {

Verdict EnsembleDetector::Update(int64_t time_us, double value) {
  Verdict out;
  size_t active = 0;
  double sum = 0;
  double max = 0;
  size_t votes = 0;
  // Every member sees every value, so each keeps its own full history.
  for (const auto& m : members_) {
    const Verdict v = m->Update(time_us, value);
    if (v.warming_up) continue;
    ++active;
    sum += v.score;
    max = std::max(max, v.score);
    if (v.score >= vote_threshold_) ++votes;
    if (std::isnan(out.expected) && !std::isnan(v.expected)) {
      out.expected = v.expected;
      out.deviation = v.deviation;
    }
  }
  if (active == 0) return Verdict{};
  out.warming_up = false;
  switch (combine_) {
    case Combine::kMax: out.score = max; break;
    case Combine::kMean: out.score = sum / static_cast<double>(active); break;
    case Combine::kVote: out.score = static_cast<double>(votes) / static_cast<double>(active); break;
  }
  return out;
}

size_t EnsembleDetector::StateBytes() const {
  size_t bytes = sizeof(*this) + members_.capacity() * sizeof(members_[0]);
  for (const auto& m : members_) bytes += m->StateBytes();
  return bytes;
}

std::unique_ptr<Detector> EnsembleFactory::Make(const SeriesInfo& info) const {
  std::vector<std::unique_ptr<Detector>> members;
  for (size_t i = 0; i < members_.size(); ++i) {
    SeriesInfo member_info = info;
    member_info.seed = info.seed + i;  // independent randomness per member
    members.push_back(members_[i]->Make(member_info));
  }
  return std::make_unique<EnsembleDetector>(std::move(members), combine_, vote_threshold_);
}

std::vector<MethodParam> EnsembleParams() {
  return {
      {"methods", "list of string", "seasonal,ewma", "Member methods (comma-separated; not ensemble)"},
      {"combine", "string", "mean", "max | mean | vote"},
      {"vote_threshold", "double", "0.5", "vote: a member votes when its score is >= this"},
      {"<member>.<param>", "", "", "A member's own parameter, e.g. robust_z.window=50"},
  };
}

std::shared_ptr<const DetectorFactory> MakeEnsemble(MethodParams& p) {
  std::vector<std::string> names = p.Has("methods") ? p.List("methods") : std::vector<std::string>{"seasonal", "ewma"};
  const std::string combine = p.Enum("combine", "mean", {"max", "mean", "vote"});
  const double vote_threshold = p.Double("vote_threshold", 0.5, 0, 1);
  if (names.empty()) p.Error("methods", "list at least one method");
  std::vector<std::shared_ptr<const DetectorFactory>> members;
  for (const std::string& name : names) {
    if (name == "ensemble") {
      p.Error("methods", "an ensemble cannot contain an ensemble");
      continue;
    }
    if (std::count(names.begin(), names.end(), name) > 1) {
      p.Error("methods", "'" + name + "' is listed twice (its parameters would be shared)");
      continue;
    }
    MethodParams own = p.Scoped(name);
    auto factory = BuildDetectorFactory(name, own);
    for (const ParamError& e : own.errors()) {
      p.Error(e.key == "method" ? "methods" : name + "." + e.key, e.message);
    }
    if (factory) members.push_back(std::move(factory));
  }
  return std::make_shared<EnsembleFactory>(
      std::move(members), combine == "mean" ? Combine::kMean : combine == "vote" ? Combine::kVote : Combine::kMax,
      vote_threshold);
}

}  // namespace edgeflow::analytics
