#include "connectors/basic/null_sink.h"

namespace edgeflow {
namespace {
class NullSink final : public Sink {
 public:
  void Write(const Batch&) override {}
};
}  // namespace

ComponentDef NullSinkDef() {
  ComponentDef def;
  def.kind = ComponentKind::kSink;
  def.type = "null";
  def.summary = "Discards events; its `events_in` counter still counts them.";
  def.example = "{ type: null }";
  def.make_sink = [](BuildContext&) -> std::unique_ptr<Sink> { return std::make_unique<NullSink>(); };
  return def;
}

}  // namespace edgeflow
