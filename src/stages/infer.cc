#include "stages/infer.h"

#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <cmath>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "analytics/models/model_loader.h"
#include "stages/stage_util.h"

namespace edgeflow {
namespace {

using analytics::LoadedModel;
using analytics::ModelLoadOptions;
using analytics::ModelOutput;
using analytics::ModelTask;

enum class MissingPolicy { kSkip, kNaN, kDrop };

// What identifies a version of a file on disk.
struct FileStamp {
  int64_t mtime_ns = -1;
  int64_t size = -1;
  bool operator==(const FileStamp&) const = default;
};

FileStamp StampOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
          static_cast<int64_t>(st.st_size)};
}

struct SharedModel {
  LoadedModel loaded;
  FileStamp stamp;
};

// Stages naming the same file (with the same options) share one loaded
// model while it is unchanged on disk.
class ModelCache {
 public:
  static ModelCache& Instance() {
    static ModelCache cache;
    return cache;
  }

  Result<std::shared_ptr<const SharedModel>> Load(const std::string& path, const ModelLoadOptions& options,
                                                  const std::string& options_key) {
    const FileStamp stamp = StampOf(path);
    const std::string key = path + '\n' + options_key;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = models_.find(key);
      if (it != models_.end()) {
        if (auto shared = it->second.lock(); shared && shared->stamp == stamp) return shared;
      }
    }
    // Load outside the lock: it may take a while and does not touch the cache.
    auto loaded = analytics::LoadModelFile(path, options);
    if (!loaded.ok()) return loaded.status();
    auto shared = std::make_shared<SharedModel>();
    shared->loaded = std::move(loaded).value();
    shared->stamp = stamp;
    std::lock_guard<std::mutex> lock(mu_);
    models_[key] = shared;
    return std::shared_ptr<const SharedModel>(shared);
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::weak_ptr<const SharedModel>> models_;
};

struct InferConfig {
  std::string path;
  std::vector<Symbol> inputs;
  Symbol output;
  std::string output_name;
  bool probabilities = true;
  Symbol version_field;  // empty: none
  MissingPolicy missing = MissingPolicy::kSkip;
  TimeMicros reload_check = 5 * kMicrosPerSecond;  // 0: never
  ModelLoadOptions load;
  std::string options_key;  // for the cache
};

class InferStage final : public Stage {
 public:
  InferStage(InferConfig config, std::shared_ptr<const SharedModel> model, const ComponentContext& ctx)
      : c_(std::move(config)),
        ctx_(ctx),
        model_(std::move(model)),
        missing_(ctx.metrics->GetCounter("infer_missing_inputs", ctx.counters.labels,
                                         "events lacking an input field (handled by `missing`)")),
        missing_dropped_(ctx.counters.Dropped("missing_input")),
        reloads_(ctx.metrics->GetCounter("infer_reloads", ctx.counters.labels, "model files reloaded")),
        reload_errors_(ctx.metrics->GetCounter("infer_reload_errors", ctx.counters.labels,
                                               "changed model files that failed to load (old model kept)")),
        predictions_(ctx.metrics->GetCounter("infer_predictions", ctx.counters.labels, "model evaluations")),
        latency_ns_(ctx.metrics->GetCounter("infer_latency_ns_sum", ctx.counters.labels,
                                            "nanoseconds spent in model evaluation; / infer_predictions = mean")) {
    features_.resize(c_.inputs.size());
    failed_stamp_ = model_->stamp;
    PrepareOutputs();
  }

