#include "connectors/basic/stdout_sink.h"

#include <cstdio>

#include "common/log.h"
#include "connectors/codec/encoder_options.h"

namespace edgeflow {
namespace {

class StdoutSink final : public Sink {
 public:
  StdoutSink(JsonEncodeOptions options, const ComponentContext& ctx)
      : options_(std::move(options)), dropped_(ctx.counters.Dropped("write_failed")) {}

  void Write(const Batch& batch) override {
    buffer_.clear();
    for (const Event& e : batch) {
      AppendEventJson(e, options_, buffer_);
      buffer_.push_back('\n');
    }
    if (broken_) {
      dropped_->Add(batch.size());
      return;
    }
    if (std::fwrite(buffer_.data(), 1, buffer_.size(), stdout) != buffer_.size()) {
      // The reader went away (closed pipe): stop writing, keep counting.
      broken_ = true;
      dropped_->Add(batch.size());
      spdlog::warn("stdout is closed; further events for stdout are dropped and counted");
    }
  }
  void Flush() override { std::fflush(stdout); }

 private:
  JsonEncodeOptions options_;
  Counter* dropped_;
  bool broken_ = false;
  std::string buffer_;
};

}  // namespace

ComponentDef StdoutSinkDef() {
  ComponentDef def;
  def.kind = ComponentKind::kSink;
  def.type = "stdout";
  def.summary = "Writes events to standard output, one JSON object per line.";
  def.description = "Output is buffered and flushed every tick (settings.tick) and at shutdown.";
  def.params = {TimeFormatParam()};
  def.example = "{ type: stdout, from: alerts }";
  def.make_sink = [](BuildContext& ctx) -> std::unique_ptr<Sink> {
    return std::make_unique<StdoutSink>(ReadJsonEncodeOptions(ctx.config), ctx.services);
  };
  return def;
}

}  // namespace edgeflow
