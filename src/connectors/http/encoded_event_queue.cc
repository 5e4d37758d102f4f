#include "connectors/http/encoded_event_queue.h"

#include <algorithm>
#include <chrono>

namespace edgeflow {

EncodedEventQueue::EncodedEventQueue(size_t capacity, OverflowPolicy policy)
    : capacity_(std::max<size_t>(capacity, 1)), policy_(policy), ring_(capacity_) {}

EncodedEventQueue::PushResult EncodedEventQueue::Push(const std::vector<std::string>& events) {
  PushResult result;
  {
    std::unique_lock<std::mutex> lock(mu_);
    for (const std::string& event : events) {
      if (closed_) {
        ++result.refused;
        continue;
      }
      if (count_ == capacity_) {
        switch (policy_) {
          case OverflowPolicy::kBlock:
            not_full_.wait(lock, [this] { return closed_ || count_ < capacity_; });
            if (closed_) {
              ++result.refused;
              continue;
            }
            break;
          case OverflowPolicy::kDropOldest:
            head_ = (head_ + 1) % capacity_;
            --count_;
            ++result.dropped;
            break;
          case OverflowPolicy::kDropNewest:
            ++result.dropped;
            continue;
        }
      }
      ring_[(head_ + count_) % capacity_].assign(event);
      ++count_;
      ++result.queued;
      // Wake the consumer per event: a blocked producer needs it to drain.
      not_empty_.notify_one();
    }
  }
  return result;
}

size_t EncodedEventQueue::Pop(size_t max, std::vector<std::string>& out, TimeMicros timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  not_empty_.wait_for(lock, std::chrono::microseconds(timeout),
                      [this] { return closed_ || count_ > 0; });
  const size_t n = std::min(max, count_);
  if (out.size() < n) out.resize(n);
  for (size_t i = 0; i < n; ++i) {
    std::swap(out[i], ring_[head_]);
    ring_[head_].clear();
    head_ = (head_ + 1) % capacity_;
  }
  count_ -= n;
  if (n > 0) in_flight_ = true;
  lock.unlock();
  if (n > 0) not_full_.notify_all();
  return n;
}

void EncodedEventQueue::Done() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    in_flight_ = false;
  }
  idle_.notify_all();
}

bool EncodedEventQueue::WaitIdle(TimeMicros timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return idle_.wait_for(lock, std::chrono::microseconds(timeout),
                        [this] { return count_ == 0 && !in_flight_; });
}

void EncodedEventQueue::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  not_empty_.notify_all();
  not_full_.notify_all();
  idle_.notify_all();
}

bool EncodedEventQueue::closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_;
}

size_t EncodedEventQueue::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return count_;
}

size_t EncodedEventQueue::Clear() {
  size_t n = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    n = count_;
    head_ = 0;
    count_ = 0;
  }
  not_full_.notify_all();
  idle_.notify_all();
  return n;
}

}  // namespace edgeflow
