#include "pipeline/wakeup.h"

#include <chrono>

namespace edgeflow {

void Wakeup::Notify() {
  // Publish first; the executor re-checks `pending_` under the lock before
  // it sleeps, so either it sees the flag or we see `waiting_` (both are
  // sequentially consistent: this is a store-then-load handshake).
  if (pending_.exchange(true)) return;
  if (waiting_.load()) {
    std::lock_guard<std::mutex> lock(mutex_);
    cv_.notify_one();
  }
}

void Wakeup::Wait(TimeMicros max_wait) {
  if (pending_.exchange(false)) return;
  std::unique_lock<std::mutex> lock(mutex_);
  waiting_.store(true);
  cv_.wait_for(lock, std::chrono::microseconds(max_wait), [this] { return pending_.load(); });
  waiting_.store(false);
  // The caller polls every source next, so it sees whatever was notified.
  pending_.store(false);
}

}  // namespace edgeflow
