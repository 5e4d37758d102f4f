// Outbox implementation: one append-only log of segment files per priority
// class read by up to two lanes (backlog, live) with an in-memory delivery
// window each, an ack checkpoint file.
// Format, fsync semantics and recovery: docs/design/outbox.md.
#include "forward/outbox.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>

#include "common/log.h"
#include "common/thread_name.h"
#include "forward/outbox_checkpoint.h"
#include "forward/outbox_format.h"

namespace edgeflow {

namespace fmt_ = outbox_format;

std::string_view PriorityName(Priority p) {
  switch (p) {
    case Priority::kAlert: return "alert";
    case Priority::kEvent: return "event";
    case Priority::kTelemetry: return "telemetry";
  }
  return "telemetry";
}

Result<Priority> ParsePriority(std::string_view name) {
  if (name == "alert") return Priority::kAlert;
  if (name == "event") return Priority::kEvent;
  if (name == "telemetry" || name == "bulk") return Priority::kTelemetry;
  return InvalidConfig("unknown priority class '" + std::string(name) +
                       "' (expected alert, event or telemetry)");
}

std::string_view FsyncPolicyName(FsyncPolicy p) {
  switch (p) {
    case FsyncPolicy::kAlways: return "always";
    case FsyncPolicy::kInterval: return "interval";
    case FsyncPolicy::kNever: return "never";
  }
  return "interval";
}

std::string_view OverflowPolicyName(OverflowPolicy p) {
  return p == OverflowPolicy::kDropOldest ? "drop_oldest" : "drop_newest";
}

namespace {

constexpr size_t kWriteBufferBytes = 64 * 1024;  // appends are batched into write() calls of this size
constexpr size_t kReadChunkBytes = 256 * 1024;   // Peek reads segments in chunks of this size
constexpr size_t kMaxDropDevices = 8;
constexpr size_t kMaxRecentDrops = 32;
// A live lane opens when more than this many times the records asked for wait.
constexpr uint64_t kLiveLaneBacklogFactor = 4;

Status Errno(const std::string& what) { return IoError(what + ": " + std::strerror(errno)); }

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

void AddDevice(std::vector<std::string>& devices, std::string_view device) {
  if (devices.size() >= kMaxDropDevices) return;
  for (const auto& d : devices) {
    if (d == device) return;
  }
  devices.emplace_back(device);
}

// A counter kept both for Stats() (under the outbox mutex) and in the
// metrics registry when there is one.
struct Count {
  uint64_t value = 0;
  Counter* metric = nullptr;
  void Add(uint64_t n = 1) {
    value += n;
    if (metric != nullptr) metric->Add(n);
  }
};

struct Segment {
  uint64_t id = 0;  // first seq it may hold; its file name
  std::string path;
  bool sealed = false;
  int read_fd = -1;
  uint64_t file_bytes = 0;  // bytes written to the file
  uint64_t records = 0;     // valid records (written or buffered)
  uint64_t record_bytes = 0;
  uint64_t done = 0;  // acknowledged or dropped
  uint64_t done_bytes = 0;
  uint64_t min_seq = 0;
  uint64_t max_seq = 0;
  TimeMicros oldest_append = 0;
  TimeMicros newest_append = 0;
  std::vector<std::string> devices;  // the first few, for drop reports
  std::vector<std::pair<uint64_t, uint64_t>> corrupt_ranges;  // [offset, end) found and reported at Open
};

enum class SlotState : uint8_t { kInFlight, kReturned, kAcked };

struct Slot {
  uint64_t seq;
  uint64_t segment;
  uint64_t offset;
  uint32_t size;
  SlotState state;
};

// A place in a class's log: segment id (or the first one after it) and offset.
struct Position {
  uint64_t segment = 0;
  uint64_t offset = 0;
  bool operator<(const Position& o) const { return segment != o.segment ? segment < o.segment : offset < o.offset; }
};

// One read position over a class's log and the records it handed out.
struct LaneState {
  Position at;            // the next record to read
  uint64_t floor = 0;     // every record of the lane below this seq was handed out or done
  std::deque<Slot> window;  // handed out, not yet retired, in seq order
};

struct ClassState {
  Priority priority = Priority::kTelemetry;
  std::string dir;
  std::deque<Segment> segments;  // oldest first; back() is active unless sealed
  int write_fd = -1;             // the active segment's
  uint64_t active_generation = 0;  // changes with every new active segment
  std::string buffer;            // encoded records not yet written to the active segment
  uint64_t buffer_records = 0;
  uint64_t durable_bytes = 0;    // offset in the active segment up to which Peek may read

  // Delivery: the backlog lane, and the live lane while one is open.
  LaneState backlog;
  LaneState live;
  bool live_open = false;
  Position mark;          // where the live lane began; the backlog lane ends there
  uint64_t mark_seq = 0;  // every record at or after `mark` has a seq >= this
  size_t in_flight = 0;   // both lanes
  // From the checkpoint: done ranges above the backlog position (counted done
  // at Open), skipped by the backlog lane as it passes them.
  std::deque<OutboxCheckpoint::Range> acked_ahead;

  // Read cache.
  std::string chunk;
  uint64_t chunk_segment = UINT64_MAX;
  uint64_t chunk_offset = 0;

  uint64_t backlog_records = 0;
  uint64_t backlog_bytes = 0;
  Count appended, acked, delivered, refused, evicted_overflow, evicted_disk_full, evicted_age, corrupt;
  Gauge* backlog_records_gauge = nullptr;
  Gauge* backlog_bytes_gauge = nullptr;
  Gauge* oldest_age_gauge = nullptr;
};

// How many records a corrupt stretch of a segment held. The markers left in
// it are a lower bound (the damage may have overwritten markers too); the
// stretch's length in records of the segment's average size so far is the
// better guess; the gap between the seqs around it is an upper bound (other
// classes share the counter, so it may be larger than the truth).
uint64_t EstimateLostRecords(std::span<const uint8_t> stretch, const Segment& seg, uint64_t seq_gap) {
  uint64_t lost = fmt_::CountMarkers(stretch);
  if (seg.records > 0) {
    const uint64_t average = std::max<uint64_t>(1, seg.record_bytes / seg.records);
    lost = std::max<uint64_t>(lost, (stretch.size() + average / 2) / average);
  }
  if (seq_gap > 0) lost = std::min(lost, seq_gap);
  return std::max<uint64_t>(lost, 1);
}

}  // namespace

class Outbox::Impl {
 public:
  explicit Impl(const OutboxOptions& options)
      : options_(options), clock_(options.clock ? options.clock : &SystemClock::Instance()) {}

  ~Impl() {
    StopThread();
    std::lock_guard lock(mu_);
    if (!initialized_) {  // Open failed: never touch the files of an outbox we did not recover
      if (lock_fd_ >= 0) ::close(lock_fd_);
      return;
    }
    Status s = GroupCommitLocked();
    if (!s.ok()) spdlog::error("outbox {}: final commit failed: {}", options_.name, s.ToString());
    s = WriteCheckpointLocked();
    if (!s.ok()) spdlog::error("outbox {}: final ack checkpoint failed: {}", options_.name, s.ToString());
    for (auto& cls : classes_) {
      if (cls.write_fd >= 0) ::close(cls.write_fd);
      for (auto& seg : cls.segments) CloseReadFd(seg);
    }
    if (lock_fd_ >= 0) ::close(lock_fd_);
  }

  Status Init();
  void StartThread();

  Result<uint64_t> Append(Priority p, std::string_view device, TimeMicros time, std::span<const uint8_t> payload);
  Status Commit() { return GroupCommit(); }
  size_t Peek(Priority p, size_t max_records, size_t max_bytes, std::vector<OutboxRecord>& out, Lane lane) {
    std::lock_guard lock(mu_);
    return PeekLocked(classes_[static_cast<int>(p)], lane, max_records, max_bytes, out);
  }
  size_t PeekAny(size_t max_records, size_t max_bytes, std::vector<OutboxRecord>& out);
  void Ack(std::span<const uint64_t> seqs);
  void Nack(std::span<const uint64_t> seqs);
  void NackAllInFlight();
  Status Maintain();
  bool HasPending() const;
  OutboxStats Stats() const;

 private:
  // Open / recovery.
  Status RecoverClass(ClassState& cls, const OutboxCheckpoint& checkpoint, uint64_t& max_seq);
  Status RecoverSegment(ClassState& cls, Segment& seg, const OutboxCheckpoint::ClassAcks& acks,
                        uint64_t& max_seq, bool& read_start_found);

