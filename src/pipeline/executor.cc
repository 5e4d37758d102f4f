#include "pipeline/executor.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include <spdlog/spdlog.h>

namespace edgeflow {

class Executor::NodeEmitter final : public Emitter {
 public:
  NodeEmitter(Executor* executor, size_t stage_index)
      : executor_(executor), node_(&executor->pipeline_->stages[stage_index]) {}
  using Emitter::Emit;
  void Emit(int port, Batch& batch) override {
    if (batch.empty()) return;
    if (port == 0) node_->counters.out->Add(batch.size());
    if (port < 0 || static_cast<size_t>(port) >= node_->outputs.size()) return;
    executor_->Deliver(node_->outputs[static_cast<size_t>(port)], batch);
  }

 private:
  Executor* executor_;
  StageNode* node_;
};

Executor::Executor(Pipeline* pipeline, const Clock* clock, DeadLetterQueue* dead_letters)
    : pipeline_(pipeline), clock_(clock), dead_letters_(dead_letters) {
  source_state_.resize(pipeline_->sources.size());
  stage_state_.resize(pipeline_->stages.size());
  stream_stages_.resize(pipeline_->streams.size());
  stream_sinks_.resize(pipeline_->streams.size());
  for (size_t i = 0; i < pipeline_->stages.size(); ++i) {
    emitters_.push_back(std::make_unique<NodeEmitter>(this, i));
    for (int s : pipeline_->stages[i].inputs) stream_stages_[static_cast<size_t>(s)].push_back(i);
  }
  for (size_t i = 0; i < pipeline_->sinks.size(); ++i) {
    for (int s : pipeline_->sinks[i].inputs) stream_sinks_[static_cast<size_t>(s)].push_back(i);
  }
  ComputeUpstreamSources();
  if (dead_letters_ != nullptr && pipeline_->dead_letter_stream >= 0) {
    const auto dl = static_cast<size_t>(pipeline_->dead_letter_stream);
    dead_letters_->set_forwarding(!stream_stages_[dl].empty() || !stream_sinks_[dl].empty());
  }
}

void Executor::DrainDeadLetters() {
  if (dead_letters_ == nullptr || dead_letters_->pending().empty()) return;
  // Swap out first: stages fed by dead_letter may reject again.
  std::swap(dead_letter_batch_, dead_letters_->pending());
  dead_letters_->pending().Clear();
  Deliver(pipeline_->dead_letter_stream, dead_letter_batch_);
  dead_letter_batch_.Clear();
}

Executor::~Executor() {
  if (started_ && !finished_) Finish();
}

void Executor::ComputeUpstreamSources() {
  // Which sources feed each stream, propagated in file order.
  std::vector<std::vector<bool>> feeds(pipeline_->streams.size(),
                                       std::vector<bool>(pipeline_->sources.size(), false));
  for (size_t i = 0; i < pipeline_->sources.size(); ++i) {
    feeds[static_cast<size_t>(pipeline_->sources[i].stream)][i] = true;
  }
  for (size_t st = 0; st < pipeline_->stages.size(); ++st) {
    std::vector<bool> mine(pipeline_->sources.size(), false);
    for (int in : pipeline_->stages[st].inputs) {
      for (size_t i = 0; i < mine.size(); ++i) mine[i] = mine[i] || feeds[static_cast<size_t>(in)][i];
    }
    for (int out : pipeline_->stages[st].outputs) {
      for (size_t i = 0; i < mine.size(); ++i) {
        feeds[static_cast<size_t>(out)][i] = feeds[static_cast<size_t>(out)][i] || mine[i];
      }
    }
    for (size_t i = 0; i < mine.size(); ++i) {
      if (mine[i]) stage_state_[st].upstream_sources.push_back(i);
    }
  }
}

Status Executor::Start() {
  for (SinkNode& sink : pipeline_->sinks) {
    EF_RETURN_IF_ERROR(sink.sink->Open().WithContext("sink '" + sink.id + "'"));
  }
  const TimeMicros now = clock_->Monotonic();
  for (size_t i = 0; i < pipeline_->sources.size(); ++i) {
    SourceNode& source = pipeline_->sources[i];
    source_state_[i].last_activity = now;
    Status st = source.source->Start();
    if (!st.ok()) {
      for (size_t j = 0; j < i; ++j) pipeline_->sources[j].source->Stop();
      return st.WithContext("source '" + source.id + "'");
    }
  }
  started_ = true;
  return Status::Ok();
}

Batch& Executor::Scratch() {
  if (scratch_depth_ == scratch_.size()) scratch_.push_back(std::make_unique<Batch>());
  Batch& b = *scratch_[scratch_depth_++];
  b.Clear();
  return b;
}

void Executor::Deliver(int stream, Batch& batch) {
  const auto s = static_cast<size_t>(stream);
  for (size_t sink_index : stream_sinks_[s]) {
    SinkNode& sink = pipeline_->sinks[sink_index];
    sink.counters.in->Add(batch.size());
    sink.sink->Write(batch);
  }
  const std::vector<size_t>& stages = stream_stages_[s];
  for (size_t k = 0; k < stages.size(); ++k) {
    if (k + 1 == stages.size()) {
      ProcessStage(stages[k], batch);
    } else {
      Batch& copy = Scratch();
      copy.AppendAll(batch);
      ProcessStage(stages[k], copy);
      ReleaseScratch();
    }
  }
}

Status Executor::CommitSinks() {
  Status first_failure;
  for (SinkNode& sink : pipeline_->sinks) {
    Status st = sink.sink->Commit();
    if (st.ok()) continue;
    sink.counters.ErrorsFor("commit")->Add();
    if (commit_log_.Admit(*clock_)) spdlog::warn("sink '{}': commit failed: {}", sink.id, st.ToString());
    if (first_failure.ok()) first_failure = st.WithContext("sink '" + sink.id + "'");
  }
  return first_failure;
}

void Executor::ProcessStage(size_t stage_index, Batch& batch) {
  StageNode& node = pipeline_->stages[stage_index];
  node.counters.in->Add(batch.size());
  node.stage->Process(batch, *emitters_[stage_index]);
}

void Executor::AfterSourceBatch(size_t source_index, const Batch& batch) {
  SourceState& state = source_state_[source_index];
  TimeMicros newest = state.max_event_time;
  for (const Event& e : batch) newest = std::max(newest, e.time);
  state.max_event_time = newest;
  state.last_activity = clock_->Monotonic();
  state.idle = false;
  stats_.events_in += batch.size();
  stats_.max_event_time = std::max(stats_.max_event_time, newest);
  pipeline_->sources[source_index].counters.out->Add(batch.size());
}

void Executor::Inject(size_t source_index, Batch& batch) {
  if (batch.empty()) return;
  AfterSourceBatch(source_index, batch);
  Deliver(pipeline_->sources[source_index].stream, batch);
  DrainDeadLetters();
  AdvanceWatermarks();
}

void Executor::AdvanceSourceTime(size_t source_index, TimeMicros t) {
  SourceState& state = source_state_[source_index];
  state.max_event_time = std::max(state.max_event_time, t);
  state.last_activity = clock_->Monotonic();
  state.idle = false;
  AdvanceWatermarks();
}

bool Executor::Step() {
  bool produced = false;
  const size_t n = pipeline_->sources.size();
  for (size_t k = 0; k < n; ++k) {
    const size_t i = (next_source_ + k) % n;
    if (source_state_[i].ended) continue;
    poll_batch_.Clear();
    const PollResult r = pipeline_->sources[i].source->Poll(poll_batch_, pipeline_->settings.batch_size);
    // Decided before Deliver: stages filter the batch in place, and a step
    // whose events were all dropped still needs its commit report.
    const bool polled = !poll_batch_.empty();
    if (polled) {
      produced = true;
      AfterSourceBatch(i, poll_batch_);
      Deliver(pipeline_->sources[i].stream, poll_batch_);
    }
    DrainDeadLetters();
    if (polled && pipeline_->sources[i].source->WantsCommit()) {
      pipeline_->sources[i].source->OnCommitted(CommitSinks());
    }
    if (r == PollResult::kEnd) EndSource(i);
  }
  next_source_ = n == 0 ? 0 : (next_source_ + 1) % n;
  if (produced) AdvanceWatermarks();
  return produced;
}

void Executor::EndSource(size_t source_index) {
  if (source_state_[source_index].ended) return;
  source_state_[source_index].ended = true;
  stats_.all_sources_ended = std::all_of(source_state_.begin(), source_state_.end(),
                                         [](const SourceState& s) { return s.ended; });
  AdvanceWatermarks();
}

TimeMicros Executor::SourceWatermark(size_t i) const {
  const SourceState& s = source_state_[i];
  if (s.ended) return kEndOfTime;
  if (s.max_event_time == kNoWatermark) return kNoWatermark;
  TimeMicros wm = s.max_event_time - pipeline_->sources[i].watermark_delay;
  if (s.idle) wm += clock_->Monotonic() - s.last_activity;
  return wm;
}

TimeMicros Executor::CombinedWatermark(const std::vector<size_t>& sources) const {
  TimeMicros active_min = kEndOfTime;
  bool any_active = false;
  TimeMicros idle_max = kNoWatermark;
  bool all_ended = true;
  for (size_t i : sources) {
    const SourceState& s = source_state_[i];
    if (s.ended) continue;
    all_ended = false;
    if (s.idle) {
      idle_max = std::max(idle_max, SourceWatermark(i));
    } else {
      any_active = true;
      active_min = std::min(active_min, SourceWatermark(i));
    }
  }
  if (all_ended) return sources.empty() ? kNoWatermark : kEndOfTime;
  return any_active ? active_min : idle_max;
}

void Executor::AdvanceWatermarks() {
  for (size_t i = 0; i < pipeline_->stages.size(); ++i) {
    StageState& st = stage_state_[i];
    const TimeMicros wm = CombinedWatermark(st.upstream_sources);
    if (wm != kNoWatermark && wm > st.watermark) {
      st.watermark = wm;
      pipeline_->stages[i].stage->OnWatermark(wm, *emitters_[i]);
    }
  }
}

void Executor::Tick() {
  const TimeMicros mono = clock_->Monotonic();
  for (size_t i = 0; i < source_state_.size(); ++i) {
    SourceState& s = source_state_[i];
    if (!s.ended && !s.idle && mono - s.last_activity >= pipeline_->sources[i].idle_timeout) {
      s.idle = true;
    }
  }
  AdvanceWatermarks();
  const TimeMicros now = clock_->Now();
  for (size_t i = 0; i < pipeline_->stages.size(); ++i) {
    pipeline_->stages[i].stage->OnTick(now, *emitters_[i]);
  }
  DrainDeadLetters();
  for (SinkNode& sink : pipeline_->sinks) sink.sink->Flush();
}

void Executor::Finish() {
  if (finished_) return;
  finished_ = true;
  for (size_t i = 0; i < source_state_.size(); ++i) {
    if (!source_state_[i].ended) pipeline_->sources[i].source->Stop();
  }
  for (size_t i = 0; i < pipeline_->stages.size(); ++i) {
    pipeline_->stages[i].stage->Flush(*emitters_[i]);
  }
  DrainDeadLetters();
  for (SinkNode& sink : pipeline_->sinks) {
    sink.sink->Flush();
    sink.sink->Close();
  }
  for (size_t i = 0; i < source_state_.size(); ++i) {
    if (source_state_[i].ended) pipeline_->sources[i].source->Stop();
  }
}

void Executor::Run(const std::atomic<bool>& stop, const std::function<void()>& on_tick) {
  TimeMicros next_tick = clock_->Monotonic() + pipeline_->settings.tick;
  while (!stop.load(std::memory_order_relaxed) && !stats_.all_sources_ended) {
    const bool produced = Step();
    const TimeMicros now = clock_->Monotonic();
    if (now >= next_tick) {
      Tick();
      if (on_tick) on_tick();
      next_tick = now + pipeline_->settings.tick;
    }
    if (!produced) {
      // Sources that notify on new data let the executor sleep until the
      // next tick; any other live source is polled again after 0.5 ms.
      TimeMicros wait = std::max<TimeMicros>(next_tick - clock_->Monotonic(), 0);
      for (size_t i = 0; i < source_state_.size(); ++i) {
        if (!source_state_[i].ended && !pipeline_->sources[i].source->NotifiesWakeup()) {
          wait = std::min<TimeMicros>(wait, 500);
          break;
        }
      }
      pipeline_->wakeup->Wait(wait);
    }
  }
  Finish();
  if (on_tick) on_tick();
}

}  // namespace edgeflow
