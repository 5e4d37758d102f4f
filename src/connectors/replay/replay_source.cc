#include "connectors/replay/replay_source.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "connectors/common/source_rejects.h"
#include "connectors/codec/csv_decoder.h"
#include "connectors/codec/json_decoder.h"

namespace edgeflow {
namespace {

constexpr uint64_t kDefaultMaxLineBytes = uint64_t{1} << 20;
constexpr uint64_t kDefaultReadBuffer = uint64_t{256} << 10;
constexpr uint64_t kMaxBufferBytes = uint64_t{1} << 30;

enum class ReplayFormat { kJsonLines, kCsv };

struct ReplayConfig {
  std::string path;
  ReplayFormat format = ReplayFormat::kJsonLines;
  double speed = 0;  // multiple of the recorded pace; 0 = as fast as possible
  bool loop = false;
  size_t max_line_bytes = kDefaultMaxLineBytes;
  size_t read_buffer = kDefaultReadBuffer;
  JsonDecoderOptions json;
  CsvDecoderOptions csv;
};

std::string ErrnoText(int err) { return std::strerror(err); }

// Reads a file in chunks of `read_size` into one buffer and hands out its
// lines. The buffer holds max_line_bytes + 1 + read_size (+ padding), so a
// line up to max_line_bytes (plus a '\r') always fits; a longer one is skipped up to its newline
// (keeping only an excerpt) and reported as too long. Lines are followed in
// memory by at least JsonDecoder::kPadding readable bytes.
class LineReader {
 public:
  enum class Next { kLine, kTooLong, kEnd, kError };

  LineReader(size_t read_size, size_t max_line_bytes)
      : read_size_(read_size),
        max_line_bytes_(max_line_bytes),
        capacity_(max_line_bytes + 1 + read_size) {}  // +1: a '\r' before the newline
  ~LineReader() { Close(); }
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  Status Open(const std::string& path) {
    Close();
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      const int err = errno;
      if (err == ENOENT) return NotFound(path + ": no such file");
      return IoError(path + ": " + ErrnoText(err));
    }
    if (!buffer_) {
      buffer_ = std::make_unique_for_overwrite<char[]>(capacity_ + JsonDecoder::kPadding);
      std::memset(buffer_.get() + capacity_, ' ', JsonDecoder::kPadding);
    }
    Reset();
    return Status::Ok();
  }

  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // Goes back to the start of the file.
  Status Rewind() {
    if (::lseek(fd_, 0, SEEK_SET) < 0) return IoError(ErrnoText(errno));
    Reset();
    return Status::Ok();
  }

  // kLine: `line` is the next line without its line break ("\n" or "\r\n")
  // and `readable` the bytes readable from line.data().
  // kTooLong: the line was longer than max_line_bytes and skipped; `line` is
  // its first kExcerptBytes bytes.
  // kError: error() says why.
  Next NextLine(std::string_view* line, size_t* readable) {
    while (true) {
      char* newline = static_cast<char*>(std::memchr(scan_, '\n', end_ - scan_));
      if (newline != nullptr) {
        ++line_number_;
        char* begin = begin_;
        begin_ = scan_ = newline + 1;
        if (skipping_) {
          skipping_ = false;
          *line = excerpt_;
          return Next::kTooLong;
        }
        size_t length = static_cast<size_t>(newline - begin);
        if (length > 0 && begin[length - 1] == '\r') --length;
        if (length > max_line_bytes_) {
          excerpt_.assign(begin, std::min(length, kExcerptBytes));
          *line = excerpt_;
          return Next::kTooLong;
        }
        *line = std::string_view(begin, length);
        *readable = static_cast<size_t>(buffer_.get() + capacity_ + JsonDecoder::kPadding - begin);
        return Next::kLine;
      }
      scan_ = end_;
      if (skipping_) {
        begin_ = scan_ = end_ = buffer_.get();  // discard the rest of the long line
      } else if (static_cast<size_t>(end_ - begin_) > max_line_bytes_ + 1) {
        excerpt_.assign(begin_, std::min(static_cast<size_t>(end_ - begin_), kExcerptBytes));
        skipping_ = true;
        begin_ = scan_ = end_ = buffer_.get();
      }
      if (eof_) {
        if (skipping_) {
          skipping_ = false;
          ++line_number_;
          *line = excerpt_;
          return Next::kTooLong;
        }
        if (begin_ < end_) {  // a last line without a line break
          ++line_number_;
          size_t length = static_cast<size_t>(end_ - begin_);
          if (begin_[length - 1] == '\r') --length;
          *line = std::string_view(begin_, length);
          *readable = static_cast<size_t>(buffer_.get() + capacity_ + JsonDecoder::kPadding - begin_);
          begin_ = scan_ = end_;
          if (length > max_line_bytes_) {
            excerpt_.assign(line->data(), std::min(length, kExcerptBytes));
            *line = excerpt_;
            return Next::kTooLong;
          }
          return Next::kLine;
        }
        return Next::kEnd;
      }
      if (!Fill()) return Next::kError;
    }
  }