  // Writing.
  Status StartSegmentLocked(ClassState& cls);
  Status SealActiveLocked(ClassState& cls);
  Status WriteBufferLocked(ClassState& cls);
  Status SyncActiveLocked(ClassState& cls);
  Status GroupCommitLocked();
  Status GroupCommit();
  void DeleteDoneSegmentsLocked();
  bool EvictOneLocked(Priority for_priority, const char* reason, const ClassState* keep_active_of);
  void DropBufferLocked(ClassState& cls, const char* reason);
  bool HasActive(const ClassState& cls) const { return !cls.segments.empty() && !cls.segments.back().sealed; }

  // Reading.
  Segment* FindSegment(ClassState& cls, uint64_t id);
  std::span<const uint8_t> ReadAt(ClassState& cls, Segment& seg, uint64_t offset, size_t want, uint64_t limit);
  uint64_t ReadLimit(const ClassState& cls, const Segment& seg) const {
    return seg.sealed ? seg.file_bytes : std::min<uint64_t>(seg.file_bytes, cls.durable_bytes);
  }
  size_t PeekLocked(ClassState& cls, Lane lane, size_t max_records, size_t max_bytes, std::vector<OutboxRecord>& out);
  size_t PeekLaneLocked(ClassState& cls, LaneState& lane, size_t max_records, size_t max_bytes,
                        std::vector<OutboxRecord>& out);
  // The class's tail: where its next appended record will be.
  Position TailLocked(const ClassState& cls) const;
  void OpenLiveLaneLocked(ClassState& cls);
  // Ends the live lane once the backlog lane has reached its mark.
  void MergeLanesIfMetLocked(ClassState& cls);
  bool LaneHasDataLocked(const ClassState& cls, const LaneState& lane) const;
  void MarkDone(ClassState& cls, uint64_t segment, uint64_t bytes);
  void CloseReadFd(Segment& seg) {
    if (seg.read_fd >= 0) ::close(seg.read_fd);
    seg.read_fd = -1;
  }

  // Housekeeping.
  void RemoveFrontSegmentLocked(ClassState& cls);
  // Segments whose every record is done: deleted after a checkpoint write.
  std::vector<size_t> DoneSegmentsLocked(const ClassState& cls) const;
  bool HasUnackedSlot(const ClassState& cls, const Segment& seg) const;
  void DeleteSegmentLocked(ClassState& cls, size_t index);
  uint64_t FloorLocked(const ClassState& cls) const;
  Status WriteCheckpointLocked();
  bool SaveNextSeqBeforeDeletingLocked(const Segment& seg);
  void UnlinkSegmentFile(const Segment& seg);
  void ReportDrop(ClassState& cls, OutboxDrop drop);
  void UpdateGaugesLocked();
  void StopThread();
  void ThreadMain();

  const OutboxOptions options_;
  const Clock* clock_;
  mutable std::mutex mu_;
  std::array<ClassState, kPriorityCount> classes_;
  uint64_t next_seq_ = 1;
  uint64_t checkpointed_next_seq_ = 0;  // next_seq in the checkpoint file on disk
  uint64_t segment_generation_ = 0;
  uint64_t disk_bytes_ = 0;
  uint64_t durable_seq_ = 0;
  Count fsyncs_;
  Gauge* disk_bytes_gauge_ = nullptr;
  bool initialized_ = false;
  bool checkpoint_dirty_ = false;
  TimeMicros last_sync_ = 0;
  TimeMicros last_checkpoint_ = 0;
  int lock_fd_ = -1;
  std::deque<OutboxDrop> recent_drops_;
  RateLimitedLog drop_log_{10, 10 * kMicrosPerSecond};
  RateLimitedLog lane_log_{5, 60 * kMicrosPerSecond};

  std::thread thread_;
  std::mutex thread_mu_;
  std::condition_variable thread_cv_;
  bool stop_ = false;
};

// ---------------------------------------------------------------- open

Status Outbox::Impl::Init() {
  if (options_.path.empty()) return InvalidConfig("outbox: path is empty");
  if (options_.segment_bytes < 4096) return InvalidConfig("outbox: segment_bytes must be >= 4096");
  if (options_.max_bytes < 2 * options_.segment_bytes) {
    return InvalidConfig("outbox: max_bytes must be at least twice segment_bytes");
  }
  if (options_.fsync_interval <= 0) return InvalidConfig("outbox: fsync_interval must be > 0");
  if (options_.max_in_flight == 0) return InvalidConfig("outbox: max_in_flight must be > 0");
  std::error_code ec;
  std::filesystem::create_directories(options_.path, ec);
  if (ec) return IoError("create " + options_.path + ": " + ec.message());

  std::string lock_path = options_.path + "/LOCK";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) return Errno("open " + lock_path);
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return Unavailable("outbox " + options_.path + " is in use by another process (" + lock_path + " is locked)");
  }

  OutboxCheckpoint checkpoint;
  auto read = ReadCheckpointFile(options_.path);
  if (read.ok()) {
    checkpoint = *read;
  } else if (read.status().code() != StatusCode::kNotFound) {
    spdlog::error("outbox {}: {}; ignoring it: records acknowledged before the crash will be sent again",
                  options_.name, read.status().ToString());
  }

  MetricsRegistry* m = options_.metrics;
  std::string base = "outbox=\"" + options_.name + "\"";
  if (m != nullptr) {
    fsyncs_.metric = m->GetCounter("outbox.fsyncs", base, "group commits (fdatasync rounds)");
    disk_bytes_gauge_ = m->GetGauge("outbox.disk_bytes", base, "bytes of the outbox on disk");
  }
  uint64_t max_seq = 0;
  for (int c = 0; c < kPriorityCount; ++c) {
    ClassState& cls = classes_[c];
    cls.priority = static_cast<Priority>(c);
    cls.dir = options_.path + "/" + std::string(PriorityName(cls.priority));
    if (m != nullptr) {
      std::string labels = base + ",class=\"" + std::string(PriorityName(cls.priority)) + "\"";
      cls.appended.metric = m->GetCounter("outbox.appended", labels, "records appended");
      cls.acked.metric = m->GetCounter("outbox.acked", labels, "records acknowledged");
      cls.delivered.metric = m->GetCounter("outbox.delivered", labels, "records handed out (including resends)");
      cls.refused.metric = m->GetCounter("outbox.refused", labels, "appends refused (full, too large)");
      const char* help = "records dropped without delivery";
      cls.evicted_overflow.metric = m->GetCounter("outbox.evicted", labels + ",reason=\"overflow\"", help);
      cls.evicted_disk_full.metric = m->GetCounter("outbox.evicted", labels + ",reason=\"disk_full\"", help);
      cls.evicted_age.metric = m->GetCounter("outbox.evicted", labels + ",reason=\"age\"", help);
      cls.corrupt.metric = m->GetCounter("outbox.evicted", labels + ",reason=\"corrupt\"", help);
      cls.backlog_records_gauge = m->GetGauge("outbox.backlog_records", labels, "unacknowledged records");
      cls.backlog_bytes_gauge = m->GetGauge("outbox.backlog_bytes", labels, "bytes of unacknowledged records");
      cls.oldest_age_gauge = m->GetGauge("outbox.oldest_age_seconds", labels, "age of the oldest unacknowledged record");
    }
    if (::mkdir(cls.dir.c_str(), 0755) != 0 && errno != EEXIST) return Errno("create " + cls.dir);
    EF_RETURN_IF_ERROR(RecoverClass(cls, checkpoint, max_seq));
  }
  next_seq_ = std::max({max_seq + 1, checkpoint.next_seq, uint64_t{1}});
  checkpointed_next_seq_ = checkpoint.next_seq;
  durable_seq_ = next_seq_ - 1;
  last_sync_ = last_checkpoint_ = clock_->Monotonic();
  UpdateGaugesLocked();
  initialized_ = true;
  return Status::Ok();
}

