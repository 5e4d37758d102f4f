// SeqRangeSet: the set of sequence numbers a receiver committed for one node,
// kept as disjoint inclusive ranges so a contiguous stream costs one entry.
// Bounded: past `max_ranges` the lowest ranges are forgotten (the store's
// durable uniqueness still catches a resend that old).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace edgeflow {

class SeqRangeSet {
 public:
  explicit SeqRangeSet(size_t max_ranges = 4096) : max_ranges_(max_ranges) {}

  bool Contains(uint64_t seq) const;
  void Add(uint64_t seq);
  size_t range_count() const { return ranges_.size(); }

  // Compacts ascending seqs into inclusive ranges.
  static std::vector<std::pair<uint64_t, uint64_t>> ToRanges(const std::vector<uint64_t>& sorted);

 private:
  size_t max_ranges_;
  std::map<uint64_t, uint64_t> ranges_;  // first -> last
};

}  // namespace edgeflow
