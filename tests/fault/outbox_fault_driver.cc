// Drives an outbox on a small filesystem that really fills up (the tmpfs
// mounted by outbox_full_disk_test.sh) and checks that the overflow policy
// is applied exactly as configured and that what was dropped is reported.
//   outbox_fault_driver DIR drop_oldest|drop_newest
// Exit 0 when every check passed; prints each failed check.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "forward/outbox.h"

using namespace edgeflow;

namespace {

int failures = 0;

#define EXPECT(cond, ...)                                        \
  do {                                                           \
    if (!(cond)) {                                               \
      ++failures;                                                \
      std::printf("FAIL line %d: %s: ", __LINE__, #cond);        \
      std::printf(__VA_ARGS__);                                  \
      std::printf("\n");                                         \
    }                                                            \
  } while (0)

OutboxOptions Options(const std::string& dir, OverflowPolicy policy) {
  OutboxOptions o;
  o.path = dir;
  o.fsync = FsyncPolicy::kInterval;
  o.max_bytes = 64ull << 20;  // far above the filesystem: the disk fills first
  o.segment_bytes = 64 << 10;
  o.overflow = policy;
  o.background_thread = false;  // commits below, deterministically
  return o;
}

std::vector<uint64_t> DrainAll(Outbox& outbox, Priority p) {
  std::vector<OutboxRecord> out;
  while (outbox.Peek(p, 10000, 64 << 20, out) > 0) {
  }
  std::vector<uint64_t> seqs;
  for (const auto& r : out) seqs.push_back(r.seq);
  outbox.Nack(seqs);  // leave them pending
  return seqs;
}

void PrintDrops(const OutboxStats& stats) {
  size_t shown = 0;
  for (const auto& d : stats.recent_drops) {
    if (++shown > 4) break;  // the first few of the last 32 are enough to read
    std::string devices;
    for (const auto& dev : d.devices) devices += dev + " ";
    std::printf("  drop: class=%s reason=%s records=%llu seq=%llu..%llu devices=%s\n",
                std::string(PriorityName(d.priority)).c_str(), d.reason.c_str(),
                static_cast<unsigned long long>(d.records), static_cast<unsigned long long>(d.first_seq),
                static_cast<unsigned long long>(d.last_seq), devices.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: outbox_fault_driver DIR drop_oldest|drop_newest\n");
    return 2;
  }
  std::string dir = argv[1];
  std::string mode = argv[2];
  OverflowPolicy policy = mode == "drop_newest" ? OverflowPolicy::kDropNewest : OverflowPolicy::kDropOldest;
  std::string payload(200, 'x');
  const int kAlerts = 100;
  const int kTelemetry = 40000;  // ~10 MB: five times the filesystem

  auto opened = Outbox::Open(Options(dir, policy));
  if (!opened.ok()) {
    std::printf("FAIL open: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  auto outbox = std::move(opened).value();
  std::vector<uint64_t> alerts;
  for (int i = 0; i < kAlerts; ++i) {
    auto seq = outbox->Append(Priority::kAlert, "alarm-" + std::to_string(i % 3), i, payload);
    EXPECT(seq.ok(), "alert %d: %s", i, seq.status().ToString().c_str());
    if (seq.ok()) alerts.push_back(*seq);
  }
  EXPECT(outbox->Commit().ok(), "commit of the alerts");

  uint64_t accepted = 0, failed = 0, first_failure_seq_hint = 0;
  std::string first_error;
  for (int i = 0; i < kTelemetry; ++i) {
    auto seq = outbox->Append(Priority::kTelemetry, "sensor-" + std::to_string(i % 4), 1000 + i, payload);
    if (seq.ok()) {
      ++accepted;
    } else {
      ++failed;
      if (first_error.empty()) {
        first_error = seq.status().ToString();
        first_failure_seq_hint = outbox->Stats().last_seq;
      }
    }
    if (i % 1000 == 999) (void)outbox->Commit();  // failures show up in the counters below
  }
  Status last_commit = outbox->Commit();
  auto stats = outbox->Stats();
  const auto& tel = stats.classes[static_cast<int>(Priority::kTelemetry)];
  const auto& alr = stats.classes[static_cast<int>(Priority::kAlert)];
  std::printf("%s: telemetry appended=%llu append_errors=%llu evicted_disk_full=%llu evicted_overflow=%llu "
              "refused=%llu backlog=%llu; alerts backlog=%llu; disk_bytes=%llu; first error: %s\n",
              mode.c_str(), static_cast<unsigned long long>(tel.appended), static_cast<unsigned long long>(failed),
              static_cast<unsigned long long>(tel.evicted_disk_full),
              static_cast<unsigned long long>(tel.evicted_overflow), static_cast<unsigned long long>(tel.refused),
              static_cast<unsigned long long>(tel.backlog_records), static_cast<unsigned long long>(alr.backlog_records),
              static_cast<unsigned long long>(stats.disk_bytes), first_error.empty() ? "-" : first_error.c_str());
  PrintDrops(stats);

  // Common to both policies: the disk really filled, the node kept going,
  // alerts were never touched, and every telemetry record is accounted for.
  EXPECT(tel.evicted_disk_full > 0, "the filesystem never filled (is DIR a small tmpfs?)");
  EXPECT(alr.evicted_disk_full == 0 && alr.evicted_overflow == 0, "alerts were evicted");
  EXPECT(alr.backlog_records == static_cast<uint64_t>(kAlerts), "alert backlog %llu",
         static_cast<unsigned long long>(alr.backlog_records));
  EXPECT(tel.evicted_overflow == 0, "max_bytes is far above the disk: no overflow evictions expected");
  EXPECT(tel.backlog_records + tel.evicted_disk_full == tel.appended, "telemetry not accounted for: %llu + %llu != %llu",
         static_cast<unsigned long long>(tel.backlog_records), static_cast<unsigned long long>(tel.evicted_disk_full),
         static_cast<unsigned long long>(tel.appended));
  bool reported = false;
  for (const auto& d : stats.recent_drops) {
    if (d.reason == "disk_full" && d.priority == Priority::kTelemetry && d.records > 0 && d.first_seq > 0 &&
        d.last_seq >= d.first_seq && !d.devices.empty()) {
      reported = true;
    }
    EXPECT(d.priority == Priority::kTelemetry, "a drop of another class");
  }
  EXPECT(reported, "no disk_full drop reported with class, seq range and devices");

  auto telemetry = DrainAll(*outbox, Priority::kTelemetry);
  auto delivered_alerts = DrainAll(*outbox, Priority::kAlert);
  EXPECT(delivered_alerts == alerts, "alerts delivered %zu of %zu", delivered_alerts.size(), alerts.size());
  EXPECT(telemetry.size() == tel.backlog_records, "telemetry readable %zu, backlog %llu", telemetry.size(),
         static_cast<unsigned long long>(tel.backlog_records));

  if (policy == OverflowPolicy::kDropOldest) {
    // Oldest telemetry goes: every Append succeeded and the newest records are kept.
    EXPECT(failed == 0, "%llu appends failed under drop_oldest (%s)", static_cast<unsigned long long>(failed),
           first_error.c_str());
    EXPECT(last_commit.ok(), "final commit: %s", last_commit.ToString().c_str());
    EXPECT(!telemetry.empty() && telemetry.back() == stats.last_seq, "the newest record is not kept");
    EXPECT(!telemetry.empty() && telemetry.front() > alerts.back() + 1, "the oldest telemetry was kept");
    for (const auto& d : stats.recent_drops) {
      EXPECT(telemetry.empty() || d.last_seq < telemetry.front(), "a dropped range %llu..%llu is newer than kept data",
             static_cast<unsigned long long>(d.first_seq), static_cast<unsigned long long>(d.last_seq));
    }
  } else {
    // New telemetry is refused: the oldest records are kept, the failures are reported.
    EXPECT(failed > 0, "no Append failed under drop_newest");
    EXPECT(first_error.find("filesystem full") != std::string::npos, "unclear error: %s", first_error.c_str());
    EXPECT(!telemetry.empty() && telemetry.front() == alerts.back() + 1, "the oldest telemetry was evicted");
    EXPECT(first_failure_seq_hint > alerts.back(), "failed before any telemetry");
    // An alert still gets in on the full disk by evicting telemetry.
    auto alert = outbox->Append(Priority::kAlert, "alarm-late", 0, payload);
    Status commit = outbox->Commit();
    EXPECT(alert.ok() && commit.ok(), "alert on the full disk: %s / %s", alert.status().ToString().c_str(),
           commit.ToString().c_str());
  }

  // Restart on the full filesystem: everything still pending is still there.
  uint64_t pending_alerts = outbox->Stats().classes[0].backlog_records;
  uint64_t pending_telemetry = outbox->Stats().classes[2].backlog_records;
  uint64_t last_seq = outbox->Stats().last_seq;
  outbox.reset();
  auto reopened = Outbox::Open(Options(dir, policy));
  EXPECT(reopened.ok(), "reopen: %s", reopened.status().ToString().c_str());
  if (reopened.ok()) {
    auto s = (*reopened)->Stats();
    EXPECT(s.classes[0].backlog_records == pending_alerts, "alerts after restart %llu of %llu",
           static_cast<unsigned long long>(s.classes[0].backlog_records),
           static_cast<unsigned long long>(pending_alerts));
    EXPECT(s.classes[2].backlog_records == pending_telemetry, "telemetry after restart %llu of %llu",
           static_cast<unsigned long long>(s.classes[2].backlog_records),
           static_cast<unsigned long long>(pending_telemetry));
    EXPECT(s.last_seq == last_seq, "seq after restart %llu, before %llu", static_cast<unsigned long long>(s.last_seq),
           static_cast<unsigned long long>(last_seq));
  }
  std::printf("%s: %s\n", mode.c_str(), failures == 0 ? "PASS" : "FAILED");
  return failures == 0 ? 0 : 1;
}
