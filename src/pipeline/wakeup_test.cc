#include "pipeline/wakeup.h"

#include <gtest/gtest.h>

#include <thread>

namespace edgeflow {
namespace {

TEST(WakeupTest, ANotificationBeforeTheWaitIsNotLost) {
  Wakeup w;
  w.Notify();
  const auto start = std::chrono::steady_clock::now();
  w.Wait(60 * kMicrosPerSecond);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

TEST(WakeupTest, WaitEndsAfterTheTimeoutWithoutNotification) {
  Wakeup w;
  const auto start = std::chrono::steady_clock::now();
  w.Wait(20 * kMicrosPerMilli);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(19));
}

TEST(WakeupTest, NotifyFromAnotherThreadWakesTheWaiter) {
  Wakeup w;
  for (int i = 0; i < 100; ++i) {
    std::thread t([&] { w.Notify(); });
    w.Wait(60 * kMicrosPerSecond);  // would hang for a minute if the wakeup were lost
    t.join();
  }
}

}  // namespace
}  // namespace edgeflow