  void Process(Batch& batch, Emitter& out) override {
    const auto start = std::chrono::steady_clock::now();
    uint64_t evaluated = 0;
    batch.Retain([&](Event& e) {
      if (!ReadFeatures(e)) return c_.missing != MissingPolicy::kDrop;
      model_->loaded.model->Predict(features_, result_);
      ++evaluated;
      WriteOutputs(e);
      return true;
    });
    const auto elapsed = std::chrono::steady_clock::now() - start;
    if (evaluated > 0) {
      predictions_->Add(evaluated);
      latency_ns_->Add(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()));
    }
    if (!batch.empty()) out.Emit(batch);
  }

  void OnTick(TimeMicros now, Emitter&) override {
    if (c_.reload_check <= 0 || now - last_check_ < c_.reload_check) return;
    last_check_ = now;
    const FileStamp stamp = StampOf(c_.path);
    if (stamp == model_->stamp || stamp == failed_stamp_ || stamp.size < 0) return;
    auto fresh = ModelCache::Instance().Load(c_.path, c_.load, c_.options_key);
    if (!fresh.ok()) {
      failed_stamp_ = stamp;  // retried when the file changes again
      reload_errors_->Add();
      spdlog::error("infer {}: keeping model {}: reloading {} failed: {}", ctx_.id, model_->loaded.version,
                    c_.path, fresh.status().message());
      return;
    }
    const analytics::Model& m = *fresh.value()->loaded.model;
    if (m.task() != model_->loaded.model->task() || m.class_labels() != model_->loaded.model->class_labels()) {
      spdlog::info("infer {}: the new model's task or classes differ; outputs change accordingly", ctx_.id);
    }
    model_ = std::move(fresh).value();
    failed_stamp_ = model_->stamp;
    PrepareOutputs();
    reloads_->Add();
    spdlog::info("infer {}: loaded model version {} from {}", ctx_.id, model_->loaded.version, c_.path);
  }

 private:
  // False when an input is missing and the event gets no prediction.
  bool ReadFeatures(const Event& e) {
    bool complete = true;
    for (size_t i = 0; i < c_.inputs.size(); ++i) {
      const std::optional<double> v = e.Number(c_.inputs[i]);
      if (v) {
        features_[i] = *v;
      } else {
        complete = false;
        features_[i] = std::nan("");
      }
    }
    if (complete) return true;
    missing_->Add();
    if (c_.missing == MissingPolicy::kDrop) missing_dropped_->Add();
    return c_.missing == MissingPolicy::kNaN;
  }

  // Output field names of the current model (its classes may change on reload).
  void PrepareOutputs() {
    const analytics::Model& m = *model_->loaded.model;
    prob_fields_.clear();
    label_values_.clear();
    for (const std::string& label : m.class_labels()) {
      prob_fields_.push_back(Symbol::Intern(c_.output_name + "_prob_" + label));
      label_values_.push_back(std::strtod(label.c_str(), nullptr));
    }
    score_field_ = Symbol::Intern(c_.output_name + "_score");
  }

  void WriteOutputs(Event& e) {
    const analytics::Model& m = *model_->loaded.model;
    switch (m.task()) {
      case ModelTask::kRegression:
        if (result_.outputs.size() > 1) {
          while (output_fields_.size() < result_.outputs.size()) {
            output_fields_.push_back(Symbol::Intern(c_.output_name + "_" + std::to_string(output_fields_.size())));
          }
          for (size_t i = 0; i < result_.outputs.size(); ++i) e.SetDouble(output_fields_[i], result_.outputs[i]);
        } else {
          e.SetDouble(c_.output, result_.value);
        }
        break;
      case ModelTask::kClassification: {
        const auto cls = static_cast<size_t>(result_.value);
        if (m.numeric_labels()) {
          e.SetDouble(c_.output, label_values_[cls]);
        } else {
          e.SetString(c_.output, m.class_labels()[cls]);
        }
        if (c_.probabilities) {
          for (size_t i = 0; i < result_.probabilities.size() && i < prob_fields_.size(); ++i) {
            e.SetDouble(prob_fields_[i], result_.probabilities[i]);
          }
        }
        break;
      }
      case ModelTask::kAnomaly:
        e.SetInt(c_.output, static_cast<int64_t>(result_.value));
        e.SetDouble(score_field_, result_.score);
        break;
    }
    if (!c_.version_field.name().empty()) e.SetString(c_.version_field, model_->loaded.version);
  }

  InferConfig c_;
  ComponentContext ctx_;
  std::shared_ptr<const SharedModel> model_;
  Counter* missing_;
  Counter* missing_dropped_;
  Counter* reloads_;
  Counter* reload_errors_;
  Counter* predictions_;
  Counter* latency_ns_;
  std::vector<double> features_;
  ModelOutput result_;
  std::vector<Symbol> prob_fields_;
  std::vector<double> label_values_;
  std::vector<Symbol> output_fields_;
  Symbol score_field_;
  TimeMicros last_check_ = 0;
  FileStamp failed_stamp_;
};

