#include "common/quantile_sketch.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace edgeflow {
namespace {

constexpr double kQuantiles[] = {0.0, 0.001, 0.01, 0.05, 0.1,  0.25,  0.5,
                                 0.75, 0.9,  0.95, 0.99, 0.999, 1.0};

// The value the guarantee refers to: the nearest-rank quantile.
double Exact(const std::vector<double>& sorted, double q) {
  const double rank = std::ceil(q * static_cast<double>(sorted.size()));
  return sorted[rank <= 1 ? 0 : static_cast<size_t>(rank) - 1];
}

TEST(QuantileSketchTest, NearestRankOnSmallSamples) {
  QuantileSketch sketch;
  sketch.Add(10);
  sketch.Add(20);
  EXPECT_NEAR(sketch.Quantile(0.95), 20, 0.2);
  EXPECT_NEAR(sketch.Quantile(0.5), 10, 0.1);
  sketch.Add(30);
  sketch.Add(40);
  EXPECT_NEAR(sketch.Quantile(0.5), 20, 0.2);
  EXPECT_NEAR(sketch.Quantile(0.99), 40, 0.4);
}

void ExpectWithinGuarantee(const QuantileSketch& sketch, const std::vector<double>& values,
                           double q) {
  const double exact = Exact(values, q);
  const double estimate = sketch.Quantile(q);
  const double bound = sketch.relative_accuracy() * std::abs(exact) * (1 + 1e-9) + 1e-300;
  EXPECT_LE(std::abs(estimate - exact), bound)
      << "q=" << q << " exact=" << exact << " estimate=" << estimate;
}

// Adds the values in their (random) order, then sorts them for Exact().
void AddAllThenSort(QuantileSketch& sketch, std::vector<double>& values) {
  for (double v : values) sketch.Add(v);
  std::sort(values.begin(), values.end());
}

TEST(QuantileSketchTest, EmptyAndNonFinite) {
  QuantileSketch sketch;
  EXPECT_EQ(sketch.count(), 0u);
  EXPECT_TRUE(std::isnan(sketch.Quantile(0.5)));
  sketch.Add(std::numeric_limits<double>::quiet_NaN());
  sketch.Add(std::numeric_limits<double>::infinity());
  sketch.Add(-std::numeric_limits<double>::infinity());
  EXPECT_EQ(sketch.count(), 0u);
  EXPECT_TRUE(std::isnan(sketch.Quantile(0.5)));
  sketch.Add(42);
  EXPECT_EQ(sketch.count(), 1u);
  EXPECT_DOUBLE_EQ(sketch.Quantile(0.5), 42);
  EXPECT_TRUE(std::isnan(sketch.Quantile(std::numeric_limits<double>::quiet_NaN())));
  // q is clamped.
  EXPECT_DOUBLE_EQ(sketch.Quantile(-1), 42);
  EXPECT_DOUBLE_EQ(sketch.Quantile(7), 42);
}

TEST(QuantileSketchTest, UniformWithinRelativeError) {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> uniform(0.0, 1000.0);
  std::vector<double> values(100000);
  for (double& v : values) v = uniform(rng);
  QuantileSketch sketch;
  AddAllThenSort(sketch, values);
  EXPECT_EQ(sketch.count(), values.size());
  for (double q : kQuantiles) ExpectWithinGuarantee(sketch, values, q);
  EXPECT_EQ(sketch.Quantile(0), *std::min_element(values.begin(), values.end()));
  EXPECT_EQ(sketch.Quantile(1), *std::max_element(values.begin(), values.end()));
  EXPECT_FALSE(sketch.collapsed());
}

TEST(QuantileSketchTest, LognormalWithinRelativeErrorForSeveralAccuracies) {
  std::mt19937_64 rng(2);
  std::lognormal_distribution<double> lognormal(0.0, 2.0);
  std::vector<double> values(50000);
  for (double& v : values) v = lognormal(rng);
  // At 0.1% the values' range (about e^18) needs about 9000 buckets.
  for (double accuracy : {0.001, 0.01, 0.05}) {
    QuantileSketch sketch(accuracy, 16384);
    AddAllThenSort(sketch, values);
    EXPECT_FALSE(sketch.collapsed());
    for (double q : kQuantiles) ExpectWithinGuarantee(sketch, values, q);
  }
}

TEST(QuantileSketchTest, NegativesAndZeros) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> normal(0.0, 100.0);
  std::vector<double> values(60000);
  for (size_t i = 0; i < values.size(); ++i) values[i] = i % 5 == 0 ? 0.0 : normal(rng);
  values.push_back(-0.0);
  values.push_back(1e-320);  // subnormal: counted as zero
  QuantileSketch sketch;
  AddAllThenSort(sketch, values);
  for (double q : kQuantiles) ExpectWithinGuarantee(sketch, values, q);
  for (double q = 0.0; q <= 1.0; q += 0.01) ExpectWithinGuarantee(sketch, values, q);

