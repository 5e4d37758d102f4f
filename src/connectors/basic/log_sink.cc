#include "connectors/basic/log_sink.h"

#include "common/log.h"
#include "connectors/codec/encoder_options.h"

namespace edgeflow {
namespace {
class LogSink final : public Sink {
 public:
  LogSink(std::string id, spdlog::level::level_enum level, JsonEncodeOptions options)
      : id_(std::move(id)), level_(level), options_(std::move(options)) {}
  void Write(const Batch& batch) override {
    for (const Event& e : batch) {
      line_.clear();
      AppendEventJson(e, options_, line_);
      spdlog::log(level_, "{}: {}", id_, line_);
    }
  }

 private:
  std::string id_;
  spdlog::level::level_enum level_;
  JsonEncodeOptions options_;
  std::string line_;
};
}  // namespace

ComponentDef LogSinkDef() {
  ComponentDef def;
  def.kind = ComponentKind::kSink;
  def.type = "log";
  def.summary = "Logs each event (as JSON) at the chosen level on standard error.";
  def.params = {{"level", "enum", "info", "debug | info | warn | error.", false}, TimeFormatParam()};
  def.example = "{ type: log, from: alerts, level: warn }";
  def.make_sink = [](BuildContext& ctx) -> std::unique_ptr<Sink> {
    const std::string level = ctx.config["level"].Enum("info", {"debug", "info", "warn", "error"});
    return std::make_unique<LogSink>(ctx.services.id, spdlog::level::from_str(level),
                                     ReadJsonEncodeOptions(ctx.config));
  };
  return def;
}

}  // namespace edgeflow