// Calibration rows for int8: a CSV of numbers, one row per sample, the
// columns in `inputs` order; a first line that is not numeric is a header.
Result<std::vector<std::vector<float>>> ReadCalibration(const std::string& path, size_t width) {
  std::ifstream in(path);
  if (!in) return NotFound("cannot open calibration file " + path);
  std::vector<std::vector<float>> rows;
  std::string line;
  size_t line_no = 0;
  while (std::getline(in, line) && rows.size() < 10000) {
    ++line_no;
    if (line.empty()) continue;
    std::vector<float> row;
    std::stringstream ss(line);
    std::string cell;
    bool numeric = true;
    while (std::getline(ss, cell, ',')) {
      char* end = nullptr;
      const double v = std::strtod(cell.c_str(), &end);
      if (end == cell.c_str()) numeric = false;
      row.push_back(static_cast<float>(v));
    }
    if (!numeric) {
      if (line_no == 1) continue;  // header
      return InvalidData(path + ":" + std::to_string(line_no) + ": not a row of numbers");
    }
    if (row.size() != width) {
      return InvalidData(path + ":" + std::to_string(line_no) + ": " + std::to_string(row.size()) +
                         " values, expected " + std::to_string(width) + " (one per input)");
    }
    rows.push_back(std::move(row));
  }
  if (rows.empty()) return InvalidData("calibration file " + path + " has no rows");
  return rows;
}

std::unique_ptr<Stage> Build(BuildContext& ctx) {
  const ConfigNode& cfg = ctx.config;
  InferConfig c;
  if (!cfg.Has("model") || !cfg.Has("inputs")) return nullptr;  // reported as required
  c.path = cfg["model"].String();
  const ConfigNode inputs = cfg["inputs"];
  for (const std::string& name : inputs.StringList()) {
    CheckFieldKnown(ctx, inputs, name);
    c.inputs.push_back(Symbol::Intern(name));
  }
  if (c.inputs.empty()) inputs.Error("list the model's input fields in training order");
  c.output_name = cfg["output"].String("prediction");
  if (c.output_name.empty()) cfg["output"].Error("must not be empty");
  c.output = Symbol::Intern(c.output_name);
  c.probabilities = cfg["probabilities"].Bool(true);
  const std::string version_field = cfg["version_field"].String("model_version");
  if (!version_field.empty()) c.version_field = Symbol::Intern(version_field);
  const std::string missing = cfg["missing"].Enum("skip", {"skip", "nan", "drop"});
  c.missing = missing == "nan" ? MissingPolicy::kNaN : missing == "drop" ? MissingPolicy::kDrop : MissingPolicy::kSkip;
  c.reload_check = cfg["reload_check"].Duration(5 * kMicrosPerSecond);
  if (c.reload_check < 0) cfg["reload_check"].Error("must be >= 0 (0 turns reloading off)");
  const std::string quantize = cfg["quantize"].Enum("none", {"none", "int8"});
  c.load.num_inputs = c.inputs.size();
  c.load.quantize_int8 = quantize == "int8";
  if (c.load.quantize_int8) {
    if (!cfg.Require("calibration")) return nullptr;
    auto rows = ReadCalibration(cfg["calibration"].String(), c.inputs.size());
    if (!rows.ok()) {
      cfg["calibration"].Error(rows.status().message());
      return nullptr;
    }
    c.load.calibration = std::move(rows).value();
    c.options_key = "int8:" + cfg["calibration"].String();
  } else if (cfg.Has("calibration")) {
    cfg["calibration"].Error("only used with quantize: int8");
  }
  if (!ctx.ok()) return nullptr;

  auto model = ModelCache::Instance().Load(c.path, c.load, c.options_key);
  if (!model.ok()) {
    cfg["model"].Error(model.status().message(),
                       "XGBoost JSON (Booster.save_model), tools/export_sklearn.py output, or .onnx");
    return nullptr;
  }

  ctx.output_schema = ctx.input_schema;
  if (ctx.output_schema.known) {
    const analytics::Model& m = *model.value()->loaded.model;
    ctx.output_schema.fields.insert(c.output_name);
    for (const std::string& label : m.class_labels()) ctx.output_schema.fields.insert(c.output_name + "_prob_" + label);
    if (m.task() == ModelTask::kAnomaly) ctx.output_schema.fields.insert(c.output_name + "_score");
    if (!version_field.empty()) ctx.output_schema.fields.insert(version_field);
    ctx.output_schema.known = m.kind() != "onnx";  // an ONNX net's output width is only known at run time
  }
  return std::make_unique<InferStage>(std::move(c), std::move(model).value(), ctx.services);
}

}  // namespace

