// Metrics: named counters and gauges shared by every component.
//
// The registry owns the metrics; components keep raw pointers obtained at
// build time (stable for the registry's lifetime) and update them with
// relaxed atomics, so updates are thread-safe and cheap. Snapshot() reads all
// of them for --stats, the status line and (later) the Prometheus endpoint.
// Names follow "component.metric" with labels in braces, e.g.
// `stage.dropped{stage="clean",reason="filtered"}`.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace edgeflow {

class Counter {
 public:
  void Add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

struct MetricSample {
  std::string name;    // "stage.in"
  std::string labels;  // `stage="clean"` (may be empty)
  double value = 0;
  bool is_counter = true;
  std::string help;
};

class MetricsRegistry {
 public:
  // Returns the metric with this name and labels, creating it on first use.
  Counter* GetCounter(const std::string& name, const std::string& labels = "",
                      const std::string& help = "");
  Gauge* GetGauge(const std::string& name, const std::string& labels = "",
                  const std::string& help = "");
  // All metrics sorted by name then labels.
  std::vector<MetricSample> Snapshot() const;
  // Sum of a counter over all label sets.
  uint64_t CounterTotal(const std::string& name) const;
  // One counter's value (0 when absent).
  uint64_t CounterValue(const std::string& name, const std::string& labels) const;

 private:
  struct Entry {
    std::string help;
    Counter* counter = nullptr;
    Gauge* gauge = nullptr;
  };
  mutable std::mutex mu_;
  std::deque<Counter> counters_;  // deque: stable addresses
  std::deque<Gauge> gauges_;
  std::map<std::pair<std::string, std::string>, Entry> entries_;
};

}  // namespace edgeflow
