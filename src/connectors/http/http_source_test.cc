#include "connectors/http/http_source.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <thread>
#include <nlohmann/json.hpp>

#include "pipeline/test_harness.h"

namespace edgeflow {
namespace {

// A TCP port on 127.0.0.1 that is free now; with `keep_fd` the socket stays
// bound and listening (to test a port in use).
int FreePort(int* keep_fd = nullptr) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  if (keep_fd != nullptr) {
    ::listen(fd, 1);
    *keep_fd = fd;
  } else {
    ::close(fd);
  }
  return ntohs(addr.sin_port);
}

// Builds and starts an http source on a free port; `client` talks to it.
class HttpSourceTest : public ::testing::Test {
 protected:
  void Start(const std::string& extra = "") {
    port_ = FreePort();
    source_ = h_.BuildSource(HttpSourceDef(), "{type: http, listen: 127.0.0.1:" +
                                                  std::to_string(port_) + extra + "}");
    ASSERT_TRUE(source_) << h_.errors();
    const Status st = source_->Start();
    ASSERT_TRUE(st.ok()) << st.ToString();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
  }
  void TearDown() override {
    if (source_) source_->Stop();
  }

  httplib::Result Post(const std::string& path, const std::string& body,
                       const std::string& content_type, const httplib::Headers& headers = {}) {
    return client_->Post(path, headers, body, content_type);
  }

  Batch PollAll() {
    Batch out;
    while (source_->Poll(out, 1000) == PollResult::kData) {
    }
    return out;
  }

  uint64_t Refused(const std::string& reason) {
    return h_.metrics().CounterValue("http_refused", "source=\"http\",reason=\"" + reason + "\"");
  }
  uint64_t Dropped(const std::string& reason) {
    return h_.metrics().CounterValue("dropped", "source=\"http\",reason=\"" + reason + "\"");
  }

  TestHarness h_;
  int port_ = 0;
  std::unique_ptr<Source> source_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(HttpSourceTest, AMixedJsonArrayIs207AndKeepsTheGoodRecords) {
  Start();
  auto res = Post("/ingest", R"([{"device":"a","temp":21.5},{"temp":2},{"device":"c","temp":3}])",
                  "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 207);
  const nlohmann::json j = nlohmann::json::parse(res->body);
  EXPECT_EQ(j["accepted"], 2);
  EXPECT_EQ(j["rejected"], 1);
  EXPECT_EQ(j["errors"][0]["reason"], "missing_device");

  Batch events = PollAll();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].device.name(), "a");
  EXPECT_EQ(events[1].device.name(), "c");
  // No time in the records: the receive time.
  EXPECT_EQ(events[0].time, h_.clock().Now());
  ASSERT_EQ(h_.dead_letters().rejections.size(), 1u);
  EXPECT_EQ(h_.dead_letters().rejections[0].reason, "missing_device");
  EXPECT_EQ(Dropped("missing_device"), 1u);
}

TEST_F(HttpSourceTest, TheContentTypeSelectsTheFormat) {
  Start();
  auto ndjson = Post("/ingest", "{\"device\":\"n\",\"v\":1}\n{\"device\":\"n\",\"v\":2}\n",
                     "application/x-ndjson");
  ASSERT_TRUE(ndjson);
  EXPECT_EQ(ndjson->status, 200) << ndjson->body;
  auto csv = Post("/ingest", "time,device,v\n1700000000,c,3\n1700000001,c,4\n", "text/csv");
  ASSERT_TRUE(csv);
  EXPECT_EQ(csv->status, 200) << csv->body;
  auto senml = Post("/ingest", R"([{"bn":"s/","n":"v","v":5}])", "application/senml+json");
  ASSERT_TRUE(senml);
  EXPECT_EQ(senml->status, 200) << senml->body;
  EXPECT_EQ(nlohmann::json::parse(senml->body)["accepted"], 1);

  Batch events = PollAll();
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0].device.name(), "n");
  EXPECT_EQ(events[2].device.name(), "c");
  EXPECT_EQ(events[4].device.name(), "s");  // SenML base name without its separator
  EXPECT_TRUE(h_.dead_letters().rejections.empty());
}

