// MqttClient: one MQTT 3.1.1 / 5 connection with its own I/O thread, used by
// the mqtt source (subscribe) and sink (publish).
//
// Why our own client rather than libmosquitto's loop: libmosquitto reads a
// packet with several small read() calls, which costs ~4 us of CPU per
// message; this client reads the socket in large chunks after a short
// pause (read_batch_delay), so one system call brings tens of messages and
// frames are cut out of the buffer in place (docs/adr/0003).
//
// The thread connects (TCP or TLS), sends CONNECT and (re)subscribes,
// reconnects with exponential backoff and full jitter when the link drops or
// goes silent (keepalive), and never gives up. Incoming PUBLISH packets go
// to the message handler; a handler that refuses (its queue is full) makes
// the client stop reading, so the broker holds the backlog (TCP back-
// pressure) instead of anyone dropping it. QoS 1 and 2 messages are
// acknowledged only when the owner says it consumed them (Acknowledge), so
// a message is never acknowledged before it entered the pipeline; QoS 2
// duplicates are suppressed until the broker releases the packet id.
//
// Outgoing messages wait in a bounded queue; QoS 1/2 ones stay in flight
// (at most max_inflight, and the broker's Receive Maximum) until
// acknowledged and are sent again, marked DUP, after a reconnect.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/metrics.h"
#include "connectors/mqtt/mqtt_packet.h"
#include "connectors/net/connection.h"

namespace edgeflow::mqtt {

struct ClientOptions {
  std::string host = "127.0.0.1";
  int port = 1883;
  TlsOptions tls;
  bool quick_ack = false;  // see Connection::Open
  ConnectOptions connect;
  std::vector<Subscription> subscriptions;
  TimeMicros connect_timeout = 10 * kMicrosPerSecond;
  TimeMicros backoff_min = 100 * kMicrosPerMilli;
  TimeMicros backoff_max = 30 * kMicrosPerSecond;
  // After a read that brought data, wait this long before the next one so
  // that it brings many messages (0: read as soon as data arrives).
  TimeMicros read_batch_delay = kMicrosPerMilli;
  // Incoming messages larger than this are skipped (and acknowledged).
  size_t max_message_bytes = size_t{1} << 20;
  // Outgoing QoS 1/2 messages sent and not yet acknowledged.
  size_t max_inflight = 100;
  // Outgoing messages waiting to be sent, in bytes.
  size_t max_queued_bytes = size_t{16} << 20;
  std::string log_name;  // "mqtt source 'telemetry'"
  // Called on the I/O thread when a message published with a token (not 0)
  // was delivered (QoS 0: written; QoS 1/2: acknowledged) or given up
  // (refused by the broker, dropped from a full queue, expired).
  std::function<void(uint64_t token, bool ok, const std::string& detail)> on_delivery;
  // Called on the I/O thread after each pass over the frames of a read that
  // delivered messages (a burst's end: wake the consumer once).
  std::function<void()> on_burst_end;
};

// What Publish does when the outgoing queue is full.
enum class QueueFullPolicy { kBlock, kDropOldest, kDropNewest };

class Client {
 public:
  // Called on the I/O thread for every incoming application message; `tag`
  // identifies it for Acknowledge (0 for QoS 0). Returns false to refuse it
  // for now: it is offered again after a short pause.
  using MessageHandler = std::function<bool(const PublishPacket& message, uint64_t tag)>;

  // `metrics` may be null; `labels` label the client's metrics.
  Client(ClientOptions options, MessageHandler on_message, MetricsRegistry* metrics,
         const std::string& labels);
  ~Client();

  void Start();
  // Sends what is queued (waiting up to `drain` for acknowledgements), then
  // DISCONNECT, and joins the thread.
  void Stop(TimeMicros drain = 0);

  // Any thread: the messages with these tags were consumed; acknowledge them.
  void Acknowledge(const std::vector<uint64_t>& tags);

  enum class Enqueued { kQueued, kDroppedOldest, kDroppedNewest, kTooLarge, kStopped };
  // Any thread: queues a message to publish; under kBlock waits for room
  // (while the client runs). `token` (not 0) asks for on_delivery; a message
  // with `expiry` > 0 that could not be sent within it is given up (and, in
  // MQTT 5, the broker drops it once that old).
  Enqueued Publish(std::string_view topic, std::string_view payload, uint8_t qos, bool retain,
                   QueueFullPolicy policy, uint64_t token = 0, TimeMicros expiry = 0);
  // Waits until every queued message was sent and every QoS 1/2 one
  // acknowledged, or `timeout` passed; true when all were.
  bool WaitUntilDelivered(TimeMicros timeout);

