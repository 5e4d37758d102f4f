// MessageInbox: the bounded hand-over of raw messages from a connector's I/O
// thread (MQTT, HTTP, CoAP, serial) to the executor thread, which decodes
// them in Source::Poll.
//
// Messages are copied into one growing buffer on the producer side; the
// consumer swaps that buffer for its own (empty) one under the lock and then
// reads the messages without locking, so a hand-over costs one lock per
// poll, not per message, and nothing is allocated per message once the
// buffers have grown. Every payload is followed by kPadding readable bytes,
// so the JSON decoder parses it in place.
//
// The bound is on bytes waiting (`max_bytes`, plus what the consumer holds):
// when full, TryPush fails and the producer chooses what to do (stop reading
// its socket so the sender is slowed, answer 503, drop and count).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "pipeline/wakeup.h"

namespace edgeflow {

struct InboxMessage {
  std::string_view origin;   // transport-specific: MQTT topic, URL path, port
  std::string_view payload;  // followed by MessageInbox::kPadding readable bytes
  TimeMicros received = 0;   // wall-clock time of arrival
  uint64_t tag = 0;          // transport-specific (e.g. MQTT packet id and QoS)

  size_t readable() const;   // payload.size() + kPadding
};

class MessageInbox {
 public:
  static constexpr size_t kPadding = 64;

  // `wakeup` (may be null) is notified after every push.
  MessageInbox(size_t max_bytes, Wakeup* wakeup);

  // Producer: copies the message in. False when the inbox is full (and not
  // empty: a single message larger than max_bytes is still taken) or closed.
  // With `notify` false the consumer is not woken: a producer that pushes a
  // burst calls NotifyConsumer once at its end, so the consumer does not
  // wake (and contend for the lock) in the middle of it.
  bool TryPush(std::string_view origin, std::string_view payload, TimeMicros received,
               uint64_t tag = 0, bool notify = true);
  // Wakes the consumer (see TryPush).
  void NotifyConsumer();
  // Producer: like TryPush but waits up to `timeout` for room.
  bool Push(std::string_view origin, std::string_view payload, TimeMicros received, uint64_t tag,
            TimeMicros timeout);

  // Consumer: calls `visit` for up to `max_messages` messages in arrival
  // order and returns how many it visited. The views are valid during the
  // call only.
  size_t Drain(size_t max_messages, const std::function<void(const InboxMessage&)>& visit);

  // Producer or consumer: no more pushes; waiting producers return false.
  void Close();

 private:
  struct Entry {
    uint32_t origin_offset, origin_length;
    uint32_t payload_offset, payload_length;
    TimeMicros received;
    uint64_t tag;
  };
  struct Buffer {
    std::string bytes;
    std::vector<Entry> entries;
    void Clear() {
      bytes.clear();
      entries.clear();
    }
  };

  bool PushLocked(std::string_view origin, std::string_view payload, TimeMicros received,
                  uint64_t tag);
  bool HasRoomLocked(size_t bytes) const;

  const size_t max_bytes_;
  Wakeup* wakeup_;
  mutable std::mutex mutex_;
  std::condition_variable not_full_;
  Buffer incoming_;  // guarded by mutex_
  bool closed_ = false;
  Buffer draining_;  // consumer only
  size_t next_ = 0;  // next entry of draining_ to visit
};

}  // namespace edgeflow