TEST_F(HttpSourceTest, MalformedJsonIs400WithTheReasonAndLine) {
  Start();
  auto whole = Post("/ingest", "{\"device\":\"a\",", "application/json");
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->status, 400);
  nlohmann::json j = nlohmann::json::parse(whole->body);
  EXPECT_EQ(j["accepted"], 0);
  EXPECT_EQ(j["errors"][0]["reason"], "malformed_json");

  auto lines = Post("/ingest", "{\"device\":\"a\",\"v\":1}\n{\"device\":\n", "application/jsonl");
  ASSERT_TRUE(lines);
  EXPECT_EQ(lines->status, 207);
  j = nlohmann::json::parse(lines->body);
  EXPECT_EQ(j["errors"][0]["reason"], "malformed_json");
  EXPECT_EQ(j["errors"][0]["line"], 2);

  EXPECT_EQ(PollAll().size(), 1u);
  EXPECT_EQ(Dropped("malformed_json"), 2u);  // the executor-side decode agrees
}

TEST_F(HttpSourceTest, InvalidUtf8IsRejectedWhole) {
  Start();
  auto res = Post("/ingest", "{\"device\":\"a\",\"s\":\"\xFF\"}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  const nlohmann::json j = nlohmann::json::parse(res->body);
  EXPECT_EQ(j["errors"][0]["reason"], "invalid_utf8");
  EXPECT_EQ(j["errors"][0]["offset"], 19);
  EXPECT_TRUE(PollAll().empty());
  EXPECT_EQ(Dropped("invalid_utf8"), 1u);
}

TEST_F(HttpSourceTest, AnUnsupportedContentTypeIs415AndNamesTheAcceptedTypes) {
  Start();
  auto res = Post("/ingest", "<v>1</v>", "application/xml");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 415);
  const nlohmann::json j = nlohmann::json::parse(res->body);
  EXPECT_EQ(j["error"], "unsupported_content_type");
  EXPECT_NE(j["message"].get<std::string>().find("application/senml+json"), std::string::npos);
  EXPECT_EQ(Refused("unsupported_content_type"), 1u);
  EXPECT_TRUE(PollAll().empty());
}

TEST_F(HttpSourceTest, AnOversizedBodyIs413AndTheConnectionStaysUsable) {
  Start(", max_body: 100B, queue: 1KB");
  auto res = Post("/ingest", "[" + std::string(200, ' ') + "]", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_EQ(nlohmann::json::parse(res->body)["error"], "too_large");
  // A chunked body (no Content-Length) is bounded while it is read.
  auto chunked = client_->Post(
      "/ingest",
      [](size_t offset, httplib::DataSink& sink) {
        if (offset >= 300) {
          sink.done();
          return true;
        }
        const std::string part(50, ' ');
        return sink.write(part.data(), part.size());
      },
      "application/json");
  ASSERT_TRUE(chunked);
  EXPECT_EQ(chunked->status, 413);
  EXPECT_EQ(Refused("too_large"), 2u);
  auto small = Post("/ingest", R"({"device":"a","v":1})", "application/json");
  ASSERT_TRUE(small);
  EXPECT_EQ(small->status, 200);
  EXPECT_EQ(PollAll().size(), 1u);
}

TEST_F(HttpSourceTest, ABearerTokenIsRequiredWhenConfigured) {
  Start(", token: s3cret");
  auto none = Post("/ingest", R"({"device":"a","v":1})", "application/json");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(none->get_header_value("WWW-Authenticate"), "Bearer");
  auto wrong = Post("/ingest", R"({"device":"a","v":1})", "application/json",
                    {{"Authorization", "Bearer guess"}});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  auto right = Post("/ingest", R"({"device":"a","v":1})", "application/json",
                    {{"Authorization", "Bearer s3cret"}});
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 200);
  EXPECT_EQ(Refused("unauthorized"), 2u);
  EXPECT_EQ(PollAll().size(), 1u);
}

