// MQTT benchmark driver (bench/run_mqtt_bench runs it; see bench/RESULTS.md).
//
//   mqtt_bench publish PORT DEVICES RATE SECONDS [ALERT_EVERY] [QOS]
//       The factory workload: DEVICES devices, RATE messages/s in total, one
//       JSON message per device per tick on factory/<device>/telemetry
//       (QoS 0, or QOS). Every ALERT_EVERY-th message is hot enough to trip the
//       pipeline's alert rule and carries its send time (`sent_us`); the
//       driver subscribes to factory/+/alert and reports the publish->alert
//       latency percentiles. RATE 0 publishes as fast as possible.
//   mqtt_bench count-ours PORT COUNT
//   mqtt_bench count-libmosquitto PORT COUNT
//       Subscribers that only count messages on factory/+/telemetry until
//       COUNT arrived, then print their CPU time per message: edgeflow's
//       client (batched reads) against libmosquitto's loop (docs/adr/0003).
#include <mosquitto.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "connectors/mqtt/mqtt_client.h"

namespace {

using edgeflow::TimeMicros;
namespace mqtt = edgeflow::mqtt;

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

TimeMicros WallMicros() { return edgeflow::SystemClock::Instance().Now(); }

mqtt::ClientOptions Options(int port, const std::string& id) {
  mqtt::ClientOptions o;
  o.port = port;
  o.connect.client_id = id;
  o.log_name = id;
  o.max_queued_bytes = size_t{64} << 20;
  o.max_inflight = 1000;
  return o;
}

int Publish(int port, int devices, double rate, double seconds, int alert_every, uint8_t qos) {
  std::mutex mu;
  std::vector<double> latencies_ms;
  mqtt::ClientOptions sub_options = Options(port, "bench-alerts");
  sub_options.subscriptions = {{"factory/+/alert", 0}};
  sub_options.read_batch_delay = 0;
  // This subscriber stands for the consumer of the alerts: it acknowledges
  // at once so the broker's Nagle delay does not count as edgeflow's latency.
  sub_options.quick_ack = true;
  mqtt::Client alerts(
      sub_options,
      [&](const mqtt::PublishPacket& m, uint64_t) {
        const TimeMicros now = WallMicros();
        const size_t at = m.payload.find("\"sent_us\":");
        if (at != std::string_view::npos) {
          const long long sent = std::atoll(std::string(m.payload.substr(at + 10, 20)).c_str());
          std::lock_guard<std::mutex> lock(mu);
          latencies_ms.push_back(static_cast<double>(now - sent) / 1000.0);
        }
        return true;
      },
      nullptr, "");
  alerts.Start();
  mqtt::Client pub(Options(port, "bench-publisher"), nullptr, nullptr, "");
  pub.Start();
  for (int i = 0; i < 100 && !(pub.connected() && alerts.connected()); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));

  const auto total = static_cast<uint64_t>(rate > 0 ? rate * seconds : seconds);
  std::string topic, payload;
  const auto start = std::chrono::steady_clock::now();
  uint64_t sent = 0;
  uint32_t rng = 12345;
  while (sent < total) {
    if (rate > 0) {
      // Publish what is due by now (ticks of about 1 ms).
      const double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const auto due = std::min<uint64_t>(total, static_cast<uint64_t>(elapsed * rate) + 1);
      if (sent >= due) {
        std::this_thread::sleep_for(std::chrono::microseconds(500));
        continue;
      }
    }
    const int device = static_cast<int>(sent % static_cast<uint64_t>(devices));
    rng = rng * 1664525u + 1013904223u;
    const bool hot = alert_every > 0 && sent % static_cast<uint64_t>(alert_every) == 0;
    char buf[256];
    topic.assign(buf, static_cast<size_t>(std::snprintf(buf, sizeof buf, "factory/press-%04d/telemetry", device)));
    const double temperature_f = hot ? 300.0 : 160.0 + (rng % 1000) / 100.0;
    const int n = std::snprintf(buf, sizeof buf,
                                "{\"temperature_f\":%.2f,\"vibration_rms\":%.3f,\"pressure_kpa\":%.2f,"
                                "\"current_a\":%.2f,\"sent_us\":%lld}",
                                temperature_f, 0.3 + (rng % 100) / 1000.0, 101.0 + (rng % 50) / 100.0,
                                12.0 + (rng % 20) / 100.0, static_cast<long long>(WallMicros()));
    payload.assign(buf, static_cast<size_t>(n));
    pub.Publish(topic, payload, qos, false, mqtt::QueueFullPolicy::kBlock);
    ++sent;
  }
  pub.WaitUntilDelivered(30 * edgeflow::kMicrosPerSecond);
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::this_thread::sleep_for(std::chrono::seconds(1));  // the last alerts
  pub.Stop(edgeflow::kMicrosPerSecond);
  alerts.Stop();
  std::lock_guard<std::mutex> lock(mu);
  std::sort(latencies_ms.begin(), latencies_ms.end());
  const auto pct = [&](double p) {
    if (latencies_ms.empty()) return 0.0;
    return latencies_ms[std::min(latencies_ms.size() - 1,
                                 static_cast<size_t>(p * static_cast<double>(latencies_ms.size())))];
  };
  std::printf("published %llu messages in %.2f s (%.0f msg/s)\n", static_cast<unsigned long long>(sent),
              elapsed, static_cast<double>(sent) / elapsed);
  std::printf("alerts %zu latency_ms p50 %.2f p99 %.2f max %.2f\n", latencies_ms.size(), pct(0.50),
              pct(0.99), latencies_ms.empty() ? 0.0 : latencies_ms.back());
  return 0;
}