  // kLine: `block` holds the complete lines in the buffer from the next
  // unread byte (each ending in "\n", except the last line of the file),
  // followed by `readable` - block.size() readable bytes; nothing is
  // consumed: call Consume() with the bytes used. kTooLong, kEnd and kError
  // are as for NextLine. line_number() is not kept up to date by blocks.
  Next NextBlock(std::string_view* block, size_t* readable) {
    while (true) {
      if (!skipping_ && begin_ < end_) {
        const char* last = static_cast<const char*>(::memrchr(begin_, '\n', end_ - begin_));
        if (last != nullptr) {
          *block = std::string_view(begin_, static_cast<size_t>(last + 1 - begin_));
          *readable = static_cast<size_t>(buffer_.get() + capacity_ + JsonDecoder::kPadding - begin_);
          return Next::kLine;
        }
        if (eof_ && static_cast<size_t>(end_ - begin_) <= max_line_bytes_ + 1) {
          *block = std::string_view(begin_, static_cast<size_t>(end_ - begin_));
          *readable = static_cast<size_t>(buffer_.get() + capacity_ + JsonDecoder::kPadding - begin_);
          return Next::kLine;  // the last line, without a line break
        }
      }
      // No complete line: an over-long one, the end, or more to read.
      if (skipping_ || eof_ || static_cast<size_t>(end_ - begin_) > max_line_bytes_ + 1) {
        return NextLine(block, readable);
      }
      if (!Fill()) return Next::kError;
    }
  }

  void Consume(size_t bytes) {
    begin_ += bytes;
    if (scan_ < begin_) scan_ = begin_;
  }

  // Offset in the file of the next unread byte.
  uint64_t offset() const { return read_total_ - static_cast<uint64_t>(end_ - begin_); }

  uint64_t line_number() const { return line_number_; }
  const std::string& error() const { return error_; }

 private:
  void Reset() {
    begin_ = scan_ = end_ = buffer_.get();
    eof_ = false;
    skipping_ = false;
    line_number_ = 0;
    read_total_ = 0;
  }

  // Moves the partial line to the front and reads up to read_size_ bytes.
  bool Fill() {
    char* const base = buffer_.get();
    if (begin_ != base) {
      const size_t pending = static_cast<size_t>(end_ - begin_);
      std::memmove(base, begin_, pending);
      scan_ = base + (scan_ - begin_);
      begin_ = base;
      end_ = base + pending;
    }
    const size_t space = capacity_ - static_cast<size_t>(end_ - base);
    const size_t want = std::min(read_size_, space);
    ssize_t n;
    do {
      n = ::read(fd_, end_, want);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      error_ = ErrnoText(errno);
      return false;
    }
    if (n == 0) eof_ = true;
    end_ += n;
    read_total_ += static_cast<uint64_t>(n);
    return true;
  }

