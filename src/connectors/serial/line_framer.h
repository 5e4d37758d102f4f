// LineFramer: splits a byte stream (a serial line) into lines.
//
// Bytes arrive in arbitrary pieces; a partial line is kept until its end
// arrives. Memory is bounded: a line longer than `max_line` bytes is
// reported once as too large (with an excerpt) as soon as it overflows, and
// everything up to the next line end is skipped, so the framer
// resynchronises on the following line. Blank lines are skipped.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace edgeflow {

enum class LineEnding {
  kLf,    // "\n"
  kCrlf,  // "\r\n" (a lone "\r" or "\n" is part of the line)
  kCr,    // "\r"
  kAny,   // "\n", "\r" or "\r\n"
};
std::optional<LineEnding> ParseLineEnding(std::string_view name);

class LineFramer {
 public:
  enum class Kind { kLine, kTooLarge };
  // `text`: the line without its line end, or the first bytes of a line that
  // was too large. Valid during the call only.
  using Visit = std::function<void(Kind kind, std::string_view text)>;

  LineFramer(LineEnding ending, size_t max_line);

  void Feed(std::string_view bytes, const Visit& visit);
  // Forgets a partial line (the device was closed: its rest never comes).
  void Reset();
  // Bytes of the partial line held.
  size_t pending() const { return line_.size(); }

 private:
  void EndLine(const Visit& visit);
  void Append(char c, const Visit& visit);

  const LineEnding ending_;
  const size_t max_line_;
  std::string line_;       // the partial line; never longer than max_line_ + 1
  bool skipping_ = false;  // inside a line that was too large
  bool last_was_cr_ = false;
};

}  // namespace edgeflow
