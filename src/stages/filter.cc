#include "stages/filter.h"

#include "pipeline/expression.h"
#include "stages/stage_util.h"

namespace edgeflow {
namespace {

class FilterStage final : public Stage {
 public:
  FilterStage(Expression condition, const ComponentContext& ctx)
      : condition_(std::move(condition)), filtered_(ctx.counters.Dropped("filtered")) {}

  void Process(Batch& batch, Emitter& out) override {
    const size_t before = batch.size();
    batch.Retain([this](const Event& e) { return condition_.Test(e); });
    filtered_->Add(before - batch.size());
    if (!batch.empty()) out.Emit(batch);
  }

 private:
  Expression condition_;
  Counter* filtered_;
};

}  // namespace

ComponentDef FilterStageDef() {
  ComponentDef def;
  def.kind = ComponentKind::kStage;
  def.type = "filter";
  def.summary = "Keeps the events for which a condition is true.";
  def.description =
      "Events whose condition is false or Missing (it reads a field the event lacks) are "
      "dropped and counted as `dropped{reason=\"filtered\"}`.";
  def.params = {{"when", "expression", "", "Condition an event must meet to pass.", true}};
  def.shorthand_param = "when";
  def.example = "filter: \"temperature_f > -40 and temperature_f < 400\"";
  def.make_stage = [](BuildContext& ctx) -> std::unique_ptr<Stage> {
    auto condition = CompileExpressionParam(ctx, "when");
    if (!condition) return nullptr;
    ctx.output_schema = ctx.input_schema;
    return std::make_unique<FilterStage>(std::move(*condition), ctx.services);
  };
  return def;
}

}  // namespace edgeflow