  const size_t read_size_;
  const size_t max_line_bytes_;
  const size_t capacity_;
  int fd_ = -1;
  std::unique_ptr<char[]> buffer_;
  char* begin_ = nullptr;  // start of the unread data
  char* scan_ = nullptr;   // [begin_, scan_) holds no newline
  char* end_ = nullptr;    // end of the data read
  bool eof_ = false;
  bool skipping_ = false;  // inside a line longer than max_line_bytes_
  uint64_t line_number_ = 0;
  uint64_t read_total_ = 0;  // bytes read since the start of the file
  std::string excerpt_;
  std::string error_;
};

bool IsBlank(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t') return false;
  }
  return true;
}

class ReplaySource final : public Source {
 public:
  ReplaySource(ReplayConfig config, const ComponentContext& ctx)
      : config_(std::move(config)),
        ctx_(ctx),
        clock_(ctx.clock != nullptr ? ctx.clock : &SystemClock::Instance()),
        reader_(config_.read_buffer, config_.max_line_bytes) {
    if (config_.format == ReplayFormat::kCsv) {
      csv_.emplace(config_.csv);
    } else {
      json_.emplace(config_.json);
    }
    on_reject_ = [this](DecodeReason reason, std::string_view excerpt) {
      rejects_.Reject(reason, excerpt);
    };
  }

  Status Start() override {
    EF_RETURN_IF_ERROR(reader_.Open(config_.path));
    started_ = true;
    if (csv_ && csv_->needs_header()) return ReadCsvHeader();
    return Status::Ok();
  }

  PollResult Poll(Batch& out, size_t max_events) override {
    if (!started_) return PollResult::kEnd;
    const size_t start = out.size();
    const TimeMicros now = clock_->Now();
    const bool paced = config_.speed > 0;
    // Bounds the work of one call (reads of a line or a block of lines) when
    // many lines are rejected or blank.
    size_t line_budget = 4 * max_events + 1024;
    while (out.size() - start < max_events) {
      if (staged_next_ < staged_.size()) {
        Event& next = staged_[staged_next_];
        if (paced && !Due(next.time)) break;
        out.AppendSwap(next);
        ++staged_next_;
        continue;
      }
      staged_.Clear();
      staged_next_ = 0;
      if (finished_ || line_budget-- == 0) break;
      if (paced) {
        ReadRecord(staged_, now);
      } else {
        if (json_) {
          ReadJsonBlock(out, now, max_events - (out.size() - start));
        } else {
          ReadRecord(out, now);
        }
        // A JSON array line can exceed max_events: keep the excess.
        while (out.size() - start > max_events) {
          staged_.AppendSwap(out.back());
          out.PopBack();
        }
        std::reverse(staged_.begin(), staged_.end());
      }
    }
    if (out.size() > start) return PollResult::kData;
    if (finished_ && staged_next_ >= staged_.size()) return PollResult::kEnd;
    return PollResult::kIdle;
  }

  void Stop() override {
    reader_.Close();
    started_ = false;
  }

 private:
  Status ReadCsvHeader() {
    std::string_view line;
    size_t readable = 0;
    while (true) {
      switch (reader_.NextLine(&line, &readable)) {
        case LineReader::Next::kLine:
          if (reader_.line_number() == 1) line = StripBom(line);
          if (IsBlank(line)) continue;
          if (Status s = csv_->ReadHeader(line); !s.ok()) {
            return s.WithContext(config_.path + ":" + std::to_string(reader_.line_number()));
          }
          header_line_ = reader_.line_number();
          return Status::Ok();
        case LineReader::Next::kTooLong:
          return InvalidData(config_.path + ":" + std::to_string(reader_.line_number()) +
                             ": CSV header longer than max_line_bytes");
        case LineReader::Next::kEnd: return Status::Ok();  // empty file: nothing to replay
        case LineReader::Next::kError:
          return IoError(config_.path + ": " + reader_.error());
      }
    }
  }

  static constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

  static std::string_view StripBom(std::string_view line) {
    if (line.starts_with(kUtf8Bom)) line.remove_prefix(kUtf8Bom.size());
    return line;
  }

