#include "connectors/serial/line_framer.h"

#include <algorithm>

#include "connectors/codec/decode_options.h"

namespace edgeflow {

std::optional<LineEnding> ParseLineEnding(std::string_view name) {
  if (name == "lf") return LineEnding::kLf;
  if (name == "crlf") return LineEnding::kCrlf;
  if (name == "cr") return LineEnding::kCr;
  if (name == "any") return LineEnding::kAny;
  return std::nullopt;
}

LineFramer::LineFramer(LineEnding ending, size_t max_line) : ending_(ending), max_line_(max_line) {
  line_.reserve(std::min<size_t>(max_line_ + 1, 64 * 1024));
}

void LineFramer::Reset() {
  line_.clear();
  skipping_ = false;
  last_was_cr_ = false;
}

void LineFramer::EndLine(const Visit& visit) {
  if (skipping_) {
    skipping_ = false;  // resynchronised: the next byte starts a new line
  } else if (!line_.empty()) {
    visit(Kind::kLine, line_);
  }
  line_.clear();
}

void LineFramer::Append(char c, const Visit& visit) {
  if (skipping_) return;
  line_.push_back(c);
  // With crlf a '\r' may be the start of the line end: allow one byte more.
  const size_t limit = ending_ == LineEnding::kCrlf && c == '\r' ? max_line_ + 1 : max_line_;
  if (line_.size() > limit) {
    visit(Kind::kTooLarge, RecordExcerpt(line_));
    line_.clear();
    skipping_ = true;
  }
}

void LineFramer::Feed(std::string_view bytes, const Visit& visit) {
  for (const char c : bytes) {
    switch (ending_) {
      case LineEnding::kLf:
        if (c == '\n') {
          EndLine(visit);
        } else {
          Append(c, visit);
        }
        break;
      case LineEnding::kCr:
        if (c == '\r') {
          EndLine(visit);
        } else {
          Append(c, visit);
        }
        break;
      case LineEnding::kAny:
        // "\r\n" ends one line; the "\n" then ends an empty one, which is skipped.
        if (c == '\n' || c == '\r') {
          EndLine(visit);
        } else {
          Append(c, visit);
        }
        break;
      case LineEnding::kCrlf:
        if (c == '\n' && last_was_cr_) {
          if (!line_.empty() && line_.back() == '\r') line_.pop_back();
          EndLine(visit);
        } else {
          Append(c, visit);
        }
        last_was_cr_ = c == '\r';
        break;
    }
  }
}

}  // namespace edgeflow
