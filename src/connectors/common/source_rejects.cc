#include "connectors/common/source_rejects.h"

#include <string>

namespace edgeflow {

Counter* SourceRejects::DroppedCounter(DecodeReason reason) {
  std::lock_guard<std::mutex> lock(mutex_);
  Counter*& counter = dropped_[static_cast<size_t>(reason)];
  if (counter == nullptr && ctx_.counters.registry != nullptr) {
    counter = ctx_.counters.Dropped(std::string(DecodeReasonName(reason)));
  }
  return counter;
}

void SourceRejects::Reject(DecodeReason reason, std::string_view excerpt) {
  Reject(DecodeReasonName(reason), DroppedCounter(reason), excerpt);
}

void SourceRejects::Reject(std::string_view reason, Counter* counter, std::string_view excerpt) {
  if (ctx_.dead_letters != nullptr) {
    ctx_.dead_letters->Reject(ctx_.id, counter, reason, nullptr, excerpt);
  } else if (counter != nullptr) {
    counter->Add();
  }
}

void SourceRejects::AddFieldsDropped(uint32_t n) {
  if (n == 0 || ctx_.counters.registry == nullptr) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (fields_dropped_ == nullptr) {
    fields_dropped_ = ctx_.counters.registry->GetCounter(
        "fields_dropped", ctx_.counters.labels + ",reason=\"type_mismatch\"",
        "fields dropped from accepted events, by reason");
  }
  fields_dropped_->Add(n);
}

}  // namespace edgeflow