  // Decodes the complete JSON lines in the read buffer (up to `max_events`
  // events) into `out` in one go; the fast path of `speed: max`.
  void ReadJsonBlock(Batch& out, TimeMicros now, size_t max_events) {
    std::string_view block;
    size_t readable = 0;
    const LineReader::Next next = reader_.NextBlock(&block, &readable);
    if (next != LineReader::Next::kLine) {
      HandleNoLine(next, block);
      return;
    }
    if (reader_.offset() == 0 && block.starts_with(kUtf8Bom)) {
      reader_.Consume(kUtf8Bom.size());  // a byte-order mark at the start of the file
      return;
    }
    const size_t before = out.size();
    size_t consumed = 0;
    const DecodeResult result =
        json_->DecodeLinesInPlace(block, readable, now, out, on_reject_, max_events, &consumed);
    reader_.Consume(consumed);
    Accepted(result, out, before);
  }

  void HandleNoLine(LineReader::Next next, std::string_view excerpt) {
    switch (next) {
      case LineReader::Next::kLine: return;
      case LineReader::Next::kTooLong: rejects_.Reject(DecodeReason::kTooLarge, excerpt); return;
      case LineReader::Next::kEnd: EndOfFile(); return;
      case LineReader::Next::kError:
        if (ctx_.counters.errors) ctx_.counters.errors->Add();
        spdlog::error("replay {}: reading {}: {}", ctx_.id, config_.path, reader_.error());
        finished_ = true;
        return;
    }
  }

  // Counts dropped fields and, when looping, tracks and shifts event times
  // of the events appended from `before` on.
  void Accepted(const DecodeResult& result, Batch& out, size_t before) {
    rejects_.AddFieldsDropped(result.fields_dropped);
    if (config_.loop) {
      for (size_t i = before; i < out.size(); ++i) {
        Event& e = out[i];
        if (pass_events_ == 0) pass_first_time_ = pass_max_time_ = e.time;
        pass_max_time_ = std::max(pass_max_time_, e.time);
        ++pass_events_;
        e.time += time_offset_;
      }
    }
  }

  // Reads one line and decodes it into `out`; at the end of the file
  // restarts (loop) or finishes.
  void ReadRecord(Batch& out, TimeMicros now) {
    std::string_view line;
    size_t readable = 0;
    const LineReader::Next next = reader_.NextLine(&line, &readable);
    if (next != LineReader::Next::kLine) {
      HandleNoLine(next, line);
      return;
    }
    if (reader_.line_number() == 1) line = StripBom(line);
    if (line.empty() || ((line.front() == ' ' || line.front() == '\t') && IsBlank(line))) return;
    if (reader_.line_number() == header_line_) return;  // the CSV header, on a loop pass

    const size_t before = out.size();
    const DecodeResult result =
        json_ ? json_->DecodeInPlace(line, readable, now, out, on_reject_)
              : csv_->DecodeLine(line, now, out, on_reject_);
    Accepted(result, out, before);
  }

  void EndOfFile() {
    if (!config_.loop || pass_events_ == 0) {
      if (config_.loop) {
        spdlog::warn("replay {}: {} holds no valid events; not looping", ctx_.id, config_.path);
      }
      finished_ = true;
      return;
    }
    // Shift the next pass so its first event follows the last one of this
    // pass by the mean interval between events.
    const TimeMicros span = pass_max_time_ - pass_first_time_;
    const TimeMicros interval =
        pass_events_ > 1 ? std::max<TimeMicros>(1, span / static_cast<TimeMicros>(pass_events_ - 1))
                         : kMicrosPerSecond;
    time_offset_ += span + interval;
    pass_events_ = 0;
    if (Status s = reader_.Rewind(); !s.ok()) {
      if (ctx_.counters.errors) ctx_.counters.errors->Add();
      spdlog::error("replay {}: rewinding {}: {}", ctx_.id, config_.path, s.message());
      finished_ = true;
    }
  }

  // Whether an event with this (shifted) time is due at the recorded pace.
  // The first event fixes the mapping from event time to the clock.
  bool Due(TimeMicros event_time) {
    const TimeMicros mono = clock_->Monotonic();
    if (!anchored_) {
      anchored_ = true;
      anchor_event_time_ = event_time;
      anchor_mono_ = mono;
      return true;
    }
    const double wait = static_cast<double>(event_time - anchor_event_time_) / config_.speed;
    return static_cast<double>(mono - anchor_mono_) >= wait;
  }

