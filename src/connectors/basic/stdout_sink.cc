#include "connectors/basic/stdout_sink.h"

#include <cstdio>

#include "connectors/codec/encoder_options.h"

namespace edgeflow {
namespace {

class StdoutSink final : public Sink {
 public:
  explicit StdoutSink(JsonEncodeOptions options) : options_(std::move(options)) {}

  void Write(const Batch& batch) override {
    buffer_.clear();
    for (const Event& e : batch) {
      AppendEventJson(e, options_, buffer_);
      buffer_.push_back('\n');
    }
    std::fwrite(buffer_.data(), 1, buffer_.size(), stdout);
  }
  void Flush() override { std::fflush(stdout); }

 private:
  JsonEncodeOptions options_;
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
    return std::make_unique<StdoutSink>(ReadJsonEncodeOptions(ctx.config));
  };
  return def;
}

}  // namespace edgeflow