  QuantileSketch negatives;
  for (int i = 1; i <= 1000; ++i) negatives.Add(-i);
  EXPECT_NEAR(negatives.Quantile(0.5), -500, 5.01);
  EXPECT_NEAR(negatives.Quantile(0.99), -11, 0.111);
  EXPECT_EQ(negatives.Quantile(0), -1000);
  EXPECT_EQ(negatives.Quantile(1), -1);

  QuantileSketch zeros;
  for (int i = 0; i < 10; ++i) zeros.Add(0);
  EXPECT_EQ(zeros.Quantile(0.5), 0);
  EXPECT_EQ(zeros.Quantile(0.99), 0);
}

TEST(QuantileSketchTest, MergeEqualsSingleSketch) {
  std::mt19937_64 rng(4);
  std::lognormal_distribution<double> lognormal(1.0, 3.0);
  std::vector<double> values(30000);
  for (size_t i = 0; i < values.size(); ++i) {
    values[i] = (i % 3 == 0 ? -1 : 1) * lognormal(rng) * (i % 11 == 0 ? 0 : 1);
  }
  QuantileSketch whole;
  AddAllThenSort(whole, values);
  // Parts with disjoint value ranges exercise growth in both directions.
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  QuantileSketch low, mid, high;
  for (size_t i = 0; i < sorted.size(); ++i) {
    (i < sorted.size() / 3 ? low : i < 2 * sorted.size() / 3 ? mid : high).Add(sorted[i]);
  }
  QuantileSketch merged;
  merged.Merge(high);
  merged.Merge(low);
  merged.Merge(mid);
  EXPECT_EQ(merged.count(), whole.count());
  EXPECT_EQ(merged.min(), whole.min());
  EXPECT_EQ(merged.max(), whole.max());
  for (double q = 0.0; q <= 1.0; q += 0.005) {
    EXPECT_EQ(merged.Quantile(q), whole.Quantile(q)) << q;
  }

  // Merging a sketch into itself doubles every count.
  QuantileSketch twice = whole;
  twice.Merge(twice);
  EXPECT_EQ(twice.count(), 2 * whole.count());
  for (double q : kQuantiles) EXPECT_EQ(twice.Quantile(q), whole.Quantile(q)) << q;

  // An empty sketch is neutral.
  QuantileSketch empty;
  merged.Merge(empty);
  EXPECT_EQ(merged.count(), whole.count());
}

TEST(QuantileSketchTest, CollapseKeepsUpperQuantiles) {
  // 64 buckets at 5% cover a factor of about 600: [1, 100] fits, the 10% of
  // tiny values do not and are collapsed into the lowest kept bucket.
  constexpr size_t kBuckets = 64;
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> bulk(1.0, 100.0);
  std::uniform_real_distribution<double> exponent(-30.0, -20.0);
  std::vector<double> values;
  for (int i = 0; i < 20000; ++i) {
    values.push_back(i % 10 == 0 ? std::pow(10.0, exponent(rng)) : bulk(rng));
  }
  QuantileSketch sketch(0.05, kBuckets);
  AddAllThenSort(sketch, values);
  EXPECT_TRUE(sketch.collapsed());
  EXPECT_LE(sketch.MemoryBytes(), sizeof(QuantileSketch) + 2 * kBuckets * sizeof(uint64_t));
  for (double q : {0.2, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0}) ExpectWithinGuarantee(sketch, values, q);
  // Inside the collapsed 10%: over-estimated, but not above the bulk.
  for (double q : {0.01, 0.05, 0.09}) {
    EXPECT_GE(sketch.Quantile(q), Exact(values, q)) << q;
    EXPECT_LE(sketch.Quantile(q), 1.05) << q;
  }
  EXPECT_EQ(sketch.Quantile(0), *std::min_element(values.begin(), values.end()));

  // Negative values collapse at their most negative end, so the upper
  // quantiles (closest to zero) stay accurate too.
  std::vector<double> negatives;
  for (double v : values) negatives.push_back(v < 1 ? -1 / v : -v);
  QuantileSketch negative_sketch(0.05, kBuckets);
  AddAllThenSort(negative_sketch, negatives);
  EXPECT_TRUE(negative_sketch.collapsed());
  for (double q : {0.2, 0.5, 0.9, 0.99, 1.0}) ExpectWithinGuarantee(negative_sketch, negatives, q);
  for (double q : {0.01, 0.05}) EXPECT_GE(negative_sketch.Quantile(q), Exact(negatives, q)) << q;

  // Merging respects the bound as well.
  QuantileSketch merged(0.05, kBuckets);
  merged.Merge(sketch);
  merged.Merge(negative_sketch);
  EXPECT_TRUE(merged.collapsed());
  EXPECT_LE(merged.MemoryBytes(), sizeof(QuantileSketch) + 2 * kBuckets * sizeof(uint64_t));
  EXPECT_EQ(merged.count(), sketch.count() + negative_sketch.count());
}