  const ReplayConfig config_;
  const ComponentContext ctx_;
  SourceRejects rejects_{ctx_};
  const Clock* const clock_;
  LineReader reader_;
  std::optional<JsonDecoder> json_;
  std::optional<CsvDecoder> csv_;
  RejectFn on_reject_;
  bool started_ = false;
  bool finished_ = false;
  uint64_t header_line_ = 0;  // line number of the CSV header, 0 if none

  // Events decoded but not yet handed out: the excess of a long JSON array
  // line, or (paced) the events waiting for their time.
  Batch staged_;
  size_t staged_next_ = 0;

  // Pacing.
  bool anchored_ = false;
  TimeMicros anchor_event_time_ = 0;
  TimeMicros anchor_mono_ = 0;

  // Looping: event times of the current pass, before shifting.
  uint64_t pass_events_ = 0;
  TimeMicros pass_first_time_ = 0;
  TimeMicros pass_max_time_ = 0;
  TimeMicros time_offset_ = 0;
};

// "max" -> 0, "realtime" -> 1, "10" or "10x" -> 10.
std::optional<double> ParseSpeed(const ConfigNode& node) {
  const std::string text = node.String("max");
  if (text == "max") return 0.0;
  if (text == "realtime") return 1.0;
  std::string_view number = text;
  if (!number.empty() && (number.back() == 'x' || number.back() == 'X')) number.remove_suffix(1);
  double factor = 0;
  auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), factor);
  if (ec != std::errc() || ptr != number.data() + number.size() || !std::isfinite(factor) ||
      factor <= 0) {
    node.Error("expected max, realtime or a speed-up factor > 0 such as 10, got '" + text + "'");
    return std::nullopt;
  }
  return factor;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::optional<ReplayFormat> FormatFromPath(std::string_view path) {
  if (EndsWith(path, ".jsonl") || EndsWith(path, ".ndjson") || EndsWith(path, ".json")) {
    return ReplayFormat::kJsonLines;
  }
  if (EndsWith(path, ".csv")) return ReplayFormat::kCsv;
  return std::nullopt;
}

const std::vector<std::string>& JsonOnlyKeys() {
  static const std::vector<std::string> keys = {"tags_field", "arrays", "strict", "max_depth"};
  return keys;
}
const std::vector<std::string>& CsvOnlyKeys() {
  static const std::vector<std::string> keys = {"columns", "delimiter"};
  return keys;
}

std::optional<ReplayConfig> ParseReplayConfig(const ConfigNode& config) {
  const size_t errors_before = config.ErrorCount();
  ReplayConfig c;
  bool ok = true;
  const ConfigNode path = config["path"];
  c.path = path.String("");
  if (path.defined() && c.path.empty()) {
    path.Error("must not be empty");
    ok = false;
  }
  if (!path.defined()) ok = false;  // reported by the registry's required-key check

  const ConfigNode format = config["format"];
  if (format.defined()) {
    const std::string f = format.Enum("", {"jsonl", "csv"});
    if (f.empty()) ok = false;
    c.format = f == "csv" ? ReplayFormat::kCsv : ReplayFormat::kJsonLines;
  } else if (!c.path.empty()) {
    std::optional<ReplayFormat> guessed = FormatFromPath(c.path);
    if (guessed) {
      c.format = *guessed;
    } else {
      path.Error("cannot tell the format from the file name",
                 "name it .jsonl, .ndjson, .json or .csv, or set format: jsonl | csv");
      ok = false;
    }
  }
  // Options of the other format are mistakes, not no-ops.
  const auto& foreign = c.format == ReplayFormat::kCsv ? JsonOnlyKeys() : CsvOnlyKeys();
  for (const std::string& key : foreign) {
    if (config.Has(key)) {
      config[key].Error(std::string("only applies to format: ") +
                        (c.format == ReplayFormat::kCsv ? "jsonl" : "csv"));
      ok = false;
    }
  }

  std::optional<double> speed = ParseSpeed(config["speed"]);
  if (!speed) ok = false;
  c.speed = speed.value_or(0);
  c.loop = config["loop"].Bool(false);

  const ConfigNode max_line = config["max_line_bytes"];
  c.max_line_bytes = max_line.Size(kDefaultMaxLineBytes);
  if (c.max_line_bytes < 1 || c.max_line_bytes > kMaxBufferBytes) {
    max_line.Error("must be between 1B and 1GB");
    ok = false;
  }
  const ConfigNode read_buffer = config["read_buffer"];
  c.read_buffer = read_buffer.Size(kDefaultReadBuffer);
  if (c.read_buffer < 1 || c.read_buffer > kMaxBufferBytes) {
    read_buffer.Error("must be between 1B and 1GB");
    ok = false;
  }

  DecodeOptions common = ParseDecodeOptions(config);
  common.max_bytes = c.max_line_bytes;
  static_cast<DecodeOptions&>(c.json) = common;
  static_cast<DecodeOptions&>(c.csv) = common;
  if (c.format == ReplayFormat::kJsonLines) {
    ParseJsonDecoderOptions(config, &c.json);
  } else {
    ParseCsvDecoderOptions(config, &c.csv);
  }
  if (config.ErrorCount() != errors_before) ok = false;
  if (!ok) return std::nullopt;
  return c;
}

}  // namespace

