#include "connectors/http/webhook_sink.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <numeric>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "connectors/http/encoded_event_queue.h"
#include "connectors/http/webhook_policy.h"
#include "pipeline/test_harness.h"

namespace edgeflow {
namespace {

// --- pure policy -----------------------------------------------------------

TEST(BackoffTest, DoublesFromTheMinimumUpToTheMaximum) {
  const TimeMicros min = 100 * kMicrosPerMilli;
  const TimeMicros max = 1 * kMicrosPerSecond;
  // The upper end of each retry's range (unit_random = 1).
  const TimeMicros want_high[] = {100'000, 200'000, 400'000, 800'000, 1'000'000, 1'000'000};
  // The lower end (unit_random = 0): half the bound, never below the minimum.
  const TimeMicros want_low[] = {100'000, 100'000, 200'000, 400'000, 500'000, 500'000};
  for (int retry = 0; retry < 6; ++retry) {
    EXPECT_EQ(BackoffDelay(retry, min, max, 1.0), want_high[retry]) << retry;
    EXPECT_EQ(BackoffDelay(retry, min, max, 0.0), want_low[retry]) << retry;
    const TimeMicros mid = BackoffDelay(retry, min, max, 0.5);
    EXPECT_GE(mid, want_low[retry]);
    EXPECT_LE(mid, want_high[retry]);
  }
}

TEST(BackoffTest, StaysInBoundsForHugeRetryCountsAndOddInputs) {
  EXPECT_EQ(BackoffDelay(1000, 1000, 30'000'000, 1.0), 30'000'000);
  EXPECT_EQ(BackoffDelay(62, 1, 1LL << 62, 1.0), 1LL << 62);  // no overflow
  EXPECT_EQ(BackoffDelay(3, 500, 500, 0.7), 500);            // min == max: no jitter
  EXPECT_EQ(BackoffDelay(2, 100, 1000, 7.0), 400);           // unit_random clamped
}

TEST(DeliveryTest, ClassifiesStatuses) {
  EXPECT_EQ(ClassifyStatus(200), Delivery::kDelivered);
  EXPECT_EQ(ClassifyStatus(204), Delivery::kDelivered);
  EXPECT_EQ(ClassifyStatus(500), Delivery::kRetry);
  EXPECT_EQ(ClassifyStatus(503), Delivery::kRetry);
  EXPECT_EQ(ClassifyStatus(408), Delivery::kRetry);
  EXPECT_EQ(ClassifyStatus(429), Delivery::kRetry);
  EXPECT_EQ(ClassifyStatus(400), Delivery::kPermanent);
  EXPECT_EQ(ClassifyStatus(401), Delivery::kPermanent);
  EXPECT_EQ(ClassifyStatus(404), Delivery::kPermanent);
  EXPECT_EQ(ClassifyStatus(301), Delivery::kPermanent);
}

TEST(WebhookUrlTest, SplitsUrls) {
  WebhookUrl u;
  std::string error;
  ASSERT_TRUE(ParseWebhookUrl("http://127.0.0.1:9000/hook?k=v", &u, &error)) << error;
  EXPECT_EQ(u.scheme_host_port, "http://127.0.0.1:9000");
  EXPECT_EQ(u.path, "/hook?k=v");
  EXPECT_FALSE(u.tls);
  ASSERT_TRUE(ParseWebhookUrl("https://example.com", &u, &error)) << error;
  EXPECT_EQ(u.scheme_host_port, "https://example.com");
  EXPECT_EQ(u.path, "/");
  EXPECT_TRUE(u.tls);
  ASSERT_TRUE(ParseWebhookUrl("http://[::1]:8080/x", &u, &error)) << error;
  EXPECT_EQ(u.scheme_host_port, "http://[::1]:8080");
  for (const char* bad : {"ftp://host/", "127.0.0.1:80/x", "http://", "http://host:0/",
                          "http://host:99999/", "http://user:pw@host/", "http://host:x/"}) {
    EXPECT_FALSE(ParseWebhookUrl(bad, &u, &error)) << bad;
  }
}

// --- queue overflow policy -------------------------------------------------

std::vector<std::string> Items(std::initializer_list<const char*> items) {
  return std::vector<std::string>(items.begin(), items.end());
}

std::vector<std::string> PopAll(EncodedEventQueue& q) {
  std::vector<std::string> out;
  const size_t n = q.Pop(100, out, 0);
  q.Done();
  out.resize(n);
  return out;
}

TEST(EncodedEventQueueTest, DropOldestKeepsTheNewest) {
  EncodedEventQueue q(3, OverflowPolicy::kDropOldest);
  const auto r = q.Push(Items({"1", "2", "3", "4", "5"}));
  EXPECT_EQ(r.queued, 5u);
  EXPECT_EQ(r.dropped, 2u);
  EXPECT_EQ(PopAll(q), Items({"3", "4", "5"}));
}

TEST(EncodedEventQueueTest, DropNewestKeepsTheOldest) {
  EncodedEventQueue q(3, OverflowPolicy::kDropNewest);
  const auto r = q.Push(Items({"1", "2", "3", "4", "5"}));
  EXPECT_EQ(r.queued, 3u);
  EXPECT_EQ(r.dropped, 2u);
  EXPECT_EQ(PopAll(q), Items({"1", "2", "3"}));
}

TEST(EncodedEventQueueTest, BlockWaitsForRoomAndLosesNothing) {
  EncodedEventQueue q(2, OverflowPolicy::kBlock);
  EncodedEventQueue::PushResult result;
  std::thread producer([&] { result = q.Push(Items({"1", "2", "3", "4"})); });
  std::vector<std::string> got;
  std::vector<std::string> batch;
  while (got.size() < 4) {
    const size_t n = q.Pop(1, batch, kMicrosPerSecond);
    for (size_t i = 0; i < n; ++i) got.push_back(batch[i]);
    q.Done();
  }
  producer.join();
  EXPECT_EQ(result.queued, 4u);
  EXPECT_EQ(result.dropped, 0u);
  EXPECT_EQ(got, Items({"1", "2", "3", "4"}));
}

TEST(EncodedEventQueueTest, CloseReleasesABlockedProducerAndRefusesMore) {
  EncodedEventQueue q(1, OverflowPolicy::kBlock);
  EncodedEventQueue::PushResult result;
  std::thread producer([&] { result = q.Push(Items({"1", "2"})); });
  // The producer either blocks on "2" or has not started; either way Close
  // makes the rest refused, never dropped silently.
  q.Close();
  producer.join();
  EXPECT_EQ(result.queued + result.refused, 2u);
  EXPECT_EQ(result.dropped, 0u);
  EXPECT_TRUE(q.Push(Items({"3"})).refused == 1);
}

TEST(EncodedEventQueueTest, PopReusesSlotsInOrderAcrossWraps) {
  EncodedEventQueue q(3, OverflowPolicy::kDropNewest);
  std::vector<std::string> out;
  for (int round = 0; round < 5; ++round) {
    q.Push({std::to_string(round) + "a", std::to_string(round) + "b"});
    ASSERT_EQ(q.Pop(10, out, 0), 2u);
    q.Done();
    EXPECT_EQ(out[0], std::to_string(round) + "a");
    EXPECT_EQ(out[1], std::to_string(round) + "b");
  }
  EXPECT_EQ(q.size(), 0u);
  EXPECT_TRUE(q.WaitIdle(0));
}

// --- the sink against a real receiver on 127.0.0.1 --------------------------

// An HTTP server that records request bodies and answers `fail_status` to
// the first `failures` requests (or all, when `failures` < 0).
class Receiver {
 public:
  Receiver(int failures, int fail_status) : failures_(failures), fail_status_(fail_status) {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      ++requests_;
      headers_.push_back(req.get_header_value("X-Test"));
      if (failures_ < 0 || requests_ <= failures_) {
        res.status = fail_status_;
        res.set_content("{\"error\":\"nope\"}", "application/json");
        return;
      }
      bodies_.push_back(req.body);
      res.status = 204;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  std::vector<std::string> bodies() {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_;
  }
  std::vector<std::string> headers() {
    std::lock_guard<std::mutex> lock(mu_);
    return headers_;
  }
  int requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  const int failures_;
  const int fail_status_;
  std::mutex mu_;
  int requests_ = 0;
  std::vector<std::string> bodies_;
  std::vector<std::string> headers_;
};

Batch Events(int n) {
  Batch b;
  for (int i = 0; i < n; ++i) {
    Event& e = b.Append();
    e.time = 1'700'000'000'000'000 + i * kMicrosPerSecond;
    e.device = Symbol::Intern("press-1");
    e.SetInt(Symbol::Intern("seq"), i);
  }
  return b;
}

// The `seq` values of every event in the received bodies (arrays or objects).
std::vector<int> ReceivedSeqs(const std::vector<std::string>& bodies) {
  std::vector<int> seqs;
  for (const std::string& body : bodies) {
    const nlohmann::json j = nlohmann::json::parse(body);
    if (j.is_array()) {
      for (const auto& e : j) seqs.push_back(e["seq"].get<int>());
    } else {
      seqs.push_back(j["seq"].get<int>());
    }
  }
  std::sort(seqs.begin(), seqs.end());
  return seqs;
}

std::unique_ptr<Sink> BuildSink(TestHarness& h, const std::string& url, const std::string& extra) {
  return h.BuildSink(WebhookSinkDef(), "{type: webhook, url: \"" + url + "\"" + extra + "}");
}

TEST(WebhookSinkTest, RetriesServerErrorsAndDeliversEveryEventOnce) {
  Receiver receiver(/*failures=*/3, /*fail_status=*/500);
  TestHarness h;
  auto sink = BuildSink(h, receiver.url(),
                        ", batch: 4, backoff_min: 1ms, backoff_max: 5ms, headers: {X-Test: yes}");
  ASSERT_TRUE(sink) << h.errors();
  ASSERT_TRUE(sink->Open().ok());
  Batch first = Events(10);
  sink->Write(first);
  sink->Close();  // drains: every batch is delivered before it returns
  std::vector<int> want(10);
  std::iota(want.begin(), want.end(), 0);
  EXPECT_EQ(ReceivedSeqs(receiver.bodies()), want);
  EXPECT_EQ(receiver.requests(), 3 + 3);  // three failures, then three batches of <= 4
  EXPECT_EQ(h.metrics().CounterValue("webhook_retries", "sink=\"webhook\""), 3u);
  EXPECT_EQ(h.metrics().CounterValue("webhook_requests", "sink=\"webhook\",status=\"500\""), 3u);
  EXPECT_EQ(h.metrics().CounterValue("webhook_delivered", "sink=\"webhook\""), 10u);
  EXPECT_EQ(receiver.headers().front(), "yes");
  EXPECT_TRUE(h.dead_letters().rejections.empty());
}

TEST(WebhookSinkTest, BatchOneSendsSingleObjects) {
  Receiver receiver(0, 500);
  TestHarness h;
  auto sink = BuildSink(h, receiver.url(), ", batch: 1");
  ASSERT_TRUE(sink) << h.errors();
  ASSERT_TRUE(sink->Open().ok());
  Batch events = Events(3);
  sink->Write(events);
  sink->Close();
  const auto bodies = receiver.bodies();
  ASSERT_EQ(bodies.size(), 3u);
  for (const std::string& body : bodies) {
    EXPECT_TRUE(nlohmann::json::parse(body).is_object()) << body;
  }
  EXPECT_EQ(nlohmann::json::parse(bodies[0])["device"], "press-1");
}

TEST(WebhookSinkTest, AClientErrorIsPermanentAndDeadLettersTheBatch) {
  Receiver receiver(/*failures=*/-1, /*fail_status=*/400);
  TestHarness h;
  auto sink = BuildSink(h, receiver.url(), ", batch: 10, backoff_min: 1ms");
  ASSERT_TRUE(sink) << h.errors();
  ASSERT_TRUE(sink->Open().ok());
  Batch events = Events(3);
  sink->Write(events);
  sink->Close();
  EXPECT_EQ(receiver.requests(), 1);  // not retried
  ASSERT_EQ(h.dead_letters().rejections.size(), 3u);
  EXPECT_EQ(h.dead_letters().rejections[0].reason, "rejected");
  EXPECT_NE(h.dead_letters().rejections[0].raw.find("\"seq\":0"), std::string::npos);
  EXPECT_EQ(h.metrics().CounterValue("dropped", "sink=\"webhook\",reason=\"rejected\""), 3u);
}

TEST(WebhookSinkTest, TooManyRequestsIsRetriedUntilRetriesRunOut) {
  Receiver receiver(/*failures=*/-1, /*fail_status=*/429);
  TestHarness h;
  auto sink = BuildSink(h, receiver.url(), ", retries: 2, backoff_min: 1ms, backoff_max: 2ms");
  ASSERT_TRUE(sink) << h.errors();
  ASSERT_TRUE(sink->Open().ok());
  Batch events = Events(2);
  sink->Write(events);
  sink->Close();
  EXPECT_EQ(receiver.requests(), 3);  // the first try and two retries
  EXPECT_EQ(h.metrics().CounterValue("dropped", "sink=\"webhook\",reason=\"retries_exhausted\""),
            2u);
  EXPECT_EQ(h.dead_letters().rejections.size(), 2u);
}

TEST(WebhookSinkTest, CloseGivesUpOnADeadPeerAfterTheDrainTimeout) {
  int port = 0;
  {
    httplib::Server probe;  // a port that was free a moment ago: nobody listens
    port = probe.bind_to_any_port("127.0.0.1");
  }
  TestHarness h;
  auto sink = BuildSink(h, "http://127.0.0.1:" + std::to_string(port) + "/hook",
                        ", retries: 1000, backoff_min: 10ms, backoff_max: 20ms, drain_timeout: 100ms");
  ASSERT_TRUE(sink) << h.errors();
  ASSERT_TRUE(sink->Open().ok());  // a dead peer at start is not an error
  Batch events = Events(5);
  sink->Write(events);
  sink->Close();
  EXPECT_EQ(h.metrics().CounterValue("dropped", "sink=\"webhook\",reason=\"shutdown\""), 5u);
  EXPECT_GE(h.metrics().CounterValue("webhook_requests",
                                     "sink=\"webhook\",status=\"connection_error\""),
            1u);
}

TEST(WebhookSinkTest, DropOldestCountsWhatTheQueueCannotHold) {
  int port = 0;
  {
    httplib::Server probe;
    port = probe.bind_to_any_port("127.0.0.1");
  }
  TestHarness h;
  auto sink = BuildSink(h, "http://127.0.0.1:" + std::to_string(port) + "/hook",
                        ", queue: 4, batch: 1000, retries: 0, drain_timeout: 0s");
  ASSERT_TRUE(sink) << h.errors();
  ASSERT_TRUE(sink->Open().ok());
  Batch events = Events(10);
  sink->Write(events);
  sink->Close();
  const uint64_t queue_full =
      h.metrics().CounterValue("dropped", "sink=\"webhook\",reason=\"queue_full\"");
  const uint64_t others =
      h.metrics().CounterValue("dropped", "sink=\"webhook\",reason=\"retries_exhausted\"") +
      h.metrics().CounterValue("dropped", "sink=\"webhook\",reason=\"shutdown\"");
  // One Write is one Push under the queue's lock: 6 of 10 overflow, and the
  // 4 kept fail (dead peer, no retries) or are left at shutdown.
  EXPECT_EQ(queue_full, 6u);
  EXPECT_EQ(others, 4u);
}

TEST(WebhookSinkOptionsTest, ReportsBadOptions) {
  const std::pair<std::string, std::string> cases[] = {
      {"batch: 5", "missing required key 'url'"},
      {"url: ftp://x/", "url: must start with http:// or https://"},
      {"url: \"http://h:99999/\"", "url: the port must be a number"},
      {"url: http://h/, batch: 0", "batch: must be between 1 and 100000"},
      {"url: http://h/, retries: -1", "retries: must be between 0 and 1000"},
      {"url: http://h/, backoff_min: 1s, backoff_max: 10ms", "backoff_max: must be at least backoff_min"},
      {"url: http://h/, on_full: wait", "on_full"},
      {"url: http://h/, queue: 0", "queue: must be between 1"},
      {"url: http://h/, headers: {Content-Type: text/plain}", "is set by the sink"},
      {"url: http://h/, headers: {\"bad name\": x}", "is not a valid header name"},
      {"url: http://h/, headers: [a]", "headers: must be a map"},
      {"url: http://h/, ca_file: /x.pem", "ca_file: only applies to https://"},
      {"url: http://h/, timeout: 0s", "timeout: must be between 1ms and 10m"},
  };
  for (const auto& [yaml, want] : cases) {
    TestHarness h;
    auto sink = h.BuildSink(WebhookSinkDef(), "{type: webhook, " + yaml + "}");
    EXPECT_FALSE(sink) << yaml;
    EXPECT_NE(h.errors().find(want), std::string::npos) << yaml << " gave: " << h.errors();
  }
}

}  // namespace
}  // namespace edgeflow
