#include "connectors/common/message_inbox.h"

#include <chrono>

namespace edgeflow {

size_t InboxMessage::readable() const { return payload.size() + MessageInbox::kPadding; }

MessageInbox::MessageInbox(size_t max_bytes, Wakeup* wakeup)
    : max_bytes_(max_bytes), wakeup_(wakeup) {}

bool MessageInbox::HasRoomLocked(size_t bytes) const {
  return incoming_.entries.empty() || incoming_.bytes.size() + bytes <= max_bytes_;
}

bool MessageInbox::PushLocked(std::string_view origin, std::string_view payload,
                              TimeMicros received, uint64_t tag) {
  const size_t need = origin.size() + payload.size() + kPadding;
  if (closed_ || !HasRoomLocked(need)) return false;
  std::string& b = incoming_.bytes;
  Entry e;
  e.origin_offset = static_cast<uint32_t>(b.size());
  e.origin_length = static_cast<uint32_t>(origin.size());
  b.append(origin);
  e.payload_offset = static_cast<uint32_t>(b.size());
  e.payload_length = static_cast<uint32_t>(payload.size());
  b.append(payload);
  b.append(kPadding, ' ');
  e.received = received;
  e.tag = tag;
  incoming_.entries.push_back(e);
  return true;
}

bool MessageInbox::TryPush(std::string_view origin, std::string_view payload, TimeMicros received,
                           uint64_t tag, bool notify) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!PushLocked(origin, payload, received, tag)) return false;
  }
  if (notify) NotifyConsumer();
  return true;
}

void MessageInbox::NotifyConsumer() {
  if (wakeup_ != nullptr) wakeup_->Notify();
}

bool MessageInbox::Push(std::string_view origin, std::string_view payload, TimeMicros received,
                        uint64_t tag, TimeMicros timeout) {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    const size_t need = origin.size() + payload.size() + kPadding;
    not_full_.wait_for(lock, std::chrono::microseconds(timeout),
                       [&] { return closed_ || HasRoomLocked(need); });
    if (!PushLocked(origin, payload, received, tag)) return false;
  }
  if (wakeup_ != nullptr) wakeup_->Notify();
  return true;
}

size_t MessageInbox::Drain(size_t max_messages,
                           const std::function<void(const InboxMessage&)>& visit) {
  if (next_ >= draining_.entries.size()) {
    draining_.Clear();
    next_ = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (incoming_.entries.empty()) return 0;
      std::swap(incoming_, draining_);
    }
    not_full_.notify_all();
  }
  size_t visited = 0;
  const std::string& b = draining_.bytes;
  while (visited < max_messages && next_ < draining_.entries.size()) {
    const Entry& e = draining_.entries[next_++];
    InboxMessage m;
    m.origin = std::string_view(b.data() + e.origin_offset, e.origin_length);
    m.payload = std::string_view(b.data() + e.payload_offset, e.payload_length);
    m.received = e.received;
    m.tag = e.tag;
    visit(m);
    ++visited;
  }
  return visited;
}

void MessageInbox::Close() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
  }
  not_full_.notify_all();
}

}  // namespace edgeflow