TEST_F(HttpSourceTest, TheDeviceComesFromThePath) {
  Start(", device: \"path[1]\"");
  auto res = Post("/ingest/press-9", R"({"v":1,"device":"ignored"})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  auto csv = Post("/ingest/press-8", "time,v\n1700000000,1\n1700000001,2\n", "text/csv");
  ASSERT_TRUE(csv);
  EXPECT_EQ(csv->status, 200) << csv->body;
  auto missing = Post("/ingest", R"({"v":1})", "application/json");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 400);
  EXPECT_EQ(nlohmann::json::parse(missing->body)["error"], "missing_device");
  Batch events = PollAll();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].device.name(), "press-9");
  EXPECT_EQ(events[1].device.name(), "press-8");
  EXPECT_EQ(Refused("missing_device"), 1u);
}

TEST_F(HttpSourceTest, TheDeviceComesFromTheQuery) {
  Start(", device: query.id");
  auto res = Post("/ingest?id=pump-2", "{\"v\":1}\n{\"v\":2}\n", "application/x-ndjson");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  Batch events = PollAll();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].device.name(), "pump-2");
}

TEST_F(HttpSourceTest, AFullQueueIs503WithRetryAfterAndNothingIsKept) {
  Start(", max_body: 1KB, queue: 1KB, retry_after: 3s");
  const std::string body = R"({"device":"a","pad":")" + std::string(600, 'x') + "\"}";
  auto first = Post("/ingest", body, "application/json");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  auto second = Post("/ingest", body, "application/json");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 503);
  EXPECT_EQ(second->get_header_value("Retry-After"), "3");
  EXPECT_EQ(Refused("queue_full"), 1u);
  EXPECT_EQ(PollAll().size(), 1u);  // the pipeline catches up
  auto third = Post("/ingest", body, "application/json");
  ASSERT_TRUE(third);
  EXPECT_EQ(third->status, 200);
  EXPECT_EQ(PollAll().size(), 1u);
}

TEST_F(HttpSourceTest, HealthUnknownPathsAndMethods) {
  Start();
  auto health = client_->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto get = client_->Get("/ingest");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 405);
  auto unknown = Post("/elsewhere", "{}", "application/json");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(Refused("unknown_path"), 1u);
  EXPECT_EQ(h_.metrics().CounterValue("http_requests", "source=\"http\",status=\"405\""), 1u);
}

TEST_F(HttpSourceTest, CountsRequestsByStatusAndBytesIn) {
  Start();
  const std::string body = R"({"device":"a","v":1})";
  ASSERT_TRUE(Post("/ingest", body, "application/json"));
  ASSERT_TRUE(Post("/ingest", body, "application/json"));
  ASSERT_TRUE(Post("/ingest", "nope", "application/json"));
  EXPECT_EQ(h_.metrics().CounterValue("http_requests", "source=\"http\",status=\"200\""), 2u);
  EXPECT_EQ(h_.metrics().CounterValue("http_requests", "source=\"http\",status=\"400\""), 1u);
  EXPECT_EQ(h_.metrics().CounterValue("http_bytes_in", "source=\"http\""), 2 * body.size() + 4);
}

