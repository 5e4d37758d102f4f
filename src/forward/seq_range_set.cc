#include "forward/seq_range_set.h"

#include <limits>

namespace edgeflow {

bool SeqRangeSet::Contains(uint64_t seq) const {
  auto it = ranges_.upper_bound(seq);
  if (it == ranges_.begin()) return false;
  --it;
  return seq <= it->second;
}

void SeqRangeSet::Add(uint64_t seq) {
  if (Contains(seq)) return;
  auto next = ranges_.upper_bound(seq);
  const bool joins_next = next != ranges_.end() && seq != std::numeric_limits<uint64_t>::max() &&
                          next->first == seq + 1;
  auto prev = next == ranges_.begin() ? ranges_.end() : std::prev(next);
  const bool joins_prev = prev != ranges_.end() && prev->second + 1 == seq;
  if (joins_prev && joins_next) {
    prev->second = next->second;
    ranges_.erase(next);
  } else if (joins_prev) {
    prev->second = seq;
  } else if (joins_next) {
    const uint64_t last = next->second;
    ranges_.erase(next);
    ranges_.emplace(seq, last);
  } else {
    ranges_.emplace(seq, seq);
    if (ranges_.size() > max_ranges_) ranges_.erase(ranges_.begin());
  }
}

std::vector<std::pair<uint64_t, uint64_t>> SeqRangeSet::ToRanges(const std::vector<uint64_t>& sorted) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (uint64_t s : sorted) {
    if (!out.empty() && out.back().second + 1 == s) {
      out.back().second = s;
    } else if (out.empty() || out.back().second != s) {
      out.emplace_back(s, s);
    }
  }
  return out;
}

}  // namespace edgeflow