Status Outbox::Impl::RecoverClass(ClassState& cls, const OutboxCheckpoint& checkpoint, uint64_t& max_seq) {
  const auto& acks = checkpoint.classes[static_cast<int>(cls.priority)];
  cls.backlog.floor = acks.floor;
  std::vector<uint64_t> ids;
  DIR* dir = ::opendir(cls.dir.c_str());
  if (dir == nullptr) return Errno("open " + cls.dir);
  while (dirent* entry = ::readdir(dir)) {
    uint64_t id;
    if (fmt_::ParseSegmentFileName(entry->d_name, id)) ids.push_back(id);
  }
  ::closedir(dir);
  std::sort(ids.begin(), ids.end());

  bool read_start_found = false;
  for (uint64_t id : ids) {
    Segment seg;
    seg.id = id;
    seg.path = cls.dir + "/" + fmt_::SegmentFileName(id);
    seg.sealed = true;
    EF_RETURN_IF_ERROR(RecoverSegment(cls, seg, acks, max_seq, read_start_found));
    if (seg.path.empty()) continue;  // deleted or set aside
    if (seg.done == seg.records) {
      ::unlink(seg.path.c_str());  // everything in it was acknowledged
      continue;
    }
    disk_bytes_ += seg.file_bytes;
    cls.backlog_records += seg.records - seg.done;
    cls.backlog_bytes += seg.record_bytes - seg.done_bytes;
    cls.segments.push_back(std::move(seg));
  }
  // Done ranges Peek will pass (counted done above); older ones are gone.
  for (const auto& range : acks.acked) {
    if (read_start_found && range.second > cls.backlog.floor) cls.acked_ahead.push_back(range);
  }
  if (!read_start_found) {
    cls.backlog.at.segment = cls.segments.empty() ? 0 : cls.segments.back().id + 1;
    cls.backlog.at.offset = fmt_::kHeaderSize;
  }
  return options_.fsync == FsyncPolicy::kNever ? Status::Ok() : SyncDirectory(cls.dir);
}

