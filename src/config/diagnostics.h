// Diagnostics: every error found in a pipeline file, with its location.
//
// Checking a file collects all errors instead of stopping at the first, so
// `edgeflow check` can report them together. Each carries file:line:column
// (1-based), the key path ("stages[2].window.size") and an optional hint.
#pragma once

#include <string>
#include <vector>

namespace edgeflow {

struct Diagnostic {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown
  std::string path;
  std::string message;
  std::string hint;

  // "factory.yaml:12:7: stages[2].window.size: must be > 0 (hint: ...)"
  std::string ToString() const;
};

class Diagnostics {
 public:
  void Add(Diagnostic d) { items_.push_back(std::move(d)); }
  bool has_errors() const { return !items_.empty(); }
  const std::vector<Diagnostic>& items() const { return items_; }
  // All diagnostics, one per line.
  std::string ToString() const;

 private:
  std::vector<Diagnostic> items_;
};

// Closest candidate by edit distance, for "did you mean" hints; empty if none
// is close enough.
std::string ClosestMatch(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace edgeflow