TEST_F(HttpSourceTest, ConcurrentClientsLoseNothing) {
  Start(", threads: 3");
  constexpr int kClients = 4;
  constexpr int kPosts = 25;
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  std::atomic<int> finished{0};
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      httplib::Client client("127.0.0.1", port_);
      const std::string device = "\"device\":\"c" + std::to_string(c) + "\"";
      for (int i = 0; i < kPosts; ++i) {
        const std::string body = "[{" + device + ",\"i\":" + std::to_string(i) + "},{" + device +
                                 ",\"i\":" + std::to_string(i) + ".5}]";
        auto res = client.Post("/ingest", body, "application/json");
        if (res && res->status == 200) ++ok;
      }
      ++finished;
    });
  }
  // Poll while the clients post, as the executor would.
  Batch events;
  while (finished.load() < kClients) {
    Batch part;
    source_->Poll(part, 7);
    for (const Event& e : part) events.Append(e);
    std::this_thread::yield();
  }
  for (std::thread& t : clients) t.join();
  Batch rest = PollAll();
  for (const Event& e : rest) events.Append(e);
  EXPECT_EQ(ok.load(), kClients * kPosts);
  EXPECT_EQ(events.size(), static_cast<size_t>(2 * kClients * kPosts));
}

TEST(HttpSourceStartTest, FailsWhenThePortIsInUse) {
  int fd = -1;
  const int port = FreePort(&fd);
  TestHarness h;
  auto source =
      h.BuildSource(HttpSourceDef(), "{type: http, listen: 127.0.0.1:" + std::to_string(port) + "}");
  ASSERT_TRUE(source) << h.errors();
  const Status st = source->Start();
  ::close(fd);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("cannot listen on 127.0.0.1:" + std::to_string(port)),
            std::string::npos)
      << st.message();
}

TEST(HttpSourceStartTest, FailsWhenTheTokenVariableIsUnset) {
  ::unsetenv("EDGEFLOW_TEST_NO_SUCH_TOKEN");
  TestHarness h;
  auto source = h.BuildSource(HttpSourceDef(),
                              "{type: http, listen: 127.0.0.1:" + std::to_string(FreePort()) +
                                  ", token_env: EDGEFLOW_TEST_NO_SUCH_TOKEN}");
  ASSERT_TRUE(source) << h.errors();
  const Status st = source->Start();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("EDGEFLOW_TEST_NO_SUCH_TOKEN"), std::string::npos);
}

// Each bad option is an error naming the key, found at build time.
TEST(HttpSourceOptionsTest, ReportsBadOptions) {
  const std::pair<std::string, std::string> cases[] = {
      {"listen: localhost", "listen: expected host:port"},
      {"listen: \"127.0.0.1:70000\"", "listen: the port must be a number from 1 to 65535"},
      {"listen: \":8080\"", "listen: the host is missing"},
      {"path: ingest", "path: 'ingest' must start with '/'"},
      {"path: [/a, /healthz]", "path: /healthz is the health endpoint"},
      {"device: \"path[x]\"", "device: expected path[N]"},
      {"device: \"query.\"", "device: expected query.NAME"},
      {"max_body: 0B", "max_body: must be between 1B and 1GB"},
      {"max_body: 2MB, queue: 1MB", "queue: must be at least max_body"},
      {"threads: 0", "threads: must be between 1 and 64"},
      {"retry_after: 10ms", "retry_after: must be between 1s and 1h"},
      {"token: a, token_env: B", "give only one of token, token_file and token_env"},
      {"token: \"\"", "token: must not be empty"},
      {"format: number", "format"},
      {"lisen: 127.0.0.1:1", "did you mean 'listen'"},
      {"value_field: v", "unknown key 'value_field'"},  // no number/raw format here
  };
  for (const auto& [yaml, want] : cases) {
    TestHarness h;
    auto source = h.BuildSource(HttpSourceDef(), "{type: http, " + yaml + "}");
    EXPECT_FALSE(source) << yaml;
    EXPECT_NE(h.errors().find(want), std::string::npos) << yaml << " gave: " << h.errors();
  }
}

TEST(HttpSourceOptionsTest, AcceptsEveryInterfaceAndAListOfPaths) {
  TestHarness h;
  auto source = h.BuildSource(
      HttpSourceDef(),
      "{type: http, listen: 0.0.0.0:8080, path: [/a, /b], device: query.device, format: ndjson}");
  EXPECT_TRUE(source) << h.errors();
}

}  // namespace
}  // namespace edgeflow
