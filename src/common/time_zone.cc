#include "common/time_zone.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <limits>
#include <vector>

#include "common/time_format.h"

namespace edgeflow {

namespace {

constexpr int64_t kSecondsPerHour = 3600;
constexpr int64_t kSecondsPerDay = 86400;
// Largest TZif file we read; real ones are under 4 KiB.
constexpr int64_t kMaxTzifBytes = 1 << 20;
// |UTC offset| < 26 h (RFC 8536 allows -89999..93599 s), so every instant
// with a given local time lies within this distance of that local time.
constexpr int64_t kLocalSearchSeconds = 2 * kSecondsPerDay;
// Rule changes before 2101-01-01T00:00:00Z are tabulated at load.
constexpr int64_t kRuleTableEndSeconds = 4133980800;

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// A date in a POSIX TZ rule.
struct RuleDate {
  enum class Kind { kJulianNoLeap, kZeroBased, kMonthWeekDay };
  Kind kind = Kind::kMonthWeekDay;
  int day = 0;    // Jn: 1..365; n: 0..365
  int month = 0;  // Mm.w.d
  int week = 0;
  int weekday = 0;  // 0 = Sunday
};

// "std offset [dst [offset] [,start[/time],end[/time]]]" (RFC 8536 3.3).
struct PosixRule {
  int32_t std_offset = 0;  // UTC offset in seconds (east positive)
  bool has_dst = false;
  int32_t dst_offset = 0;
  RuleDate start;
  RuleDate end;
  int32_t start_time = 2 * kSecondsPerHour;  // local standard time
  int32_t end_time = 2 * kSecondsPerHour;    // local daylight time
};

bool IsLeapYear(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// Days since the epoch of `date` in year `y`.
int64_t RuleDateToDays(const RuleDate& date, int64_t y) {
  const int64_t jan1 = DaysFromCivil(y, 1, 1);
  switch (date.kind) {
    case RuleDate::Kind::kJulianNoLeap:
      return jan1 + date.day - 1 + ((IsLeapYear(y) && date.day >= 60) ? 1 : 0);
    case RuleDate::Kind::kZeroBased:
      return jan1 + date.day;
    case RuleDate::Kind::kMonthWeekDay: {
      const unsigned m = static_cast<unsigned>(date.month);
      const int64_t first = DaysFromCivil(y, m, 1);
      const int64_t next_month = m == 12 ? DaysFromCivil(y + 1, 1, 1) : DaysFromCivil(y, m + 1, 1);
      const int64_t first_weekday = ((first + 4) % 7 + 7) % 7;  // 1970-01-01 was a Thursday
      int64_t day = first + (date.weekday - first_weekday + 7) % 7 + 7 * (date.week - 1);
      while (day >= next_month) day -= 7;  // week 5 = last
      return day;
    }
  }
  return jan1;
}

// Parses POSIX TZ strings with the RFC 8536 extensions.
class PosixRuleParser {
 public:
  explicit PosixRuleParser(std::string_view text) : text_(text) {}

  Result<PosixRule> Parse() {
    PosixRule rule;
    if (!ParseName()) return Error("expected a standard-time name");
    int32_t std_seconds;
    if (!ParseHms(24, &std_seconds)) return Error("expected a standard-time offset");
    rule.std_offset = -std_seconds;  // POSIX offsets are west-positive
    if (AtEnd()) return rule;
    if (!ParseName()) return Error("expected a daylight-time name");
    rule.has_dst = true;
    rule.dst_offset = rule.std_offset + static_cast<int32_t>(kSecondsPerHour);
    if (!AtEnd() && Peek() != ',') {
      int32_t dst_seconds;
      if (!ParseHms(24, &dst_seconds)) return Error("expected a daylight-time offset");
      rule.dst_offset = -dst_seconds;
    }
    if (AtEnd()) {
      // POSIX leaves this implementation-defined; glibc uses the US rule.
      rule.start = {RuleDate::Kind::kMonthWeekDay, 0, 3, 2, 0};
      rule.end = {RuleDate::Kind::kMonthWeekDay, 0, 11, 1, 0};
      return rule;
    }
    if (!Consume(',') || !ParseDate(&rule.start)) return Error("expected a DST start date");
    if (Consume('/') && !ParseHms(167, &rule.start_time)) return Error("bad DST start time");
    if (!Consume(',') || !ParseDate(&rule.end)) return Error("expected a DST end date");
    if (Consume('/') && !ParseHms(167, &rule.end_time)) return Error("bad DST end time");
    if (!AtEnd()) return Error("unexpected trailing characters");
    return rule;
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }
  bool Consume(char c) {
    if (!AtEnd() && Peek() == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  static bool IsAlpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }

  Status Error(std::string_view what) const {
    return Corruption("bad POSIX TZ rule '" + std::string(text_) + "' at offset " +
                      std::to_string(pos_) + ": " + std::string(what));
  }

  // A name: 3+ letters, or <...> of letters, digits, '+' and '-'.
  bool ParseName() {
    size_t start = pos_;
    if (Consume('<')) {
      while (!AtEnd() && (IsAlpha(Peek()) || IsDigit(Peek()) || Peek() == '+' || Peek() == '-')) {
        ++pos_;
      }
      const size_t length = pos_ - start - 1;
      return Consume('>') && length >= 3;
    }
    while (!AtEnd() && IsAlpha(Peek())) ++pos_;
    return pos_ - start >= 3;
  }

  // Up to `max_digits` decimal digits as an int within [0, max_value].
  bool ParseNumber(size_t max_digits, int max_value, int* out) {
    size_t digits = 0;
    int value = 0;
    while (!AtEnd() && IsDigit(Peek()) && digits < max_digits) {
      value = value * 10 + (Peek() - '0');
      ++pos_;
      ++digits;
    }
    if (digits == 0 || value > max_value) return false;
    *out = value;
    return true;
  }

  // [+|-]hh[:mm[:ss]] with hh <= max_hours.
  bool ParseHms(int max_hours, int32_t* seconds) {
    int sign = 1;
    if (Consume('-')) {
      sign = -1;
    } else {
      Consume('+');
    }
    int hours = 0, minutes = 0, secs = 0;
    if (!ParseNumber(3, max_hours, &hours)) return false;
    if (Consume(':')) {
      if (!ParseNumber(2, 59, &minutes)) return false;
      if (Consume(':') && !ParseNumber(2, 59, &secs)) return false;
    }
    *seconds = sign * (hours * 3600 + minutes * 60 + secs);
    return true;
  }

  bool ParseDate(RuleDate* date) {
    if (Consume('J')) {
      date->kind = RuleDate::Kind::kJulianNoLeap;
      return ParseNumber(3, 365, &date->day) && date->day >= 1;
    }
    if (Consume('M')) {
      date->kind = RuleDate::Kind::kMonthWeekDay;
      return ParseNumber(2, 12, &date->month) && date->month >= 1 && Consume('.') &&
             ParseNumber(1, 5, &date->week) && date->week >= 1 && Consume('.') &&
             ParseNumber(1, 6, &date->weekday);
    }
    date->kind = RuleDate::Kind::kZeroBased;
    return ParseNumber(3, 365, &date->day);
  }

  std::string_view text_;
  size_t pos_ = 0;
};

// A maximal stretch [start, end) of UTC seconds with one UTC offset (bounds
// may also be "fake": a boundary where the offset does not change, which is
// harmless to every algorithm below).
struct Interval {
  int32_t offset = 0;
  bool has_start = false;
  int64_t start = 0;
  int32_t prev_offset = 0;  // the offset at start - 1
  int64_t prev_start = 0;   // when the previous interval began (rule intervals only)
  bool has_end = false;
  int64_t end = 0;
};

// The rule's interval containing `s`, from the transitions of the years
// around it (times may be up to 167 h from their date, so a window of years
// is used rather than one).
Interval RuleIntervalAt(const PosixRule& rule, int64_t s) {
  Interval iv;
  iv.offset = rule.std_offset;
  if (!rule.has_dst) return iv;

  int64_t year;
  unsigned month, day;
  CivilFromDays(FloorDiv(s, kSecondsPerDay), &year, &month, &day);
  struct Change {
    int64_t time;
    int32_t offset;
  };
  std::array<Change, 8> raw;
  size_t count = 0;
  for (int64_t y = year - 2; y <= year + 1; ++y) {
    raw[count++] = {RuleDateToDays(rule.start, y) * kSecondsPerDay + rule.start_time - rule.std_offset,
                    rule.dst_offset};
    raw[count++] = {RuleDateToDays(rule.end, y) * kSecondsPerDay + rule.end_time - rule.dst_offset,
                    rule.std_offset};
  }
  // Stable insertion sort (std::stable_sort may allocate); nearly sorted.
  for (size_t i = 1; i < count; ++i) {
    const Change change = raw[i];
    size_t j = i;
    for (; j > 0 && raw[j - 1].time > change.time; --j) raw[j] = raw[j - 1];
    raw[j] = change;
  }
  // Simultaneous changes: the later-listed wins. Then drop non-changes.
  std::array<Change, 8> changes;
  size_t n = 0;
  for (size_t i = 0; i < count; ++i) {
    if (i + 1 < count && raw[i + 1].time == raw[i].time) continue;
    if (n > 0 && changes[n - 1].offset == raw[i].offset) continue;
    changes[n++] = raw[i];
  }

  // Last change at or before s.
  size_t next = 0;
  while (next < n && changes[next].time <= s) ++next;
  const int64_t window_end = DaysFromCivil(year + 2, 1, 1) * kSecondsPerDay;
  iv.has_end = true;
  iv.end = next < n ? changes[next].time : std::max(window_end, s + 1);
  iv.has_start = true;
  if (next == 0) {
    // Only for rules with transitions >100 h past their date: a fake start.
    iv.offset = changes[0].offset == rule.dst_offset ? rule.std_offset : rule.dst_offset;
    iv.start = s;
    iv.prev_offset = iv.offset;
    iv.prev_start = s;
  } else if (next == 1) {
    // No change for over a year before s (e.g. DST all year): a fake start.
    iv.offset = changes[0].offset;
    iv.start = changes[0].time;
    iv.prev_offset = iv.offset;
    iv.prev_start = iv.start;
  } else {
    iv.offset = changes[next - 1].offset;
    iv.start = changes[next - 1].time;
    iv.prev_offset = changes[next - 2].offset;
    iv.prev_start = changes[next - 2].time;
  }
  return iv;
}

bool ValidWeekday(int weekday) { return weekday >= 1 && weekday <= 7; }

// The local start (in local seconds) of the period containing `local`.
int64_t PeriodStart(int64_t local, CalendarUnit unit, int week_start) {
  switch (unit) {
    case CalendarUnit::kHour:
      return FloorDiv(local, kSecondsPerHour) * kSecondsPerHour;
    case CalendarUnit::kDay:
      return FloorDiv(local, kSecondsPerDay) * kSecondsPerDay;
    case CalendarUnit::kWeek: {
      const int64_t days = FloorDiv(local, kSecondsPerDay);
      const int64_t iso_weekday = ((days + 3) % 7 + 7) % 7 + 1;  // 1970-01-01: Thursday = 4
      return (days - (iso_weekday - week_start + 7) % 7) * kSecondsPerDay;
    }
    case CalendarUnit::kMonth: {
      int64_t year;
      unsigned month, day;
      CivilFromDays(FloorDiv(local, kSecondsPerDay), &year, &month, &day);
      return DaysFromCivil(year, month, 1) * kSecondsPerDay;
    }
  }
  return local;
}

// The first period start strictly after `local`.
int64_t NextPeriodStart(int64_t local, CalendarUnit unit, int week_start) {
  const int64_t start = PeriodStart(local, unit, week_start);
  switch (unit) {
    case CalendarUnit::kHour:
      return start + kSecondsPerHour;
    case CalendarUnit::kDay:
      return start + kSecondsPerDay;
    case CalendarUnit::kWeek:
      return start + 7 * kSecondsPerDay;
    case CalendarUnit::kMonth: {
      int64_t year;
      unsigned month, day;
      CivilFromDays(FloorDiv(start, kSecondsPerDay), &year, &month, &day);
      return (month == 12 ? DaysFromCivil(year + 1, 1, 1) : DaysFromCivil(year, month + 1, 1)) *
             kSecondsPerDay;
    }
  }
  return start;
}

// Big-endian reader over the TZif bytes with bounds checks.
class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}
  size_t pos() const { return pos_; }
  size_t remaining() const { return bytes_.size() - pos_; }
  bool Skip(uint64_t n) {
    if (n > remaining()) return false;
    pos_ += static_cast<size_t>(n);
    return true;
  }
  bool ReadU8(uint8_t* out) {
    if (remaining() < 1) return false;
    *out = static_cast<uint8_t>(bytes_[pos_++]);
    return true;
  }
  bool ReadBE(int size, int64_t* out) {
    if (remaining() < static_cast<size_t>(size)) return false;
    uint64_t v = 0;
    for (int i = 0; i < size; ++i) v = (v << 8) | static_cast<uint8_t>(bytes_[pos_ + i]);
    pos_ += static_cast<size_t>(size);
    if (size == 4) {
      *out = static_cast<int32_t>(static_cast<uint32_t>(v));
    } else {
      *out = static_cast<int64_t>(v);
    }
    return true;
  }
  std::string_view Rest() const { return bytes_.substr(pos_); }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

struct TzifCounts {
  char version = 0;
  uint32_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;

  uint64_t DataBytes(int time_size) const {
    return uint64_t{timecnt} * time_size + timecnt + uint64_t{typecnt} * 6 + charcnt +
           uint64_t{leapcnt} * (time_size + 4) + isstdcnt + isutcnt;
  }
};

bool ValidZoneName(std::string_view name) {
  if (name.empty() || name.size() > 255 || name.front() == '/' || name.back() == '/') return false;
  size_t segment_start = 0;
  for (size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '/') {
      std::string_view segment = name.substr(segment_start, i - segment_start);
      if (segment.empty() || segment == "." || segment == "..") return false;
      segment_start = i + 1;
      continue;
    }
    const char c = name[i];
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '+';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

struct TimeZone::Data {
  std::string name;
  // Instants (UTC seconds, ascending) at which the offset changes, and the
  // offset from each on; before the first, `initial_offset` applies.
  std::vector<int64_t> transitions;
  std::vector<int32_t> offsets;
  int32_t initial_offset = 0;
  // Applies from the last transition on (or everywhere without transitions).
  bool has_rule = false;
  PosixRule rule;

  Interval IntervalAt(int64_t s) const;

  // Appends the rule's changes up to kRuleTableEndSeconds to the table, so
  // that lookups in the near future are a binary search (a rule evaluation
  // costs ~20 divisions) even with "slim" files. Rule-only zones (no
  // transitions) are left alone: their rule applies to all times.
  void ExtendTransitionsWithRule();
};

void TimeZone::Data::ExtendTransitionsWithRule() {
  if (!has_rule || !rule.has_dst || transitions.empty()) return;
  int64_t s = transitions.back();
  while (s < kRuleTableEndSeconds) {
    const Interval iv = IntervalAt(s);
    if (!iv.has_end || iv.end >= kRuleTableEndSeconds) break;
    const int32_t offset = IntervalAt(iv.end).offset;
    if (offset != offsets.back()) {
      transitions.push_back(iv.end);
      offsets.push_back(offset);
    }
    s = iv.end;
  }
}

Interval TimeZone::Data::IntervalAt(int64_t s) const {
  const size_t n = transitions.size();
  if (!has_rule || (n > 0 && s < transitions.back())) {
    Interval iv;
    const size_t after = static_cast<size_t>(
        std::upper_bound(transitions.begin(), transitions.end(), s) - transitions.begin());
    if (after == 0) {
      iv.offset = initial_offset;
    } else {
      iv.offset = offsets[after - 1];
      iv.has_start = true;
      iv.start = transitions[after - 1];
      iv.prev_offset = after >= 2 ? offsets[after - 2] : initial_offset;
    }
    if (after < n) {
      iv.has_end = true;
      iv.end = transitions[after];
    }
    return iv;
  }
  Interval iv = RuleIntervalAt(rule, s);
  if (n == 0) return iv;
  const int64_t last = transitions.back();
  if (!iv.has_start || iv.start <= last) {
    // The file's last transition is the most recent change.
    iv.offset = offsets.back();
    iv.has_start = true;
    iv.start = last;
    iv.prev_offset = n >= 2 ? offsets[n - 2] : initial_offset;
  } else if (iv.prev_start <= last) {
    iv.prev_offset = offsets.back();
  }
  return iv;
}

TimeZone::TimeZone() : TimeZone(std::make_shared<const Data>(Data{"UTC", {}, {}, 0, false, {}})) {}

Result<TimeZone> TimeZone::Load(std::string_view name, std::string_view zoneinfo_dir) {
  if (!ValidZoneName(name)) {
    return InvalidConfig("invalid time zone name '" + std::string(name) +
                         "': expected a relative name like 'Europe/Berlin'");
  }
  if (name == "UTC" || name == "Etc/UTC") {
    return TimeZone(std::make_shared<const Data>(Data{std::string(name), {}, {}, 0, false, {}}));
  }
  std::string path(zoneinfo_dir);
  if (!path.empty() && path.back() != '/') path += '/';
  path += name;

  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    if (error == ENOENT || error == ENOTDIR) {
      return NotFound("time zone '" + std::string(name) + "' not found (no file " + path + ")");
    }
    return IoError("cannot open " + path + ": " + std::strerror(error));
  }
  std::string bytes;
  Status status;
  struct stat info;
  if (::fstat(fd, &info) != 0) {
    status = IoError("cannot stat " + path + ": " + std::strerror(errno));
  } else if (!S_ISREG(info.st_mode)) {
    status = NotFound("time zone '" + std::string(name) + "' not found (" + path +
                      " is not a zone file)");
  } else if (info.st_size > kMaxTzifBytes) {
    status = Corruption(path + " is too large for a TZif file");
  } else {
    bytes.resize(static_cast<size_t>(info.st_size));
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t got = ::read(fd, bytes.data() + done, bytes.size() - done);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) {
        status = IoError("cannot read " + path + ": " + std::strerror(errno));
        break;
      }
      if (got == 0) break;
      done += static_cast<size_t>(got);
    }
    bytes.resize(done);
  }
  ::close(fd);
  if (!status.ok()) return status;
  return FromTzif(name, bytes);
}

Result<TimeZone> TimeZone::FromTzif(std::string_view name, std::string_view tzif_bytes) {
  const std::string where = "time zone '" + std::string(name) + "': ";
  ByteReader reader(tzif_bytes);

  auto read_header = [&](TzifCounts* counts) -> Status {
    if (reader.remaining() < 44 || reader.Rest().substr(0, 4) != "TZif") {
      return Corruption(where + "not a TZif file");
    }
    counts->version = reader.Rest()[4];
    if (counts->version != 0 && counts->version < '2') {
      return Corruption(where + "unknown TZif version byte " +
                        std::to_string(static_cast<int>(counts->version)));
    }
    (void)reader.Skip(20);
    std::array<uint32_t*, 6> fields = {&counts->isutcnt, &counts->isstdcnt, &counts->leapcnt,
                                       &counts->timecnt, &counts->typecnt,  &counts->charcnt};
    for (uint32_t* field : fields) {
      int64_t v = 0;
      (void)reader.ReadBE(4, &v);
      *field = static_cast<uint32_t>(v);
    }
    if (counts->typecnt == 0 || counts->typecnt > 256 || counts->charcnt == 0 ||
        (counts->isutcnt != 0 && counts->isutcnt != counts->typecnt) ||
        (counts->isstdcnt != 0 && counts->isstdcnt != counts->typecnt)) {
      return Corruption(where + "inconsistent TZif header counts");
    }
    return Status::Ok();
  };

  TzifCounts counts;
  EF_RETURN_IF_ERROR(read_header(&counts));
  int time_size = 4;
  if (counts.version != 0) {
    // Skip the 32-bit block; the 64-bit one after it has the full range.
    if (!reader.Skip(counts.DataBytes(4))) return Corruption(where + "truncated TZif v1 block");
    EF_RETURN_IF_ERROR(read_header(&counts));
    time_size = 8;
  }
  if (counts.leapcnt != 0) {
    return InvalidConfig(where + "zones with leap seconds ('right/...') are not supported");
  }
  if (reader.remaining() < counts.DataBytes(time_size)) {
    return Corruption(where + "truncated TZif data block");
  }

  std::vector<int64_t> times(counts.timecnt);
  for (int64_t& t : times) (void)reader.ReadBE(time_size, &t);
  for (size_t i = 1; i < times.size(); ++i) {
    if (times[i] <= times[i - 1]) return Corruption(where + "TZif transitions out of order");
  }
  std::vector<uint8_t> type_index(counts.timecnt);
  for (uint8_t& index : type_index) {
    (void)reader.ReadU8(&index);
    if (index >= counts.typecnt) return Corruption(where + "TZif transition type out of range");
  }
  std::vector<int32_t> type_offset(counts.typecnt);
  for (int32_t& offset : type_offset) {
    int64_t utoff = 0;
    uint8_t isdst = 0, abbrev_index = 0;
    (void)reader.ReadBE(4, &utoff);
    (void)reader.ReadU8(&isdst);
    (void)reader.ReadU8(&abbrev_index);
    if (utoff < -89999 || utoff > 93599 || isdst > 1 || abbrev_index >= counts.charcnt) {
      return Corruption(where + "bad TZif local time type");
    }
    offset = static_cast<int32_t>(utoff);
  }
  (void)reader.Skip(uint64_t{counts.charcnt} + counts.isstdcnt + counts.isutcnt);

  Data data;
  data.name = std::string(name);
  data.initial_offset = type_offset[0];  // RFC 8536: type 0 applies before the first transition
  for (size_t i = 0; i < times.size(); ++i) {
    const int32_t offset = type_offset[type_index[i]];
    const int32_t previous = data.offsets.empty() ? data.initial_offset : data.offsets.back();
    if (offset == previous) continue;  // only an abbreviation or isdst change
    data.transitions.push_back(times[i]);
    data.offsets.push_back(offset);
  }

  if (counts.version != 0) {
    std::string_view rest = reader.Rest();
    if (rest.empty() || rest.front() != '\n') return Corruption(where + "missing TZif footer");
    const size_t end = rest.find('\n', 1);
    if (end == std::string_view::npos) return Corruption(where + "unterminated TZif footer");
    std::string_view footer = rest.substr(1, end - 1);
    if (!footer.empty()) {
      Result<PosixRule> rule = PosixRuleParser(footer).Parse();
      if (!rule.ok()) return rule.status().WithContext(where + "TZif footer");
      data.has_rule = true;
      data.rule = *rule;
    }
  }
  data.ExtendTransitionsWithRule();
  return TimeZone(std::make_shared<const Data>(std::move(data)));
}

Result<TimeZone> TimeZone::FromPosixRule(std::string_view rule) {
  Result<PosixRule> parsed = PosixRuleParser(rule).Parse();
  if (!parsed.ok()) return parsed.status();
  Data data;
  data.name = std::string(rule);
  data.initial_offset = parsed->std_offset;
  data.has_rule = true;
  data.rule = *parsed;
  return TimeZone(std::make_shared<const Data>(std::move(data)));
}

const std::string& TimeZone::name() const { return data_->name; }

int64_t TimeZone::OffsetSeconds(TimeMicros utc) const {
  return data_->IntervalAt(FloorDiv(utc, kMicrosPerSecond)).offset;
}

TimeMicros TimeZone::LocalToUtc(int64_t local_seconds) const {
  // Walk the offset intervals around the local time in order; the first
  // interval that contains `local - offset` holds the earliest instant.
  Interval iv = data_->IntervalAt(local_seconds - kLocalSearchSeconds);
  bool has_previous = false;
  int32_t previous_offset = 0;
  for (;;) {
    const int64_t utc = local_seconds - iv.offset;
    if ((!iv.has_start || utc >= iv.start) && (!iv.has_end || utc < iv.end)) {
      return utc * kMicrosPerSecond;
    }
    if (has_previous && iv.has_start && local_seconds - previous_offset >= iv.start &&
        utc < iv.start) {
      // In the gap that opened at iv.start: read with the offset before it.
      return (local_seconds - previous_offset) * kMicrosPerSecond;
    }
    if (!iv.has_end || iv.end > local_seconds + kLocalSearchSeconds) break;
    has_previous = true;
    previous_offset = iv.offset;
    iv = data_->IntervalAt(iv.end);
  }
  // Unreachable for offsets within RFC 8536 limits.
  return (local_seconds - iv.offset) * kMicrosPerSecond;
}

TimeMicros TimeZone::FloorToCalendar(TimeMicros utc, CalendarUnit unit,
                                     int week_start_weekday) const {
  CHECK(ValidWeekday(week_start_weekday)) << "week_start_weekday " << week_start_weekday;
  int64_t s = FloorDiv(utc, kMicrosPerSecond);
  for (;;) {
    const Interval iv = data_->IntervalAt(s);
    const int64_t local_start = PeriodStart(s + iv.offset, unit, week_start_weekday);
    const int64_t candidate = local_start - iv.offset;
    if (!iv.has_start || candidate > iv.start) return candidate * kMicrosPerSecond;
    // The period began at or before this interval's start.
    if (candidate == iv.start && unit == CalendarUnit::kHour) return candidate * kMicrosPerSecond;
    const int64_t local_before = iv.start - 1 + iv.prev_offset;
    if (PeriodStart(local_before, unit, week_start_weekday) != local_start) {
      return iv.start * kMicrosPerSecond;
    }
    s = iv.start - 1;
  }
}

TimeMicros TimeZone::NextCalendarBoundary(TimeMicros period_start_utc, CalendarUnit unit,
                                          int week_start_weekday) const {
  CHECK(ValidWeekday(week_start_weekday)) << "week_start_weekday " << week_start_weekday;
  int64_t s = FloorDiv(period_start_utc, kMicrosPerSecond);
  for (;;) {
    const Interval iv = data_->IntervalAt(s);
    const int64_t candidate =
        NextPeriodStart(s + iv.offset, unit, week_start_weekday) - iv.offset;
    if (!iv.has_end || candidate < iv.end) return candidate * kMicrosPerSecond;
    // Is the offset change at iv.end itself a boundary (same rule as Floor)?
    const int64_t change = iv.end;
    const int64_t local_before = change - 1 + iv.offset;
    const int64_t local_after = change + data_->IntervalAt(change).offset;
    const int64_t start_after = PeriodStart(local_after, unit, week_start_weekday);
    if (PeriodStart(local_before, unit, week_start_weekday) != start_after ||
        (unit == CalendarUnit::kHour && start_after == local_after)) {
      return change * kMicrosPerSecond;
    }
    s = change;
  }
}

}  // namespace edgeflow
