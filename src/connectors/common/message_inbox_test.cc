#include "connectors/common/message_inbox.h"

#include <gtest/gtest.h>

#include <thread>

namespace edgeflow {
namespace {

std::vector<std::string> DrainAll(MessageInbox& inbox, size_t max = SIZE_MAX) {
  std::vector<std::string> seen;
  inbox.Drain(max, [&](const InboxMessage& m) {
    seen.push_back(std::string(m.origin) + "=" + std::string(m.payload));
    // Padding after the payload is readable (JSON is parsed in place).
    EXPECT_EQ(m.payload.data()[m.payload.size() + MessageInbox::kPadding - 1], ' ');
  });
  return seen;
}

TEST(MessageInboxTest, DeliversInOrderAcrossDrains) {
  MessageInbox inbox(1 << 20, nullptr);
  ASSERT_TRUE(inbox.TryPush("a", "1", 10, 7));
  ASSERT_TRUE(inbox.TryPush("b", "2", 11));
  ASSERT_TRUE(inbox.TryPush("c", "3", 12));
  EXPECT_EQ(DrainAll(inbox, 2), (std::vector<std::string>{"a=1", "b=2"}));
  ASSERT_TRUE(inbox.TryPush("d", "4", 13));
  EXPECT_EQ(DrainAll(inbox), (std::vector<std::string>{"c=3"}));
  EXPECT_EQ(DrainAll(inbox), (std::vector<std::string>{"d=4"}));
  EXPECT_TRUE(DrainAll(inbox).empty());
}

TEST(MessageInboxTest, KeepsTagsAndTimes) {
  MessageInbox inbox(1 << 20, nullptr);
  ASSERT_TRUE(inbox.TryPush("t", "p", 42, (1u << 16) | 9));
  inbox.Drain(10, [](const InboxMessage& m) {
    EXPECT_EQ(m.received, 42);
    EXPECT_EQ(m.tag, (1u << 16) | 9);
  });
}

TEST(MessageInboxTest, FullInboxRefusesUntilDrainedButTakesOneOversizedMessage) {
  MessageInbox inbox(200, nullptr);
  const std::string big(500, 'x');
  EXPECT_TRUE(inbox.TryPush("t", big, 0));  // empty: taken whatever its size
  EXPECT_FALSE(inbox.TryPush("t", "small", 0));
  EXPECT_EQ(DrainAll(inbox).size(), 1u);
  EXPECT_TRUE(inbox.TryPush("t", "small", 0));
}

TEST(MessageInboxTest, BlockedPushResumesWhenTheConsumerDrains) {
  MessageInbox inbox(100, nullptr);
  ASSERT_TRUE(inbox.TryPush("t", std::string(90, 'x'), 0));
  std::atomic<bool> pushed{false};
  std::thread producer([&] {
    pushed = inbox.Push("t", "late", 0, 0, 10 * kMicrosPerSecond);
  });
  // Drain until the producer's message arrives.
  std::vector<std::string> seen;
  while (seen.size() < 2) {
    for (std::string& s : DrainAll(inbox)) seen.push_back(std::move(s));
  }
  producer.join();
  EXPECT_TRUE(pushed);
  EXPECT_EQ(seen.back(), "t=late");
}

TEST(MessageInboxTest, CloseReleasesWaitingProducers) {
  MessageInbox inbox(10, nullptr);
  ASSERT_TRUE(inbox.TryPush("t", std::string(20, 'x'), 0));
  std::thread closer([&] { inbox.Close(); });
  EXPECT_FALSE(inbox.Push("t", "y", 0, 0, 60 * kMicrosPerSecond));
  closer.join();
  EXPECT_FALSE(inbox.TryPush("t", "z", 0));
}

TEST(MessageInboxTest, PushNotifiesTheWakeup) {
  Wakeup wakeup;
  MessageInbox inbox(100, &wakeup);
  std::thread producer([&] { inbox.TryPush("t", "x", 0); });
  wakeup.Wait(60 * kMicrosPerSecond);  // returns because of the push
  producer.join();
  EXPECT_EQ(DrainAll(inbox).size(), 1u);
}

}  // namespace
}  // namespace edgeflow
