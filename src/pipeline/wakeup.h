// Wakeup: how a source's I/O thread tells the executor that data arrived.
//
// The executor waits on it (with a timeout: the next tick) when no source
// produced anything, instead of sleeping a fixed time, so a message from the
// network is processed as soon as it lands and an idle pipeline costs no CPU.
// Notify() is cheap when the executor is busy: it only takes the lock when
// the executor is actually waiting.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "common/clock.h"

namespace edgeflow {

class Wakeup {
 public:
  // Any thread: data is ready. A notification that arrives while the
  // executor is not waiting makes its next Wait return at once.
  void Notify();
  // Executor thread: returns when notified (or already notified since the
  // last Wait) or after `max_wait`.
  void Wait(TimeMicros max_wait);

 private:
  std::atomic<bool> pending_{false};
  std::atomic<bool> waiting_{false};
  std::mutex mutex_;
  std::condition_variable cv_;
};

}  // namespace edgeflow
