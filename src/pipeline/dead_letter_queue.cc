#include "pipeline/dead_letter_queue.h"

namespace edgeflow {

DeadLetterQueue::DeadLetterQueue(const Clock* clock, MetricsRegistry* metrics, size_t max_pending)
    : clock_(clock),
      overflow_(metrics->GetCounter("dead_letter_overflow", "", "rejections not forwarded: queue full")),
      max_pending_(max_pending),
      reason_(Symbol::Intern("reason")),
      component_(Symbol::Intern("component")),
      raw_(Symbol::Intern("raw")) {}

void DeadLetterQueue::Reject(const std::string& component, Counter* counter, std::string_view reason,
                             const Event* event, std::string_view raw) {
  if (counter != nullptr) counter->Add();
  constexpr size_t kMaxExample = 1024;
  const std::string_view example = raw.substr(0, kMaxExample);
  if (log_.Admit(*clock_)) {  // build the message only when it is logged
    spdlog::warn("rejected by '{}': {}{}{}", component, reason, example.empty() ? "" : " — e.g. ",
                 example.substr(0, 200));
  }
  if (!forwarding_) return;
  if (pending_.size() >= max_pending_) {
    overflow_->Add();
    return;
  }
  Event& dl = pending_.Append();
  if (event != nullptr) {
    dl.CopyFrom(*event);
  } else {
    dl.time = clock_->Now();
    dl.device = Symbol::Intern("unknown");
  }
  dl.SetString(reason_, reason);
  dl.SetString(component_, component);
  if (!example.empty()) dl.SetString(raw_, example);
}

}  // namespace edgeflow
