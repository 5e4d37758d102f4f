#include "stages/builtin.h"

// One include and one line per stage type.
#include "stages/deadband.h"
#include "stages/dedupe.h"
#include "stages/features.h"
#include "stages/detect.h"
#include "stages/filter.h"
#include "stages/infer.h"
#include "stages/map.h"
#include "stages/resample.h"
#include "stages/rule.h"
#include "stages/smooth.h"
#include "stages/window.h"

namespace edgeflow {

void RegisterBuiltinStages(Registry& registry) {
  registry.Add(FilterStageDef());
  registry.Add(MapStageDef());
  registry.Add(WindowStageDef());
  registry.Add(RuleStageDef());
  registry.Add(DeadbandStageDef());
  registry.Add(DedupeStageDef());
  registry.Add(SmoothStageDef());
  registry.Add(ResampleStageDef());
  registry.Add(FeaturesStageDef());
  registry.Add(InferStageDef());
  registry.Add(DetectStageDef());
}

}  // namespace edgeflow
