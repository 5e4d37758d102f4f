// Randomised model check of the outbox (30 fixed seeds; seed 6 found the
// consecutive-segment-id skip): appends, peeks on both lanes, acks,
// nacks, housekeeping and clean reopens in random order; the outbox must
// never hand out a record that is acked or already in flight, and after the
// last reopen it must hand out exactly the records never acknowledged.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <random>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "forward/outbox.h"
#include "forward/outbox_test_util.h"

namespace edgeflow {
namespace {

using outbox_testing::kStart;

class OutboxRandomTest : public outbox_testing::OutboxFixture {};

TEST_F(OutboxRandomTest, NeverHandsOutAckedOrInFlightRecordsAndLosesNone) {
  for (uint32_t seed = 1; seed <= 30; ++seed) {
    std::filesystem::remove_all(dir_);
    std::mt19937 rng(seed);
    auto o = Options();
    o.max_in_flight = 64;
    auto outbox = Open(o);
    ASSERT_NE(outbox, nullptr);
    std::map<uint64_t, int> unacked;  // seq -> class
    std::set<uint64_t> in_flight;
    uint64_t last_seq = 0;
    const int ops = 400;
    for (int op = 0; op < ops; ++op) {
      const int kind = static_cast<int>(rng() % 100);
      const int c = static_cast<int>(rng() % 3);
      const auto p = static_cast<Priority>(c);
      if (kind < 40) {
        const int n = 1 + static_cast<int>(rng() % 8);
        for (int i = 0; i < n; ++i) {
          auto seq = outbox->Append(p, "d", kStart, std::string(20 + rng() % 300, 'x'));
          ASSERT_TRUE(seq.ok()) << seed;
          ASSERT_GT(*seq, last_seq) << "seed " << seed;
          last_seq = *seq;
          unacked[*seq] = c;
        }
      } else if (kind < 70) {
        std::vector<OutboxRecord> out;
        const Lane lane = rng() % 2 ? Lane::kLive : Lane::kBacklog;
        outbox->Peek(p, 1 + rng() % 10, 1 << 20, out, lane);
        for (const auto& r : out) {
          ASSERT_TRUE(unacked.count(r.seq)) << "seed " << seed << " op " << op << ": acked seq " << r.seq
                                            << " handed out again";
          ASSERT_EQ(unacked[r.seq], c);
          ASSERT_TRUE(in_flight.insert(r.seq).second)
              << "seed " << seed << " op " << op << ": seq " << r.seq << " handed out twice";
        }
      } else if (kind < 85) {
        std::vector<uint64_t> acks;
        for (uint64_t s : in_flight) {
          if (rng() % 3 != 0) acks.push_back(s);
        }
        outbox->Ack(acks);
        for (uint64_t s : acks) {
          in_flight.erase(s);
          unacked.erase(s);
        }
      } else if (kind < 92) {
        std::vector<uint64_t> nacks;
        for (uint64_t s : in_flight) {
          if (rng() % 2 == 0) nacks.push_back(s);
        }
        outbox->Nack(nacks);
        for (uint64_t s : nacks) in_flight.erase(s);
      } else if (kind < 96) {
        ASSERT_TRUE(outbox->Maintain().ok());
      } else if (kind < 98) {
        outbox->NackAllInFlight();
        in_flight.clear();
      } else {
        outbox.reset();
        in_flight.clear();
        outbox = Open(o);
        ASSERT_NE(outbox, nullptr);
      }
    }
    outbox.reset();
    outbox = Open(o);
    std::set<uint64_t> rest;
    for (int c = 0; c < 3; ++c) {
      for (;;) {
        std::vector<OutboxRecord> out;
        if (outbox->Peek(static_cast<Priority>(c), 1000, 1 << 20, out) == 0) break;
        std::vector<uint64_t> seqs;
        for (const auto& r : out) {
          ASSERT_TRUE(rest.insert(r.seq).second) << "seed " << seed;
          seqs.push_back(r.seq);
        }
        outbox->Ack(seqs);
      }
    }
    std::set<uint64_t> expected;
    for (const auto& [s, c] : unacked) expected.insert(s);
    std::string missing, extra;
    for (uint64_t s : expected) {
      if (!rest.count(s)) missing += std::to_string(s) + "(c" + std::to_string(unacked[s]) + ") ";
    }
    for (uint64_t s : rest) {
      if (!expected.count(s)) extra += std::to_string(s) + " ";
    }
    ASSERT_TRUE(missing.empty() && extra.empty()) << "seed " << seed << " lost: " << missing << " redelivered: " << extra;
    auto next = outbox->Append(Priority::kAlert, "d", kStart, "x");
    ASSERT_TRUE(next.ok());
    ASSERT_GT(*next, last_seq) << "seed " << seed;
    outbox.reset();
  }
}

// Crashes: each run is a child process that dies at a random point (right
// after a segment file is deleted, or at the end without closing). After
// every crash, the next Open must hand out every record that was handed out
// or committed and not acknowledged, nothing unknown, and continue the seqs
// above every seq ever handed out. (5 seeds a variant here; 400 a variant
// passed when this was written: raise the bound to hunt.)
TEST_F(OutboxRandomTest, CrashesLoseNoUnackedRecordAndReuseNoSeq) {
  struct Variant {
    FsyncPolicy fsync;
    uint64_t max_bytes;  // small: overflow evictions (logged, then not required)
    bool crash_after_delete;
  };
  const Variant variants[] = {
      {FsyncPolicy::kNever, 1 << 20, true},
      {FsyncPolicy::kInterval, 1 << 20, true},
      {FsyncPolicy::kNever, 4 * 4096, false},
  };
  for (const Variant& variant : variants)
  for (uint32_t seed = 1; seed <= 5; ++seed) {
    std::filesystem::remove_all(dir_);
    std::map<uint64_t, int> unacked;
    std::set<uint64_t> acked, required;  // required: handed out or committed, not acked
    uint64_t max_handed = 0;
    const std::string log_path = dir_.string() + ".log";
    for (int run = 0; run < 6; ++run) {
      std::filesystem::remove(log_path);
      const pid_t pid = fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        std::mt19937 rng(seed * 1000 + static_cast<uint32_t>(run));
        const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        auto note = [&](char what, uint64_t seq, int c) {
          std::string line = std::string(1, what) + " " + std::to_string(seq) + " " + std::to_string(c) + "\n";
          (void)!::write(log, line.data(), line.size());
        };
        auto o = Options();
        o.fsync = variant.fsync;
        o.max_bytes = variant.max_bytes;
        o.max_in_flight = 64;
        o.checkpoint_interval = rng() % 2 ? 0 : 3600 * kMicrosPerSecond;
        if (variant.crash_after_delete) {
          o.after_segment_delete_for_test = [&] {
            if (rng() % 3 == 0) _exit(0);
          };
        }
        auto opened = Outbox::Open(o);
        if (!opened.ok()) _exit(2);
        Outbox& outbox = **opened;
        std::set<uint64_t> in_flight;
        OutboxDrop last_drop;
        bool seen_drop = false;
        for (int op = 0; op < 150; ++op) {
          const int kind = static_cast<int>(rng() % 100);
          const int c = static_cast<int>(rng() % 3);
          const auto p = static_cast<Priority>(c);
          if (kind < 40) {
            for (int i = 0, n = 1 + static_cast<int>(rng() % 8); i < n; ++i) {
              auto seq = outbox.Append(p, "d", kStart, std::string(20 + rng() % 300, 'x'));
              if (!seq.ok() && seq.status().code() != StatusCode::kResourceExhausted) _exit(3);
              if (seq.ok()) note('a', *seq, c);
            }
          } else if (kind < 70) {
            std::vector<OutboxRecord> out;
            outbox.Peek(p, 1 + rng() % 10, 1 << 20, out, rng() % 2 ? Lane::kLive : Lane::kBacklog);
            for (const auto& r : out) {
              note('h', r.seq, c);
              in_flight.insert(r.seq);
            }
          } else if (kind < 85) {
            std::vector<uint64_t> acks;
            for (uint64_t s : in_flight) {
              if (rng() % 3 != 0) acks.push_back(s);
            }
            outbox.Ack(acks);
            for (uint64_t s : acks) {
              note('k', s, 0);
              in_flight.erase(s);
            }
          } else if (kind < 90) {
            std::vector<uint64_t> nacks;
            for (uint64_t s : in_flight) {
              if (rng() % 2 == 0) nacks.push_back(s);
            }
            outbox.Nack(nacks);
            for (uint64_t s : nacks) in_flight.erase(s);
          } else if (kind < 95) {
            if (!outbox.Commit().ok()) _exit(4);
            note('d', outbox.Stats().durable_seq, 0);
          } else {
            (void)outbox.Maintain();
          }
          // Evictions: the drops reported since the last op.
          const std::vector<OutboxDrop> drops = outbox.Stats().recent_drops;
          size_t from = 0;
          for (size_t i = drops.size(); i-- > 0;) {
            const OutboxDrop& d = drops[i];
            if (seen_drop && d.first_seq == last_drop.first_seq && d.last_seq == last_drop.last_seq &&
                d.priority == last_drop.priority && d.reason == last_drop.reason) {
              from = i + 1;
              break;
            }
          }
          for (size_t i = from; i < drops.size(); ++i) {
            note('e', drops[i].first_seq, static_cast<int>(drops[i].priority));
            note('f', drops[i].last_seq, static_cast<int>(drops[i].priority));
          }
          if (!drops.empty()) {
            last_drop = drops.back();
            seen_drop = true;
          }
        }
        if (rng() % 2 == 0) {
          opened->reset();  // a clean close this time
        }
        _exit(0);
      }
      int status = 0;
      ASSERT_EQ(waitpid(pid, &status, 0), pid);
      ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "seed " << seed << " run " << run;
      // Fold the run's log into the model.
      std::ifstream in(log_path);
      std::string line;
      std::map<uint64_t, int> appended_now;
      uint64_t evicted_first = 0;
      while (std::getline(in, line)) {
        std::istringstream f(line);
        char what;
        uint64_t seq;
        int c;
        f >> what >> seq >> c;
        if (what == 'a') {
          unacked[seq] = c;
          appended_now[seq] = c;
        } else if (what == 'h') {
          max_handed = std::max(max_handed, seq);
          if (!acked.count(seq)) required.insert(seq);
        } else if (what == 'k') {
          acked.insert(seq);
          unacked.erase(seq);
          required.erase(seq);
        } else if (what == 'e') {
          evicted_first = seq;
        } else if (what == 'f') {
          for (auto it = unacked.lower_bound(evicted_first); it != unacked.end() && it->first <= seq;) {
            if (it->second != c) {
              ++it;
              continue;
            }
            required.erase(it->first);
            it = unacked.erase(it);
          }
        } else if (what == 'd') {
          for (const auto& [s, cls] : appended_now) {
            if (s <= seq && unacked.count(s)) required.insert(s);
          }
        }
      }
      // Records appended but neither committed nor handed out may be lost in
      // a crash: forget them unless the next Open finds them.
      auto o = Options();
      o.fsync = variant.fsync;
      o.max_bytes = variant.max_bytes;
      o.max_in_flight = 1 << 20;
      auto outbox = Open(o);
      ASSERT_NE(outbox, nullptr);
      std::set<uint64_t> found;
      for (int c = 0; c < 3; ++c) {
        std::vector<OutboxRecord> out;
        while (outbox->Peek(static_cast<Priority>(c), 100000, 1 << 30, out) > 0) {
        }
        for (const auto& r : out) {
          ASSERT_TRUE(found.insert(r.seq).second) << "seed " << seed << " run " << run;
          ASSERT_TRUE(unacked.count(r.seq) || acked.count(r.seq))
              << "seed " << seed << " run " << run << ": unknown seq " << r.seq;
        }
      }
      std::string missing;
      for (uint64_t s : required) {
        if (!found.count(s)) missing += std::to_string(s) + " ";
      }
      ASSERT_TRUE(missing.empty()) << "seed " << seed << " run " << run << " lost: " << missing;
      ASSERT_GT(outbox->Stats().last_seq + 1, max_handed) << "seed " << seed << " run " << run;
      // What was not found was lost in the crash (never durable): forget it.
      for (auto it = unacked.begin(); it != unacked.end();) {
        it = found.count(it->first) ? std::next(it) : unacked.erase(it);
      }
      outbox->NackAllInFlight();
      outbox.reset();
    }
    std::filesystem::remove(log_path);
  }
}

}  // namespace
}  // namespace edgeflow