ComponentDef ReplaySourceDef() {
  ComponentDef def;
  def.kind = ComponentKind::kSource;
  def.type = "replay";
  def.summary = "Replays a recorded file of readings (JSON lines or CSV), fast or at its pace.";
  def.description =
      "Reads the file in chunks with bounded memory (read_buffer + max_line_bytes), decodes each "
      "line into an event and emits it as fast as the pipeline takes them (`speed: max`), at the "
      "recorded pace (`realtime`: the gaps between event times are waited on the processing "
      "clock) or at a multiple of it (`speed: 10`). With `loop: true` it starts over at the end, "
      "shifting event times so they keep increasing. Bad lines are counted as "
      "`dropped{reason=...}` (`malformed_json`, `malformed_csv`, `not_an_object`, "
      "`missing_time`, `bad_time`, `time_out_of_range`, `missing_device`, `non_finite`, "
      "`type_mismatch`, `unsupported_value`, `too_large`) and sent to the dead letters; blank "
      "lines are skipped. See docs/sources/replay.md.";
  def.params = {
      {"path", "string", "", "File to replay (relative to the working directory).", true},
      {"format", "jsonl | csv", "from the extension",
       "`jsonl`: one JSON object per line (.jsonl, .ndjson, .json); `csv`: a header line (or "
       "`columns`) then one record per line (.csv).",
       false},
      {"speed", "max | realtime | factor", "max",
       "`max`: as fast as possible; `realtime`: the recorded pace; a number such as 10: that many "
       "times the recorded pace.",
       false},
      {"loop", "bool", "false",
       "Start over at the end of the file; each pass's event times are shifted to follow the "
       "previous pass.",
       false},
      {"max_line_bytes", "size", "1MB",
       "Longer lines are skipped and rejected (`too_large`); also bounds the memory used.", false},
      {"read_buffer", "size", "256KB", "Bytes read from the file at a time.", false},
  };
  for (ParamDef& p : DecodeParamDefs()) def.params.push_back(std::move(p));
  for (ParamDef& p : JsonDecoderParamDefs()) def.params.push_back(std::move(p));
  for (ParamDef& p : CsvDecoderParamDefs()) def.params.push_back(std::move(p));
  def.example =
      "id: recorded\n"
      "type: replay\n"
      "path: recordings/press-line-7.jsonl\n"
      "speed: realtime\n"
      "loop: true\n"
      "time_format: unix_ms\n"
      "types: { temperature_f: number, vibration_rms: number }\n";
  def.make_source = [](BuildContext& ctx) -> std::unique_ptr<Source> {
    std::optional<ReplayConfig> config = ParseReplayConfig(ctx.config);
    if (!config) return nullptr;
    return std::make_unique<ReplaySource>(std::move(*config), ctx.services);
  };
  return def;
}

}  // namespace edgeflow
