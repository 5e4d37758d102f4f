// infer: runs a pre-trained model (XGBoost JSON, scikit-learn exported by
// tools/export_sklearn.py, ONNX through OpenCV DNN when built with
// EDGEFLOW_ONNX) on each event.
//
// The ordered `inputs` fields form the feature vector. Each event gets the
// prediction in `output` (a regression value, a class label, or 1 / -1 for
// an anomaly model), `<output>_prob_<class>` per class of a classifier,
// `<output>_score` for an anomaly model, `<output>_<i>` for every output of
// a multi-output network, and the model's version in `version_field`.
// Events missing an input follow `missing` (skip: passed on without a
// prediction; nan: predicted with NaN for the missing value; drop), counted.
//
// The model file is loaded once at build (errors are config errors) and
// shared read-only between stages naming the same file. On ticks the stage
// checks the file's mtime and size every `reload_check`; a changed file is
// loaded completely and then swapped in between batches, so no event is
// dropped or sees half a model. A broken new file keeps the old model and is
// logged and counted (infer_reload_errors); it is retried when it changes
// again. Latency: infer_latency_ns_sum / infer_predictions.
#pragma once

#include "pipeline/registry.h"

namespace edgeflow {

ComponentDef InferStageDef();

}  // namespace edgeflow
