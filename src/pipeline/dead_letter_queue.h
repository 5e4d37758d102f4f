// DeadLetterQueue: the pipeline's DeadLetters.
//
// Reject() counts the event against the given counter, logs it at a limited
// rate with an example, and queues an event describing it:
//   device = the event's device (or "unknown"), time = its event time (or
//   now), fields: reason, component, and either the event's own fields or
//   `raw` (the first 1 KiB of the unparseable input).
// The executor drains the queue into the `dead_letter` stream after each
// step, so rejections never re-enter the component that made them. The queue
// holds at most `max_pending` events; beyond that they are only counted.
// Called on the executor thread only.
#pragma once

#include "common/log.h"
#include "model/batch.h"
#include "pipeline/component.h"

namespace edgeflow {

class DeadLetterQueue final : public DeadLetters {
 public:
  DeadLetterQueue(const Clock* clock, MetricsRegistry* metrics, size_t max_pending = 10000);

  void Reject(const std::string& component, Counter* counter, std::string_view reason,
              const Event* event, std::string_view raw) override;

  // Whether rejected events are kept for a dead_letter consumer.
  void set_forwarding(bool on) { forwarding_ = on; }
  Batch& pending() { return pending_; }

 private:
  const Clock* clock_;
  Counter* overflow_;
  size_t max_pending_;
  bool forwarding_ = false;
  Batch pending_;
  RateLimitedLog log_;
  Symbol reason_, component_, raw_;
};

}  // namespace edgeflow