  bool connected() const { return connected_.load(); }
  size_t queued_bytes() const;
  // Bytes that can still be queued before the queue is full.
  size_t queue_room() const;

  // After Stop: removes and returns the messages published with `token` 0
  // that were not delivered (QoS 1/2 in flight without an acknowledgement,
  // then the queue, in publish order), so that an owner with a durable
  // store can keep them for the next run.
  struct Undelivered {
    std::string topic;
    std::string payload;
    uint8_t qos = 0;
    bool retain = false;
  };
  std::vector<Undelivered> TakeUndelivered();
  // Any thread: removes and returns the queued (not yet sent) messages with
  // `token` 0, in order.
  std::vector<Undelivered> TakeQueued();

 private:
  struct OutMessage {
    std::string topic;
    std::string payload;
    uint8_t qos = 0;
    bool retain = false;
    uint64_t token = 0;
    TimeMicros expires_at = 0;  // monotonic; 0: never
    uint32_t expiry_seconds = 0;
  };
  struct InFlight {
    OutMessage message;
    bool released = false;  // QoS 2: PUBREC received, PUBREL sent
    uint64_t order = 0;     // when it was first sent (TakeUndelivered)
  };
  enum class ReadOutcome { kOk, kBlocked, kBroken };

  void Run();
  bool ConnectOnce();
  void Session();
  void Disconnected(const std::string& why);
  bool SendPending();
  bool FlushOut();
  ReadOutcome ReadAvailable();
  ReadOutcome ProcessFrames();
  ReadOutcome ProcessFramesInBuffer();
  bool HandlePacket(const FrameHeader& header, std::string_view body);
  bool HandlePublish(uint8_t flags, std::string_view body);
  void QueueAcks();
  void WakeIo();
  void WakeIoIfSleeping();
  void WaitInterruptible(TimeMicros duration);
  TimeMicros Now() const;
  TimeMicros NextBackoff();
  uint16_t NextPacketId();
  void Report(uint64_t token, bool ok, const std::string& detail);
  void ExpireQueued();

  const ClientOptions options_;
  const MessageHandler on_message_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> connected_{false};
  std::atomic<bool> io_sleeping_{false};  // the I/O thread is in its long poll()
  TimeMicros drain_ = 0;
  int wake_fd_ = -1;

  // Shared with other threads.
  mutable std::mutex mutex_;
  std::condition_variable room_;       // queue space or delivery progress
  std::deque<OutMessage> queue_;
  size_t queued_bytes_ = 0;
  size_t inflight_count_ = 0;          // mirror of inflight_.size() for waiters
  std::vector<uint64_t> acks_;

  // I/O thread only.
  std::unique_ptr<Connection> connection_;
  Version version_;
  std::string in_;                     // read buffer
  size_t in_begin_ = 0, in_end_ = 0;
  size_t skip_bytes_ = 0;              // rest of an oversized message to discard
  std::string out_;                    // bytes to write
  size_t out_begin_ = 0;
  std::map<uint16_t, InFlight> inflight_;
  std::map<uint16_t, bool> qos2_received_;  // packet id -> PUBREC sent
  uint16_t last_packet_id_ = 0;
  uint64_t sent_order_ = 0;
  uint16_t server_receive_maximum_ = 65535;
  uint8_t server_maximum_qos_ = 2;
  TimeMicros keepalive_ = 0;
  TimeMicros last_sent_ = 0, last_received_ = 0, ping_sent_ = 0;
  int failures_ = 0;                   // consecutive failed connection attempts
  uint64_t rng_ = 0x9E3779B97F4A7C15ull;
  std::vector<uint64_t> acks_local_;
  std::string last_error_;             // why the connection broke
  uint64_t delivered_ = 0;             // messages handed to on_message_

  // Metrics.
  Counter* m_connects_;
  Counter* m_connect_failures_;
  Counter* m_disconnects_;
  Counter* m_received_;
  Counter* m_received_bytes_;
  Counter* m_sent_;
  Counter* m_too_large_;
  Counter* m_protocol_errors_;
  Gauge* m_connected_;
};

// The tag of an incoming message: QoS in the high bits, packet id below.
inline uint64_t MessageTag(uint8_t qos, uint16_t packet_id) {
  return (static_cast<uint64_t>(qos) << 16) | packet_id;
}

}  // namespace edgeflow::mqtt
