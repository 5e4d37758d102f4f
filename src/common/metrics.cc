#include "common/metrics.h"

namespace edgeflow {

Counter* MetricsRegistry::GetCounter(const std::string& name, const std::string& labels,
                                     const std::string& help) {
  std::lock_guard lock(mu_);
  Entry& e = entries_[{name, labels}];
  if (e.counter == nullptr) {
    e.counter = &counters_.emplace_back();
    e.help = help;
  }
  return e.counter;
}

Gauge* MetricsRegistry::GetGauge(const std::string& name, const std::string& labels,
                                 const std::string& help) {
  std::lock_guard lock(mu_);
  Entry& e = entries_[{name, labels}];
  if (e.gauge == nullptr) {
    e.gauge = &gauges_.emplace_back();
    e.help = help;
  }
  return e.gauge;
}

std::vector<MetricSample> MetricsRegistry::Snapshot() const {
  std::lock_guard lock(mu_);
  std::vector<MetricSample> out;
  for (const auto& [key, e] : entries_) {
    MetricSample s;
    s.name = key.first;
    s.labels = key.second;
    s.help = e.help;
    if (e.counter) {
      s.value = static_cast<double>(e.counter->value());
    } else if (e.gauge) {
      s.value = e.gauge->value();
      s.is_counter = false;
    }
    out.push_back(std::move(s));
  }
  return out;
}

uint64_t MetricsRegistry::CounterTotal(const std::string& name) const {
  std::lock_guard lock(mu_);
  uint64_t total = 0;
  for (auto it = entries_.lower_bound({name, ""}); it != entries_.end() && it->first.first == name; ++it) {
    if (it->second.counter) total += it->second.counter->value();
  }
  return total;
}

uint64_t MetricsRegistry::CounterValue(const std::string& name, const std::string& labels) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find({name, labels});
  return it != entries_.end() && it->second.counter ? it->second.counter->value() : 0;
}

}  // namespace edgeflow