Status Outbox::Impl::RecoverSegment(ClassState& cls, Segment& seg,
                                    const OutboxCheckpoint::ClassAcks& acks, uint64_t& max_seq,
                                    bool& read_start_found) {
  int fd = ::open(seg.path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return Errno("open " + seg.path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return Errno("stat " + seg.path);
  }
  // Map the file: recovery reads every byte once, without copying it.
  size_t file_size = static_cast<size_t>(st.st_size);
  void* map = nullptr;
  if (file_size > 0) {
    map = ::mmap(nullptr, file_size, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
      Status s = Errno("mmap " + seg.path);
      ::close(fd);
      return s;
    }
    ::madvise(map, file_size, MADV_SEQUENTIAL);
  }
  struct Unmap {
    void* p;
    size_t n;
    ~Unmap() {
      if (p != nullptr) ::munmap(p, n);
    }
  } unmap{map, file_size};
  std::span<const uint8_t> bytes(static_cast<const uint8_t*>(map), file_size);
  if (bytes.size() < fmt_::kHeaderSize) {
    // A crash right after creating the file: nothing was ever in it.
    ::close(fd);
    ::unlink(seg.path.c_str());
    seg.path.clear();
    return Status::Ok();
  }
  fmt_::SegmentHeader header;
  Status header_status = fmt_::DecodeHeader(bytes, header);
  if (header_status.ok() && (header.priority != static_cast<uint8_t>(cls.priority) || header.first_seq != seg.id)) {
    header_status = Corruption("segment header names another class or seq than its file");
  }
  if (!header_status.ok()) {
    ::close(fd);
    std::string aside = seg.path + ".corrupt";
    ::rename(seg.path.c_str(), aside.c_str());
    spdlog::error("outbox {}: {}: {}; set aside as {}, its records are not delivered", options_.name, seg.path,
                  header_status.message(), aside);
    cls.corrupt.Add(1);
    seg.path.clear();
    return Status::Ok();
  }

  size_t offset = fmt_::kHeaderSize;
  uint64_t last_good_seq = 0;
  while (offset < bytes.size()) {
    fmt_::RecordView view;
    size_t size;
    auto outcome = fmt_::ParseRecord(bytes.subspan(offset), view, size);
    if (outcome == fmt_::ParseOutcome::kOk) {
      ++seg.records;
      seg.record_bytes += size;
      if (seg.min_seq == 0) {
        seg.min_seq = view.seq;
        seg.oldest_append = view.append_time;
      }
      seg.max_seq = view.seq;
      seg.newest_append = view.append_time;
      AddDevice(seg.devices, view.device);
      max_seq = std::max(max_seq, view.seq);
      last_good_seq = view.seq;
      if (view.seq < acks.floor || InRanges(acks.acked, view.seq)) {
        ++seg.done;
        seg.done_bytes += size;
      } else if (!read_start_found) {
        read_start_found = true;
        cls.backlog.at.segment = seg.id;
        cls.backlog.at.offset = offset;
        cls.backlog.floor = view.seq;  // everything of the class below it is done
      }
      offset += size;
      continue;
    }
    // Also for kNeedMore: a damaged length can make a record in the middle
    // look as if it ran past the end; only nothing valid after it is a torn tail.
    size_t next = fmt_::FindNextRecord(bytes, offset + 1);
    if (next >= bytes.size()) {
      // Torn tail: the last write of a crashed process. Cut it off.
      spdlog::warn("outbox {}: {}: torn tail of {} bytes at offset {} truncated", options_.name, seg.path,
                   bytes.size() - offset, offset);
      if (::ftruncate(fd, static_cast<off_t>(offset)) != 0) {
        Status s = Errno("truncate " + seg.path);
        ::close(fd);
        return s;
      }
      bytes = bytes.first(offset);
      break;
    }
    // Corrupt stretch with valid records after it: skip it, report it.
    fmt_::RecordView next_view;
    size_t next_size;
    (void)fmt_::ParseRecord(bytes.subspan(next), next_view, next_size);
    const uint64_t seq_gap = last_good_seq > 0 && next_view.seq > last_good_seq ? next_view.seq - last_good_seq - 1 : 0;
    const uint64_t lost = EstimateLostRecords(bytes.subspan(offset, next - offset), seg, seq_gap);
    cls.corrupt.Add(lost);
    OutboxDrop drop{cls.priority, "corrupt", lost, last_good_seq + 1, next_view.seq - 1, {}};
    spdlog::error("outbox {}: {}: {} corrupt bytes at offset {} (checksum mismatch) skipped: about {} record(s) "
                  "with seq in {}..{} lost",
                  options_.name, seg.path, next - offset, offset, lost, drop.first_seq, drop.last_seq);
    recent_drops_.push_back(std::move(drop));
    if (recent_drops_.size() > kMaxRecentDrops) recent_drops_.pop_front();
    seg.corrupt_ranges.emplace_back(offset, next);
    offset = next;
  }
  // The crashed run may have written records it had not synced yet; they
  // are handed out from now on. Make them durable first, so that a power
  // loss after their delivery cannot take them back (and free their seqs).
  if (options_.fsync != FsyncPolicy::kNever && ::fdatasync(fd) != 0) {
    Status s = Errno("fdatasync " + seg.path);
    ::close(fd);
    return s;
  }
  ::close(fd);
  seg.file_bytes = bytes.size();
  return Status::Ok();
}

// ---------------------------------------------------------------- writing

Status Outbox::Impl::StartSegmentLocked(ClassState& cls) {
  Segment seg;
  seg.id = next_seq_;
  seg.path = cls.dir + "/" + fmt_::SegmentFileName(seg.id);
  int fd = ::open(seg.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("create " + seg.path);
  uint8_t header[fmt_::kHeaderSize];
  fmt_::EncodeHeader({fmt_::kVersion, static_cast<uint8_t>(cls.priority), seg.id}, header);
  ssize_t n = ::write(fd, header, sizeof(header));
  if (n != static_cast<ssize_t>(sizeof(header))) {
    Status s = n < 0 ? Errno("write " + seg.path) : ResourceExhausted("write " + seg.path + ": short write");
    if (n < 0 && errno == ENOSPC) s = ResourceExhausted("write " + seg.path + ": no space left on device");
    ::close(fd);
    ::unlink(seg.path.c_str());
    return s;
  }
  if (options_.fsync != FsyncPolicy::kNever) {
    // The new file's directory entry must survive a crash before records in it count as durable.
    if (::fdatasync(fd) != 0 || !SyncDirectory(cls.dir).ok()) {
      Status s = Errno("sync " + seg.path);
      ::close(fd);
      ::unlink(seg.path.c_str());
      return s;
    }
  }
  seg.file_bytes = fmt_::kHeaderSize;
  cls.write_fd = fd;
  cls.active_generation = ++segment_generation_;
  cls.durable_bytes = fmt_::kHeaderSize;
  disk_bytes_ += fmt_::kHeaderSize;
  cls.segments.push_back(std::move(seg));
  return Status::Ok();
}

Status Outbox::Impl::SealActiveLocked(ClassState& cls) {
  if (!HasActive(cls)) return Status::Ok();
  Status s = WriteBufferLocked(cls);
  if (s.ok()) s = SyncActiveLocked(cls);
  if (!s.ok()) return s;
  ::close(cls.write_fd);
  cls.write_fd = -1;
  cls.segments.back().sealed = true;
  return Status::Ok();
}

Status Outbox::Impl::WriteBufferLocked(ClassState& cls) {
  while (!cls.buffer.empty()) {
    Segment& seg = cls.segments.back();
    size_t done = 0;
    int error = 0;
    while (done < cls.buffer.size()) {
      ssize_t n = ::write(cls.write_fd, cls.buffer.data() + done, cls.buffer.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        error = errno;
        break;
      }
      done += static_cast<size_t>(n);
    }
    if (error == 0) {
      seg.file_bytes += cls.buffer.size();
      cls.buffer.clear();
      cls.buffer_records = 0;
      return Status::Ok();
    }
    // Undo a partial write so the file ends on a record boundary.
    if (::ftruncate(cls.write_fd, static_cast<off_t>(seg.file_bytes)) != 0 ||
        ::lseek(cls.write_fd, static_cast<off_t>(seg.file_bytes), SEEK_SET) < 0) {
      spdlog::error("outbox {}: cannot undo a partial write to {}: {}", options_.name, seg.path,
                    std::strerror(errno));
    }
    if (error != ENOSPC) {
      errno = error;
      return Errno("write " + seg.path);
    }
    // Filesystem full: make room by the overflow policy, else drop what waits in the buffer.
    if (!EvictOneLocked(cls.priority, "disk_full", &cls)) {
      DropBufferLocked(cls, "disk_full");
      return ResourceExhausted("filesystem full (ENOSPC) writing " + seg.path +
                               " and the overflow policy allows no eviction");
    }
  }
  return Status::Ok();
}

Status Outbox::Impl::SyncActiveLocked(ClassState& cls) {
  if (!HasActive(cls)) return Status::Ok();
  Segment& seg = cls.segments.back();
  if (options_.fsync != FsyncPolicy::kNever && cls.durable_bytes < seg.file_bytes) {
    if (::fdatasync(cls.write_fd) != 0) return Errno("fdatasync " + seg.path);
    fsyncs_.Add();
  }
  cls.durable_bytes = seg.file_bytes;
  return Status::Ok();
}

Status Outbox::Impl::GroupCommitLocked() {
  Status first;
  uint64_t committing = next_seq_ - 1;
  for (auto& cls : classes_) {
    Status s = WriteBufferLocked(cls);
    if (s.ok()) s = SyncActiveLocked(cls);
    if (!s.ok() && first.ok()) first = s;
  }
  if (first.ok()) durable_seq_ = committing;
  last_sync_ = clock_->Monotonic();
  return first;
}

// Group commit without holding the mutex during fdatasync, so Append (the
// executor thread) is not blocked by the disk: write the buffers and dup the
// active segments' fds under the lock, sync the dups, then publish the new
// durable offsets (a segment sealed meanwhile was synced by sealing).
Status Outbox::Impl::GroupCommit() {
  struct Pending {
    int fd = -1;
    uint64_t segment = 0;  // active_generation: still the same active segment?
    uint64_t bytes = 0;
  };
  std::array<Pending, kPriorityCount> pending;
  Status first;
  uint64_t committing;
  {
    std::lock_guard lock(mu_);
    committing = next_seq_ - 1;
    last_sync_ = clock_->Monotonic();
    for (int c = 0; c < kPriorityCount; ++c) {
      ClassState& cls = classes_[c];
      Status s = WriteBufferLocked(cls);
      if (!s.ok() && first.ok()) first = s;
      if (!HasActive(cls)) continue;
      const Segment& seg = cls.segments.back();
      if (options_.fsync == FsyncPolicy::kNever || cls.durable_bytes >= seg.file_bytes) {
        cls.durable_bytes = seg.file_bytes;
        continue;
      }
      pending[c] = {::dup(cls.write_fd), cls.active_generation, seg.file_bytes};
      if (pending[c].fd < 0 && first.ok()) first = Errno("dup " + seg.path);
    }
  }
  uint64_t synced = 0;
  for (Pending& p : pending) {
    if (p.fd < 0) continue;
    if (::fdatasync(p.fd) != 0) {
      if (first.ok()) first = Errno("fdatasync");
      ::close(p.fd);
      p.fd = -1;
      continue;
    }
    ::close(p.fd);
    ++synced;
  }
  std::lock_guard lock(mu_);
  fsyncs_.Add(synced);
  for (int c = 0; c < kPriorityCount; ++c) {
    ClassState& cls = classes_[c];
    if (pending[c].fd >= 0 && HasActive(cls) && cls.active_generation == pending[c].segment) {
      cls.durable_bytes = std::max(cls.durable_bytes, pending[c].bytes);
    }
  }
  if (first.ok()) durable_seq_ = std::max(durable_seq_, committing);
  return first;
}

void Outbox::Impl::DropBufferLocked(ClassState& cls, const char* reason) {
  if (cls.buffer.empty()) return;
  Segment& seg = cls.segments.back();
  OutboxDrop drop{cls.priority, reason, 0, 0, 0, {}};
  auto bytes = Bytes(cls.buffer);
  size_t offset = 0;
  while (offset < bytes.size()) {
    fmt_::RecordView view;
    size_t size;
    if (fmt_::ParseRecord(bytes.subspan(offset), view, size) != fmt_::ParseOutcome::kOk) break;
    if (drop.first_seq == 0) drop.first_seq = view.seq;
    drop.last_seq = view.seq;
    AddDevice(drop.devices, view.device);
    ++drop.records;
    offset += size;
  }
  seg.records -= cls.buffer_records;
  seg.record_bytes -= cls.buffer.size();
  cls.backlog_records -= cls.buffer_records;
  cls.backlog_bytes -= cls.buffer.size();
  disk_bytes_ -= cls.buffer.size();
  cls.buffer.clear();
  cls.buffer_records = 0;
  if (cls.live_open && cls.mark.segment == seg.id && cls.mark.offset > seg.file_bytes) {
    // The mark was at the end of the dropped buffer: the next record goes where it began.
    cls.mark.offset = seg.file_bytes;
    if (cls.live.at.segment == seg.id) cls.live.at.offset = std::min(cls.live.at.offset, seg.file_bytes);
  }
  ReportDrop(cls, std::move(drop));
}

// Evicts the oldest segment of the least important class that the overflow
// policy allows for a record of `for_priority`; false when there is none.
// `keep_active_of`: that class's active segment is being written and stays.
bool Outbox::Impl::EvictOneLocked(Priority for_priority, const char* reason, const ClassState* keep_active_of) {
  int limit = static_cast<int>(for_priority);
  if (options_.overflow == OverflowPolicy::kDropNewest) ++limit;  // strictly less important classes only
  for (int c = kPriorityCount - 1; c >= limit; --c) {
    ClassState& cls = classes_[c];
    if (cls.segments.empty()) continue;
    if (&cls == keep_active_of && cls.segments.size() == 1 && HasActive(cls)) continue;
    Segment& seg = cls.segments.front();
    OutboxDrop drop{cls.priority, reason, seg.records - seg.done, 0, 0, seg.devices};
    // The seq range still undelivered: from the class floor (or the segment start) to its end.
    drop.first_seq = std::max(seg.min_seq, FloorLocked(cls));
    drop.last_seq = seg.max_seq;
    (void)SaveNextSeqBeforeDeletingLocked(seg);  // the room is needed even if it fails
    RemoveFrontSegmentLocked(cls);
    if (drop.records > 0) ReportDrop(cls, std::move(drop));
    Status s = WriteCheckpointLocked();  // the acks without the evicted records
    if (!s.ok()) spdlog::warn("outbox {}: ack checkpoint after eviction: {}", options_.name, s.ToString());
    return true;
  }
  return false;
}

void Outbox::Impl::RemoveFrontSegmentLocked(ClassState& cls) {
  Segment& seg = cls.segments.front();
  bool active = !seg.sealed;
  uint64_t undone = seg.records - seg.done;
  cls.backlog_records -= std::min(cls.backlog_records, undone);
  cls.backlog_bytes -= std::min(cls.backlog_bytes, seg.record_bytes - seg.done_bytes);
  disk_bytes_ -= seg.file_bytes;
  if (active) {
    disk_bytes_ -= cls.buffer.size();
    cls.buffer.clear();
    cls.buffer_records = 0;
    ::close(cls.write_fd);
    cls.write_fd = -1;
  }
  for (LaneState* lane : {&cls.backlog, &cls.live}) {
    // `<=`: acked slots of segments already deleted as done may still lead the window.
    while (!lane->window.empty() && lane->window.front().segment <= seg.id) {
      if (lane->window.front().state == SlotState::kInFlight) --cls.in_flight;
      lane->window.pop_front();
    }
    if (lane->at.segment <= seg.id) lane->at = {seg.id + 1, fmt_::kHeaderSize};
    if (seg.max_seq >= lane->floor) lane->floor = seg.max_seq + 1;
  }
  if (cls.chunk_segment == seg.id) cls.chunk_segment = UINT64_MAX;
  CloseReadFd(seg);
  UnlinkSegmentFile(seg);
  cls.segments.pop_front();
  checkpoint_dirty_ = true;
  MergeLanesIfMetLocked(cls);  // the backlog lane may have been evicted up to the mark
}

void Outbox::Impl::ReportDrop(ClassState& cls, OutboxDrop drop) {
  if (drop.reason == "overflow") cls.evicted_overflow.Add(drop.records);
  else if (drop.reason == "disk_full") cls.evicted_disk_full.Add(drop.records);
  else if (drop.reason == "age") cls.evicted_age.Add(drop.records);
  else if (drop.reason == "corrupt") cls.corrupt.Add(drop.records);
  if (drop_log_.Admit(*clock_)) {
    std::string devices;
    for (const auto& d : drop.devices) devices += (devices.empty() ? "" : ", ") + d;
    spdlog::warn("outbox {}: dropped {} {} record(s), seq {}..{} (reason {}; devices: {})", options_.name,
                 drop.records, PriorityName(drop.priority), drop.first_seq, drop.last_seq, drop.reason,
                 devices.empty() ? "-" : devices);
  }
  recent_drops_.push_back(std::move(drop));
  if (recent_drops_.size() > kMaxRecentDrops) recent_drops_.pop_front();
}

Result<uint64_t> Outbox::Impl::Append(Priority p, std::string_view device, TimeMicros time,
                                      std::span<const uint8_t> payload) {
  std::lock_guard lock(mu_);
  ClassState& cls = classes_[static_cast<int>(p)];
  size_t size = fmt_::EncodedSize(device.size(), payload.size());
  if (device.size() > UINT16_MAX || size > std::min<uint64_t>(options_.segment_bytes - fmt_::kHeaderSize,
                                                               fmt_::kMaxRecordBytes)) {
    cls.refused.Add();
    return InvalidData("outbox: record of " + std::to_string(size) + " bytes is larger than a segment (" +
                       std::to_string(options_.segment_bytes) + " bytes) or its device name is too long");
  }
  auto needs_new_segment = [&] {
    return !HasActive(cls) ||
           cls.segments.back().file_bytes + cls.buffer.size() + size > options_.segment_bytes;
  };
  // Bytes bound: make room by the overflow policy, or refuse.
  while (disk_bytes_ + size + (needs_new_segment() ? fmt_::kHeaderSize : 0) > options_.max_bytes) {
    if (!EvictOneLocked(p, "overflow", nullptr)) {
      cls.refused.Add();
      if (drop_log_.Admit(*clock_)) {
        spdlog::warn("outbox {}: full ({} of {} bytes), {} record from '{}' refused (overflow policy {})",
                     options_.name, disk_bytes_, options_.max_bytes, PriorityName(p), device,
                     OverflowPolicyName(options_.overflow));
      }
      return ResourceExhausted("outbox full: " + std::to_string(disk_bytes_) + " of " +
                               std::to_string(options_.max_bytes) + " bytes used by records at least as important");
    }
  }
  if (needs_new_segment()) {
    Status s = SealActiveLocked(cls);
    while (s.ok()) {
      s = StartSegmentLocked(cls);
      if (s.ok() || s.code() != StatusCode::kResourceExhausted) break;
      if (!EvictOneLocked(p, "disk_full", nullptr)) break;  // filesystem full: make room, retry
    }
    if (!s.ok()) {
      cls.refused.Add();
      return s.WithContext("outbox " + options_.name);
    }
  }
  uint64_t seq = next_seq_++;
  TimeMicros now = clock_->Now();
  fmt_::AppendRecord(cls.buffer, seq, now, time, device, payload);
  ++cls.buffer_records;
  Segment& seg = cls.segments.back();
  if (seg.min_seq == 0) {
    seg.min_seq = seq;
    seg.oldest_append = now;
  }
  seg.max_seq = seq;
  seg.newest_append = now;
  ++seg.records;
  seg.record_bytes += size;
  AddDevice(seg.devices, device);
  disk_bytes_ += size;
  ++cls.backlog_records;
  cls.backlog_bytes += size;
  cls.appended.Add();
  if (options_.fsync == FsyncPolicy::kAlways || cls.buffer.size() >= kWriteBufferBytes) {
    Status s = WriteBufferLocked(cls);
    if (s.ok() && options_.fsync == FsyncPolicy::kAlways) s = SyncActiveLocked(cls);
    if (s.ok() && options_.fsync == FsyncPolicy::kAlways) durable_seq_ = seq;
    if (!s.ok()) return s.WithContext("outbox " + options_.name);
  }
  return seq;
}

// ---------------------------------------------------------------- reading

Segment* Outbox::Impl::FindSegment(ClassState& cls, uint64_t id) {
  auto it = std::lower_bound(cls.segments.begin(), cls.segments.end(), id,
                             [](const Segment& s, uint64_t v) { return s.id < v; });
  return it == cls.segments.end() ? nullptr : &*it;
}

// Bytes of `seg` from `offset`: at least `want` when the file has them
// below `limit`, fewer otherwise. Valid until the next call.
std::span<const uint8_t> Outbox::Impl::ReadAt(ClassState& cls, Segment& seg, uint64_t offset, size_t want,
                                              uint64_t limit) {
  if (offset >= limit) return {};
  uint64_t available = limit - offset;
  if (cls.chunk_segment == seg.id && offset >= cls.chunk_offset &&
      offset + std::min<uint64_t>(want, available) <= cls.chunk_offset + cls.chunk.size()) {
    uint64_t start = offset - cls.chunk_offset;
    uint64_t end = std::min<uint64_t>(cls.chunk.size(), limit - cls.chunk_offset);
    return Bytes(cls.chunk).subspan(start, end - start);
  }
  if (seg.read_fd < 0) {
    seg.read_fd = ::open(seg.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (seg.read_fd < 0) {
      spdlog::error("outbox {}: cannot read {}: {}", options_.name, seg.path, std::strerror(errno));
      return {};
    }
  }
  size_t len = static_cast<size_t>(std::min<uint64_t>(available, std::max(want, kReadChunkBytes)));
  cls.chunk.resize(len);
  size_t got = 0;
  while (got < len) {
    ssize_t n = ::pread(seg.read_fd, cls.chunk.data() + got, len - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  cls.chunk.resize(got);
  cls.chunk_segment = seg.id;
  cls.chunk_offset = offset;
  return Bytes(cls.chunk);
}

void Outbox::Impl::MarkDone(ClassState& cls, uint64_t segment, uint64_t bytes) {
  Segment* seg = FindSegment(cls, segment);
  // Capped: bit rot found while reading can hit records that were already
  // done (acked in the checkpoint), and `records - done` must not wrap.
  if (seg != nullptr && seg->id == segment && seg->done < seg->records) {
    ++seg->done;
    seg->done_bytes = std::min(seg->record_bytes, seg->done_bytes + bytes);
  }
  if (cls.backlog_records > 0) --cls.backlog_records;
  cls.backlog_bytes -= std::min(cls.backlog_bytes, bytes);
  checkpoint_dirty_ = true;
}

static void AddRecord(std::vector<OutboxRecord>& out, Priority p, const fmt_::RecordView& view) {
  OutboxRecord& r = out.emplace_back();
  r.seq = view.seq;
  r.priority = p;
  r.time = view.time;
  r.append_time = view.append_time;
  r.device.assign(view.device);
  r.payload.assign(view.payload);
}

size_t Outbox::Impl::PeekLocked(ClassState& cls, Lane lane, size_t max_records, size_t max_bytes,
                                std::vector<OutboxRecord>& out) {
  if (options_.fsync == FsyncPolicy::kNever && !cls.buffer.empty()) {
    // Under `never` a record is as durable as it gets once the OS has it.
    Status s = WriteBufferLocked(cls);
    if (s.ok()) s = SyncActiveLocked(cls);
    if (!s.ok()) spdlog::warn("outbox {}: {}", options_.name, s.ToString());
  }
  MergeLanesIfMetLocked(cls);
  if (lane == Lane::kBacklog) return PeekLaneLocked(cls, cls.backlog, max_records, max_bytes, out);
  if (!cls.live_open) {
    const uint64_t waiting = cls.backlog_records - std::min<uint64_t>(cls.backlog_records, cls.in_flight);
    // No backlog worth overtaking (a few requests' worth is the normal wait
    // for the next batch): the live lane is the oldest-first lane.
    if (waiting <= kLiveLaneBacklogFactor * max_records) return PeekLaneLocked(cls, cls.backlog, max_records, max_bytes, out);
    OpenLiveLaneLocked(cls);
  }
  return PeekLaneLocked(cls, cls.live, max_records, max_bytes, out);
}

Position Outbox::Impl::TailLocked(const ClassState& cls) const {
  if (HasActive(cls)) return {cls.segments.back().id, cls.segments.back().file_bytes + cls.buffer.size()};
  return {next_seq_, fmt_::kHeaderSize};  // a new segment is named after the seq of its first record
}

void Outbox::Impl::OpenLiveLaneLocked(ClassState& cls) {
  cls.live_open = true;
  cls.mark = TailLocked(cls);
  cls.mark_seq = next_seq_;
  cls.live.at = cls.mark;
  cls.live.floor = next_seq_;
  cls.live.window.clear();
  if (lane_log_.Admit(*clock_)) {
    spdlog::info("outbox {}: {} backlog of {} records: live lane opened at seq {} (fresh records go alongside it)",
               options_.name, PriorityName(cls.priority), cls.backlog_records, cls.mark_seq);
  }
}

void Outbox::Impl::MergeLanesIfMetLocked(ClassState& cls) {
  if (!cls.live_open || cls.backlog.at < cls.mark) return;
  // Everything before the mark was handed out or is done: carry on from
  // where the live lane is, with its records in the one window (all of them
  // have higher seqs than the backlog lane's).
  cls.backlog.at = std::max(cls.backlog.at, cls.live.at);
  cls.backlog.floor = std::max(cls.backlog.floor, cls.live.floor);
  for (const Slot& slot : cls.live.window) cls.backlog.window.push_back(slot);
  cls.live.window.clear();
  cls.live_open = false;
}

size_t Outbox::Impl::PeekLaneLocked(ClassState& cls, LaneState& lane, size_t max_records, size_t max_bytes,
                                    std::vector<OutboxRecord>& out) {
  const bool is_backlog = &lane == &cls.backlog;
  size_t added = 0;
  size_t bytes = 0;
  auto room = [&] { return added < max_records && (added == 0 || bytes < max_bytes); };
  TimeMicros too_old = options_.max_age > 0 ? clock_->Now() - options_.max_age : INT64_MIN;
  OutboxDrop aged{cls.priority, "age", 0, 0, 0, {}};  // records skipped for age, reported once

  // Returned (nacked) records first, oldest first.
  for (Slot& slot : lane.window) {
    if (!room()) return added;
    if (slot.state != SlotState::kReturned) continue;
    Segment* seg = FindSegment(cls, slot.segment);
    fmt_::RecordView view;
    size_t size = 0;
    auto data = seg != nullptr && seg->id == slot.segment ? ReadAt(cls, *seg, slot.offset, slot.size, seg->file_bytes)
                                                          : std::span<const uint8_t>();
    if (fmt_::ParseRecord(data, view, size) != fmt_::ParseOutcome::kOk || view.seq != slot.seq) {
      spdlog::error("outbox {}: record seq {} failed its checksum when read again; dropped", options_.name, slot.seq);
      slot.state = SlotState::kAcked;
      MarkDone(cls, slot.segment, slot.size);
      ReportDrop(cls, {cls.priority, "corrupt", 1, slot.seq, slot.seq, {}});
      continue;
    }
    AddRecord(out, cls.priority, view);
    slot.state = SlotState::kInFlight;
    ++cls.in_flight;
    cls.delivered.Add();
    ++added;
    bytes += view.payload.size();
  }

  // Then new records, in log order. Both lanes share the in-flight bound.
  while (room() && cls.backlog.window.size() + cls.live.window.size() < options_.max_in_flight) {
    if (is_backlog && cls.live_open && !(lane.at < cls.mark)) {
      MergeLanesIfMetLocked(cls);  // caught up with the live lane: one lane again
      continue;
    }
    Segment* seg = FindSegment(cls, lane.at.segment);
    if (seg == nullptr) break;
    if (seg->id != lane.at.segment) {
      lane.at = {seg->id, fmt_::kHeaderSize};
      continue;  // look at the mark again
    }
    uint64_t limit = ReadLimit(cls, *seg);
    if (lane.at.offset >= limit) {
      if (!seg->sealed) break;  // the rest is not durable yet
      lane.at = {seg->id + 1, fmt_::kHeaderSize};  // a segment named by the next seq starts at its header
      continue;
    }
    bool skipped = false;
    for (const auto& [from, to] : seg->corrupt_ranges) {
      if (from == lane.at.offset) {  // already reported by Open
        lane.at.offset = to;
        skipped = true;
      }
    }
    if (skipped) continue;
    fmt_::RecordView view;
    size_t size = 0;
    auto data = ReadAt(cls, *seg, lane.at.offset, fmt_::kRecordPrefix, limit);
    auto outcome = fmt_::ParseRecord(data, view, size);
    if (outcome == fmt_::ParseOutcome::kNeedMore && size > data.size() && lane.at.offset + size <= limit) {
      data = ReadAt(cls, *seg, lane.at.offset, size, limit);
      outcome = fmt_::ParseRecord(data, view, size);
    }
    if (outcome != fmt_::ParseOutcome::kOk) {
      // Damaged after it was written (recovery checked it at Open): skip to the next valid record.
      auto rest = ReadAt(cls, *seg, lane.at.offset, static_cast<size_t>(limit - lane.at.offset), limit);
      size_t next = fmt_::FindNextRecord(rest, 1);
      uint64_t lost = std::max<size_t>(1, fmt_::CountMarkers(rest.first(next)));
      uint64_t lost_bytes = next;
      spdlog::error("outbox {}: {}: {} corrupt bytes at offset {} skipped (checksum mismatch)", options_.name,
                    seg->path, next, lane.at.offset);
      OutboxDrop drop{cls.priority, "corrupt", lost, lane.floor, 0, {}};
      fmt_::RecordView next_view;
      size_t next_size;
      if (next < rest.size() && fmt_::ParseRecord(rest.subspan(next), next_view, next_size) == fmt_::ParseOutcome::kOk) {
        drop.last_seq = next_view.seq - 1;
      }
      lane.at.offset += next;
      for (uint64_t i = 0; i < lost; ++i) MarkDone(cls, seg->id, lost_bytes / lost);
      ReportDrop(cls, std::move(drop));
      continue;
    }
    uint64_t offset = lane.at.offset;
    lane.at.offset += size;
    lane.floor = view.seq + 1;
    if (is_backlog) {
      // Ranges the checkpoint says are done (counted done at Open). The live
      // lane only reads records appended since Open, never in them.
      while (!cls.acked_ahead.empty() && cls.acked_ahead.front().second < view.seq) cls.acked_ahead.pop_front();
      if (!cls.acked_ahead.empty() && cls.acked_ahead.front().first <= view.seq) continue;
    }
    if (view.append_time < too_old) {
      MarkDone(cls, seg->id, size);
      if (aged.records++ == 0) aged.first_seq = view.seq;
      aged.last_seq = view.seq;
      AddDevice(aged.devices, view.device);
      continue;
    }
    lane.window.push_back({view.seq, seg->id, offset, static_cast<uint32_t>(size), SlotState::kInFlight});
    ++cls.in_flight;
    AddRecord(out, cls.priority, view);
    cls.delivered.Add();
    ++added;
    bytes += view.payload.size();
  }
  if (aged.records > 0) ReportDrop(cls, std::move(aged));
  return added;
}

size_t Outbox::Impl::PeekAny(size_t max_records, size_t max_bytes, std::vector<OutboxRecord>& out) {
  std::lock_guard lock(mu_);
  size_t added = 0;
  size_t start = out.size();
  for (auto& cls : classes_) {
    size_t bytes = 0;
    for (size_t i = start; i < out.size(); ++i) bytes += out[i].payload.size();
    if (added >= max_records || (added > 0 && bytes >= max_bytes)) break;
    added += PeekLocked(cls, Lane::kBacklog, max_records - added, max_bytes - std::min(bytes, max_bytes), out);
  }
  return added;
}

static Slot* FindSlot(std::deque<Slot>& window, uint64_t seq) {
  auto it = std::lower_bound(window.begin(), window.end(), seq, [](const Slot& s, uint64_t v) { return s.seq < v; });
  return it != window.end() && it->seq == seq ? &*it : nullptr;
}

static Slot* FindSlot(ClassState& cls, uint64_t seq) {
  Slot* slot = FindSlot(cls.backlog.window, seq);
  return slot != nullptr ? slot : FindSlot(cls.live.window, seq);
}

static void PopAckedFront(std::deque<Slot>& window) {
  while (!window.empty() && window.front().state == SlotState::kAcked) window.pop_front();
}

void Outbox::Impl::Ack(std::span<const uint64_t> seqs) {
  std::lock_guard lock(mu_);
  for (uint64_t seq : seqs) {
    for (auto& cls : classes_) {
      Slot* slot = FindSlot(cls, seq);
      if (slot == nullptr) continue;
      if (slot->state != SlotState::kAcked) {
        if (slot->state == SlotState::kInFlight) --cls.in_flight;
        slot->state = SlotState::kAcked;
        MarkDone(cls, slot->segment, slot->size);
        cls.acked.Add();
      }
      break;
    }
  }
  for (auto& cls : classes_) {
    PopAckedFront(cls.backlog.window);
    PopAckedFront(cls.live.window);
  }
}

void Outbox::Impl::Nack(std::span<const uint64_t> seqs) {
  std::lock_guard lock(mu_);
  for (uint64_t seq : seqs) {
    for (auto& cls : classes_) {
      Slot* slot = FindSlot(cls, seq);
      if (slot == nullptr) continue;
      if (slot->state == SlotState::kInFlight) {
        slot->state = SlotState::kReturned;
        --cls.in_flight;
      }
      break;
    }
  }
}

void Outbox::Impl::NackAllInFlight() {
  std::lock_guard lock(mu_);
  for (auto& cls : classes_) {
    for (LaneState* lane : {&cls.backlog, &cls.live}) {
      for (Slot& slot : lane->window) {
        if (slot.state == SlotState::kInFlight) slot.state = SlotState::kReturned;
      }
    }
    cls.in_flight = 0;
  }
}

bool Outbox::Impl::LaneHasDataLocked(const ClassState& cls, const LaneState& lane) const {
  const bool bounded = &lane == &cls.backlog && cls.live_open;  // the backlog lane ends at the mark
  for (const Segment& seg : cls.segments) {
    if (seg.id < lane.at.segment) continue;
    Position from{seg.id, seg.id == lane.at.segment ? lane.at.offset : fmt_::kHeaderSize};
    uint64_t limit = ReadLimit(cls, seg);
    if (bounded) {
      if (!(from < cls.mark)) return false;
      if (seg.id == cls.mark.segment) limit = std::min(limit, cls.mark.offset);
    }
    if (from.offset < limit) return true;
  }
  return false;
}

bool Outbox::Impl::HasPending() const {
  std::lock_guard lock(mu_);
  for (const auto& cls : classes_) {
    for (const LaneState* lane : {&cls.backlog, &cls.live}) {
      for (const Slot& slot : lane->window) {
        if (slot.state == SlotState::kReturned) return true;
      }
    }
    if (cls.backlog.window.size() + cls.live.window.size() >= options_.max_in_flight) continue;
    if (options_.fsync == FsyncPolicy::kNever && !cls.buffer.empty()) return true;  // Peek writes it out
    if (LaneHasDataLocked(cls, cls.backlog)) return true;
    if (cls.live_open && LaneHasDataLocked(cls, cls.live)) return true;
  }
  return false;
}

// ---------------------------------------------------------------- housekeeping

uint64_t Outbox::Impl::FloorLocked(const ClassState& cls) const {
  return cls.backlog.window.empty() ? cls.backlog.floor : cls.backlog.window.front().seq;
}

// Appends the done ranges of a lane: every record of the lane in
// [from, lane.floor) is done except its window's unacknowledged slots. Two
// unacknowledged slots next to each other in the log have nothing between
// them, so the range count is bounded by the window, not by the acks.
static void AddDoneRanges(const LaneState& lane, uint64_t from, std::vector<OutboxCheckpoint::Range>& out) {
  uint64_t start = from;
  const Slot* previous = nullptr;  // the last unacknowledged slot, when nothing acked came after it
  for (const Slot& slot : lane.window) {
    if (slot.state == SlotState::kAcked) {
      previous = nullptr;
      continue;
    }
    const bool adjacent = previous != nullptr && previous->segment == slot.segment &&
                          previous->offset + previous->size == slot.offset;
    if (slot.seq > start && !adjacent) out.emplace_back(start, slot.seq - 1);
    start = slot.seq + 1;
    previous = &slot;
  }
  if (lane.floor > start) out.emplace_back(start, lane.floor - 1);
}

Status Outbox::Impl::WriteCheckpointLocked() {
  OutboxCheckpoint checkpoint;
  checkpoint.next_seq = next_seq_;
  for (int c = 0; c < kPriorityCount; ++c) {
    const ClassState& cls = classes_[c];
    auto& acks = checkpoint.classes[c];
    acks.floor = FloorLocked(cls);
    AddDoneRanges(cls.backlog, acks.floor, acks.acked);
    if (cls.live_open) AddDoneRanges(cls.live, cls.mark_seq, acks.acked);
    acks.acked.insert(acks.acked.end(), cls.acked_ahead.begin(), cls.acked_ahead.end());
    NormalizeRanges(acks.acked);
  }
  Status s = WriteCheckpointFile(options_.path, checkpoint, options_.fsync != FsyncPolicy::kNever);
  if (s.ok()) {
    checkpoint_dirty_ = false;
    checkpointed_next_seq_ = checkpoint.next_seq;
  }
  last_checkpoint_ = clock_->Monotonic();
  return s;
}

// Before `seg`'s file is deleted: when it holds seqs that the checkpoint on
// disk does not cover (its newest records), write the checkpoint first.
// Otherwise a crash right after the unlink lets the next run hand out those
// seqs again, and the receiver would drop the new records as duplicates.
// False when that write failed: callers that delete for room (overflow,
// full disk) delete anyway; the others wait for a later round.
bool Outbox::Impl::SaveNextSeqBeforeDeletingLocked(const Segment& seg) {
  if (seg.records == 0 || seg.max_seq < checkpointed_next_seq_) return true;
  Status s = WriteCheckpointLocked();
  if (!s.ok()) spdlog::warn("outbox {}: checkpoint before deleting {}: {}", options_.name, seg.path, s.ToString());
  return s.ok();
}

void Outbox::Impl::UnlinkSegmentFile(const Segment& seg) {
  ::unlink(seg.path.c_str());
  if (options_.after_segment_delete_for_test) options_.after_segment_delete_for_test();
}

bool Outbox::Impl::HasUnackedSlot(const ClassState& cls, const Segment& seg) const {
  for (const LaneState* lane : {&cls.backlog, &cls.live}) {
    auto it = std::lower_bound(lane->window.begin(), lane->window.end(), seg.min_seq,
                               [](const Slot& s, uint64_t v) { return s.seq < v; });
    for (; it != lane->window.end() && it->seq <= seg.max_seq; ++it) {
      if (it->segment == seg.id && it->state != SlotState::kAcked) return true;
    }
  }
  return false;
}

std::vector<size_t> Outbox::Impl::DoneSegmentsLocked(const ClassState& cls) const {
  std::vector<size_t> done;
  const uint64_t floor = FloorLocked(cls);
  for (size_t i = 0; i < cls.segments.size(); ++i) {
    const Segment& seg = cls.segments[i];
    if (!seg.sealed) continue;
    // Every record was read by the lane that owns it: each one is then done
    // (acked, aged out, corrupt) or a slot of a delivery window.
    const Position end{seg.id, seg.file_bytes};
    const bool backlog_passed = !(cls.backlog.at < end);
    const bool live_passed = cls.live_open && !(Position{seg.id, fmt_::kHeaderSize} < cls.mark) && !(cls.live.at < end);
    if (!backlog_passed && !live_passed) continue;
    const bool below_floor = seg.records == 0 || seg.max_seq < floor;
    if ((backlog_passed && below_floor) || !HasUnackedSlot(cls, seg)) done.push_back(i);
  }
  return done;
}

void Outbox::Impl::DeleteSegmentLocked(ClassState& cls, size_t index) {
  Segment& seg = cls.segments[index];
  const uint64_t undone = seg.records - std::min(seg.records, seg.done);
  cls.backlog_records -= std::min(cls.backlog_records, undone);
  cls.backlog_bytes -= std::min(cls.backlog_bytes, seg.record_bytes - std::min(seg.record_bytes, seg.done_bytes));
  disk_bytes_ -= std::min(disk_bytes_, seg.file_bytes);
  if (cls.chunk_segment == seg.id) cls.chunk_segment = UINT64_MAX;
  CloseReadFd(seg);
  UnlinkSegmentFile(seg);
  cls.segments.erase(cls.segments.begin() + static_cast<std::ptrdiff_t>(index));
  checkpoint_dirty_ = true;
}

void Outbox::Impl::DeleteDoneSegmentsLocked() {
  std::array<std::vector<size_t>, kPriorityCount> done;
  bool any = false;
  for (int c = 0; c < kPriorityCount; ++c) {
    done[c] = DoneSegmentsLocked(classes_[c]);
    any = any || !done[c].empty();
  }
  if (!any) return;
  // Checkpoint first: after a crash the deleted records' seqs must be
  // neither below next_seq's reach (reused) nor missing from the acks.
  if (checkpoint_dirty_) {
    Status s = WriteCheckpointLocked();
    if (!s.ok()) spdlog::warn("outbox {}: ack checkpoint before deleting segments: {}", options_.name, s.ToString());
  }
  for (int c = 0; c < kPriorityCount; ++c) {
    for (auto it = done[c].rbegin(); it != done[c].rend(); ++it) {
      // The checkpoint could not be written: a segment holding seqs it does
      // not cover waits (deleting it could let the next run reuse them).
      const Segment& seg = classes_[c].segments[*it];
      if (seg.records > 0 && seg.max_seq >= checkpointed_next_seq_) continue;
      DeleteSegmentLocked(classes_[c], *it);
    }
  }
}

void Outbox::Impl::UpdateGaugesLocked() {
  TimeMicros now = clock_->Now();
  for (auto& cls : classes_) {
    if (cls.backlog_records_gauge == nullptr) continue;
    cls.backlog_records_gauge->Set(static_cast<double>(cls.backlog_records));
    cls.backlog_bytes_gauge->Set(static_cast<double>(cls.backlog_bytes));
    TimeMicros oldest = 0;
    for (const Segment& seg : cls.segments) {
      if (seg.done < seg.records) {
        oldest = seg.oldest_append;
        break;
      }
    }
    cls.oldest_age_gauge->Set(oldest == 0 ? 0.0 : static_cast<double>(now - oldest) / kMicrosPerSecond);
  }
  if (disk_bytes_gauge_ != nullptr) disk_bytes_gauge_->Set(static_cast<double>(disk_bytes_));
}

Status Outbox::Impl::Maintain() {
  Status first;
  bool commit_due;
  {
    std::lock_guard lock(mu_);
    commit_due = clock_->Monotonic() - last_sync_ >= options_.fsync_interval;
  }
  if (commit_due) first = GroupCommit();
  std::lock_guard lock(mu_);
  TimeMicros mono = clock_->Monotonic();
  if (options_.max_age > 0) {
    TimeMicros too_old = clock_->Now() - options_.max_age;
    for (auto& cls : classes_) {
      while (!cls.segments.empty() && cls.segments.front().newest_append < too_old &&
             cls.segments.front().records > 0) {
        Segment& seg = cls.segments.front();
        if (!SaveNextSeqBeforeDeletingLocked(seg)) break;  // aged records may wait for the disk
        OutboxDrop drop{cls.priority, "age", seg.records - seg.done, std::max(seg.min_seq, FloorLocked(cls)),
                        seg.max_seq, seg.devices};
        RemoveFrontSegmentLocked(cls);
        if (drop.records > 0) ReportDrop(cls, std::move(drop));
      }
    }
  }
  DeleteDoneSegmentsLocked();
  if (checkpoint_dirty_ && mono - last_checkpoint_ >= options_.checkpoint_interval) {
    Status s = WriteCheckpointLocked();
    if (!s.ok() && first.ok()) first = s;
  }
  UpdateGaugesLocked();
  return first;
}

OutboxStats Outbox::Impl::Stats() const {
  std::lock_guard lock(mu_);
  OutboxStats stats;
  for (int c = 0; c < kPriorityCount; ++c) {
    const ClassState& cls = classes_[c];
    OutboxClassStats& s = stats.classes[c];
    s.backlog_records = cls.backlog_records;
    s.backlog_bytes = cls.backlog_bytes;
    s.in_flight = cls.in_flight;
    s.live_lane_open = cls.live_open;
    for (const Segment& seg : cls.segments) {
      if (seg.done < seg.records) {
        s.oldest_append_time = seg.oldest_append;
        break;
      }
    }
    s.appended = cls.appended.value;
    s.acked = cls.acked.value;
    s.refused = cls.refused.value;
    s.evicted_overflow = cls.evicted_overflow.value;
    s.evicted_disk_full = cls.evicted_disk_full.value;
    s.evicted_age = cls.evicted_age.value;
    s.corrupt = cls.corrupt.value;
  }
  stats.disk_bytes = disk_bytes_;
  stats.last_seq = next_seq_ - 1;
  stats.durable_seq = durable_seq_;
  stats.fsyncs = fsyncs_.value;
  stats.recent_drops.assign(recent_drops_.begin(), recent_drops_.end());
  return stats;
}

void Outbox::Impl::StartThread() {
  if (!options_.background_thread) return;
  thread_ = std::thread([this] {
    NameThisThread("ef-outbox");
    ThreadMain();
  });
}

void Outbox::Impl::StopThread() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(thread_mu_);
    stop_ = true;
  }
  thread_cv_.notify_all();
  thread_.join();
}

void Outbox::Impl::ThreadMain() {
  auto period = std::chrono::microseconds(std::min<TimeMicros>(options_.fsync_interval, kMicrosPerSecond));
  std::unique_lock lock(thread_mu_);
  while (!thread_cv_.wait_for(lock, period, [this] { return stop_; })) {
    lock.unlock();
    Status s = Maintain();
    if (!s.ok() && drop_log_.Admit(*clock_)) spdlog::error("outbox {}: {}", options_.name, s.ToString());
    lock.lock();
  }
}

// ---------------------------------------------------------------- public

Outbox::Outbox(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Outbox::~Outbox() = default;

Result<std::unique_ptr<Outbox>> Outbox::Open(const OutboxOptions& options) {
  auto impl = std::make_unique<Impl>(options);
  Status s = impl->Init();
  if (!s.ok()) return s;
  impl->StartThread();
  return std::unique_ptr<Outbox>(new Outbox(std::move(impl)));
}

Result<uint64_t> Outbox::Append(Priority p, std::string_view device, TimeMicros time,
                                std::span<const uint8_t> payload) {
  return impl_->Append(p, device, time, payload);
}
Result<uint64_t> Outbox::Append(Priority p, std::string_view device, TimeMicros time, std::string_view payload) {
  return impl_->Append(p, device, time, Bytes(payload));
}
Status Outbox::Commit() { return impl_->Commit(); }
size_t Outbox::Peek(Priority p, size_t max_records, size_t max_bytes, std::vector<OutboxRecord>& out, Lane lane) {
  return impl_->Peek(p, max_records, max_bytes, out, lane);
}
size_t Outbox::PeekAny(size_t max_records, size_t max_bytes, std::vector<OutboxRecord>& out) {
  return impl_->PeekAny(max_records, max_bytes, out);
}
void Outbox::Ack(std::span<const uint64_t> seqs) { impl_->Ack(seqs); }
void Outbox::Nack(std::span<const uint64_t> seqs) { impl_->Nack(seqs); }
void Outbox::NackAllInFlight() { impl_->NackAllInFlight(); }
Status Outbox::Maintain() { return impl_->Maintain(); }
bool Outbox::HasPending() const { return impl_->HasPending(); }
OutboxStats Outbox::Stats() const { return impl_->Stats(); }

}  // namespace edgeflow
