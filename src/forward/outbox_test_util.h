// Test fixture shared by the outbox's unit tests: a fresh directory per
// test, small segments (4 KiB) so a few records span several, no
// background thread (tests call Maintain), a manual clock and metrics.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/metrics.h"
#include "forward/outbox.h"

namespace edgeflow::outbox_testing {

inline constexpr TimeMicros kStart = 1'700'000'000'000'000;

class OutboxFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("outbox_" + std::to_string(::getpid()) + "_" + test->test_suite_name() + "_" + test->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  OutboxOptions Options() {
    OutboxOptions o;
    o.path = dir_.string();
    o.fsync = FsyncPolicy::kNever;  // Peek sees every record at once; the interval test covers group commit
    o.segment_bytes = 4096;
    o.max_bytes = 1 << 20;
    o.background_thread = false;
    o.clock = &clock_;
    o.metrics = &metrics_;
    return o;
  }
  std::unique_ptr<Outbox> Open(const OutboxOptions& o) {
    auto outbox = Outbox::Open(o);
    EXPECT_TRUE(outbox.ok()) << outbox.status().ToString();
    return outbox.ok() ? std::move(outbox).value() : nullptr;
  }

  std::filesystem::path dir_;
  ManualClock clock_{kStart};
  MetricsRegistry metrics_;
};

}  // namespace edgeflow::outbox_testing