void PrintCost(const char* who, uint64_t count, double cpu, double wall) {
  std::printf("%s: %llu messages in %.2f s (%.0f msg/s), cpu %.3f s, %.3f us/message\n", who,
              static_cast<unsigned long long>(count), wall, static_cast<double>(count) / wall, cpu,
              cpu * 1e6 / static_cast<double>(count));
}

int CountOurs(int port, uint64_t count) {
  std::atomic<uint64_t> received{0};
  std::atomic<int64_t> first_us{0};
  mqtt::ClientOptions o = Options(port, "bench-count-ours");
  o.subscriptions = {{"factory/+/telemetry", 0}};
  mqtt::Client client(
      o,
      [&](const mqtt::PublishPacket&, uint64_t) {
        if (received.fetch_add(1) == 0) first_us = WallMicros();
        return true;
      },
      nullptr, "");
  const double cpu0 = CpuSeconds();
  client.Start();
  while (received.load() < count) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const double wall = static_cast<double>(WallMicros() - first_us.load()) / 1e6;
  const double cpu = CpuSeconds() - cpu0;
  client.Stop();
  PrintCost("edgeflow client", count, cpu, wall);
  return 0;
}

struct MosquittoCount {
  std::atomic<uint64_t> received{0};
  std::atomic<int64_t> first_us{0};
};

int CountLibmosquitto(int port, uint64_t count) {
  mosquitto_lib_init();
  MosquittoCount state;
  mosquitto* m = mosquitto_new("bench-count-libmosquitto", true, &state);
  mosquitto_message_callback_set(m, [](mosquitto*, void* user, const mosquitto_message*) {
    auto* s = static_cast<MosquittoCount*>(user);
    if (s->received.fetch_add(1) == 0) s->first_us = WallMicros();
  });
  mosquitto_connect_callback_set(m, [](mosquitto* mosq, void*, int) {
    mosquitto_subscribe(mosq, nullptr, "factory/+/telemetry", 0);
  });
  const double cpu0 = CpuSeconds();
  if (mosquitto_connect(m, "127.0.0.1", port, 30) != MOSQ_ERR_SUCCESS) return 1;
  mosquitto_loop_start(m);
  while (state.received.load() < count) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const double wall = static_cast<double>(WallMicros() - state.first_us.load()) / 1e6;
  const double cpu = CpuSeconds() - cpu0;
  mosquitto_disconnect(m);
  mosquitto_loop_stop(m, true);
  mosquitto_destroy(m);
  mosquitto_lib_cleanup();
  PrintCost("libmosquitto", count, cpu, wall);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: mqtt_bench publish PORT DEVICES RATE SECONDS [ALERT_EVERY] [QOS]\n"
                 "       mqtt_bench count-ours|count-libmosquitto PORT COUNT\n");
    return 2;
  }
  const std::string mode = argv[1];
  const int port = std::atoi(argv[2]);
  if (mode == "publish" && argc >= 6) {
    return Publish(port, std::atoi(argv[3]), std::atof(argv[4]), std::atof(argv[5]),
                   argc > 6 ? std::atoi(argv[6]) : 1000,
                   static_cast<uint8_t>(argc > 7 ? std::atoi(argv[7]) : 0));
  }
  if (mode == "count-ours") return CountOurs(port, std::strtoull(argv[3], nullptr, 10));
  if (mode == "count-libmosquitto") return CountLibmosquitto(port, std::strtoull(argv[3], nullptr, 10));
  std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
  return 2;
}