ComponentDef InferStageDef() {
  ComponentDef def;
  def.kind = ComponentKind::kStage;
  def.type = "infer";
  def.summary = "Runs a pre-trained model (XGBoost, scikit-learn, ONNX) on each event.";
  def.description =
      "The `inputs` fields, in the order the model was trained on, form the feature vector. "
      "Regression models write `output`; classifiers write the class label to `output` and "
      "`<output>_prob_<class>` per class; anomaly models (IsolationForest) write 1 or -1 to "
      "`output` and sklearn's score_samples to `<output>_score`; a network with several outputs "
      "writes `<output>_0`, `<output>_1`, ... The model version (declared in the file, else a "
      "hash of it) goes to `version_field`. The file is checked every `reload_check` and a "
      "changed file is loaded fully before it replaces the old model; a broken file keeps the "
      "old model (counted as infer_reload_errors). Model kinds: XGBoost JSON "
      "(`Booster.save_model`), scikit-learn through tools/export_sklearn.py, and ONNX networks "
      "when edgeflow is built with EDGEFLOW_ONNX (see docs/analytics/model-deployment.md).";
  def.params = {
      {"model", "string", "", "Model file: XGBoost .json, edgeflow-model .json, or .onnx.", true},
      {"inputs", "list of string", "", "Input fields in the model's feature order.", true},
      {"output", "string", "prediction", "Field for the prediction; prefix of the other outputs.", false},
      {"probabilities", "bool", "true", "Classifiers: add `<output>_prob_<class>` per class.", false},
      {"version_field", "string", "model_version", "Field for the model version; empty for none.", false},
      {"missing", "enum", "skip",
       "An input is missing or not numeric: skip (pass the event on without a prediction), nan "
       "(predict with NaN: XGBoost follows default directions) or drop; counted as infer_missing_inputs.",
       false},
      {"reload_check", "duration", "5s", "How often the model file is checked for changes; 0s: never.", false},
      {"quantize", "enum", "none", "none | int8: quantise an ONNX network with OpenCV (needs calibration).", false},
      {"calibration", "string", "",
       "CSV of representative input rows (columns in `inputs` order) for int8 quantisation.", false},
  };
  def.example = "infer: { model: models/vibration.json, inputs: [rms, kurtosis, crest], output: failure }";
  def.make_stage = [](BuildContext& ctx) { return Build(ctx); };
  return def;
}

}  // namespace edgeflow