TEST(QuantileSketchTest, MemoryIsBoundedAndStable) {
  QuantileSketch sketch;
  const size_t bound = sizeof(QuantileSketch) +
                       2 * QuantileSketch::kDefaultMaxBucketCount * sizeof(uint64_t);
  EXPECT_EQ(sketch.MemoryBytes(), sizeof(QuantileSketch));  // nothing allocated yet
  std::mt19937_64 rng(6);
  std::uniform_real_distribution<double> exponent(-300.0, 300.0);
  for (int i = 0; i < 200000; ++i) {
    const double v = std::pow(10.0, exponent(rng));
    sketch.Add(i % 2 == 0 ? v : -v);
  }
  EXPECT_TRUE(sketch.collapsed());
  EXPECT_LE(sketch.MemoryBytes(), bound);
  EXPECT_GT(sketch.MemoryBytes(), bound / 2);

  // Steady state: a typical metric stream stops growing the arrays quickly.
  QuantileSketch latency;
  std::lognormal_distribution<double> lognormal(3.0, 1.0);
  for (int i = 0; i < 100000; ++i) latency.Add(lognormal(rng));
  const size_t warmed_up = latency.MemoryBytes();
  for (int i = 0; i < 100000; ++i) latency.Add(lognormal(rng));
  EXPECT_EQ(latency.MemoryBytes(), warmed_up);
  EXPECT_LE(warmed_up, sizeof(QuantileSketch) + 16 * 1024);

  // Clear keeps the buckets for reuse.
  latency.Clear();
  EXPECT_EQ(latency.count(), 0u);
  EXPECT_TRUE(std::isnan(latency.Quantile(0.5)));
  EXPECT_EQ(latency.MemoryBytes(), warmed_up);
  latency.Add(5);
  latency.Add(7);
  latency.Add(6);
  EXPECT_NEAR(latency.Quantile(0.5), 6, 0.06);
  EXPECT_EQ(latency.MemoryBytes(), warmed_up);
}

TEST(QuantileSketchTest, ExtremeMagnitudes) {
  QuantileSketch sketch;
  const double huge = std::numeric_limits<double>::max();
  const double tiny = std::numeric_limits<double>::min();
  for (double v : {huge, -huge, tiny, -tiny, 1.0, huge / 3}) sketch.Add(v);
  for (double q = 0; q <= 1; q += 0.1) {
    const double y = sketch.Quantile(q);
    EXPECT_TRUE(std::isfinite(y)) << q;
  }
  EXPECT_EQ(sketch.Quantile(1), huge);
  EXPECT_EQ(sketch.Quantile(0), -huge);
}

TEST(QuantileSketchTest, ValidateOptions) {
  EXPECT_TRUE(QuantileSketch::ValidateOptions(0.01, 2048).ok());
  EXPECT_EQ(QuantileSketch::ValidateOptions(0, 2048).code(), StatusCode::kInvalidConfig);
  EXPECT_EQ(QuantileSketch::ValidateOptions(0.9, 2048).code(), StatusCode::kInvalidConfig);
  EXPECT_EQ(QuantileSketch::ValidateOptions(std::nan(""), 2048).code(),
            StatusCode::kInvalidConfig);
  EXPECT_EQ(QuantileSketch::ValidateOptions(0.01, 4).code(), StatusCode::kInvalidConfig);
}

}  // namespace
}  // namespace edgeflow
