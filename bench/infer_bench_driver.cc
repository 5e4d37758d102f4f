// Inference latency: loads a model file with the infer stage's loader and
// times Model::Predict over the rows of a CSV (cycled), printing
// µs/inference. With --int8 CALIBRATION.csv (ONNX) it also loads the int8
// quantised network and prints its latency and its difference from the
// float network's outputs over the same rows. Driven by bench/run_infer_bench.
//
//   infer_bench MODEL INPUTS.csv [--int8 CALIBRATION.csv] [--iterations N]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "analytics/models/model_loader.h"

using edgeflow::analytics::LoadModelFile;
using edgeflow::analytics::Model;
using edgeflow::analytics::ModelLoadOptions;
using edgeflow::analytics::ModelOutput;

namespace {

// Rows of numbers; the first line is a header; empty cells are NaN. Keeps
// the last `width` columns (inputs CSVs lead with time, device, row).
std::vector<std::vector<double>> ReadRows(const std::string& path, size_t width) {
  std::ifstream in(path);
  std::vector<std::vector<double>> rows;
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    std::vector<double> row;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) row.push_back(cell.empty() ? std::nan("") : std::atof(cell.c_str()));
    // A first line whose last cell is not a number is a header.
    const std::string last = line.substr(line.find_last_of(',') + 1);
    char* end = nullptr;
    std::strtod(last.c_str(), &end);
    const bool numeric = end != last.c_str();
    if (header && !numeric) {
      header = false;
      continue;
    }
    header = false;
    if (row.size() < width) continue;
    rows.emplace_back(row.end() - static_cast<std::ptrdiff_t>(width), row.end());
  }
  return rows;
}

double TimeModel(const Model& model, const std::vector<std::vector<double>>& rows, size_t iterations,
                 std::vector<std::vector<double>>* outputs) {
  ModelOutput out;
  double sink = 0;
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < iterations; ++i) {
    model.Predict(rows[i % rows.size()], out);
    sink += out.value;
  }
  const auto elapsed = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  if (outputs != nullptr) {
    for (const auto& row : rows) {
      model.Predict(row, out);
      outputs->push_back(!out.outputs.empty() ? out.outputs : !out.probabilities.empty() ? out.probabilities
                                                                                          : std::vector<double>{out.value});
    }
  }
  if (sink == 12345.678) std::puts("");  // keeps the loop from being optimised away
  return elapsed / static_cast<double>(iterations);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MODEL INPUTS.csv [--int8 CALIBRATION.csv] [--iterations N] [--features N]\n", argv[0]);
    return 2;
  }
  const std::string model_path = argv[1];
  const std::string inputs_path = argv[2];
  std::string calibration;
  size_t iterations = 20000;
  size_t features = 4;
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--int8") calibration = argv[i + 1];
    if (flag == "--iterations") iterations = std::strtoul(argv[i + 1], nullptr, 10);
    if (flag == "--features") features = std::strtoul(argv[i + 1], nullptr, 10);
  }
  const auto rows = ReadRows(inputs_path, features);
  if (rows.empty()) {
    std::fprintf(stderr, "no rows in %s\n", inputs_path.c_str());
    return 1;
  }
  ModelLoadOptions options;
  options.num_inputs = features;
  auto loaded = LoadModelFile(model_path, options);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.status().ToString().c_str());
    return 1;
  }
  std::vector<std::vector<double>> float_out;
  TimeModel(*loaded->model, rows, iterations / 10, nullptr);  // warm-up
  const double us = TimeModel(*loaded->model, rows, iterations, calibration.empty() ? nullptr : &float_out);
  std::printf("%-28s %-8s %10.3f us/inference\n", model_path.substr(model_path.find_last_of('/') + 1).c_str(),
              std::string(loaded->model->kind()).c_str(), us);
  if (calibration.empty()) return 0;

  options.quantize_int8 = true;
  for (const auto& row : ReadRows(calibration, features)) options.calibration.emplace_back(row.begin(), row.end());
  auto quantized = LoadModelFile(model_path, options);
  if (!quantized.ok()) {
    std::fprintf(stderr, "int8: %s\n", quantized.status().ToString().c_str());
    return 1;
  }
  std::vector<std::vector<double>> int8_out;
  TimeModel(*quantized->model, rows, iterations / 10, nullptr);
  const double us8 = TimeModel(*quantized->model, rows, iterations, &int8_out);
  double max_abs = 0, sum_abs = 0;
  size_t values = 0, same_argmax = 0;
  for (size_t r = 0; r < rows.size(); ++r) {
    for (size_t k = 0; k < float_out[r].size(); ++k) {
      const double d = std::fabs(float_out[r][k] - int8_out[r][k]);
      max_abs = std::max(max_abs, d);
      sum_abs += d;
      ++values;
    }
    const auto fa = std::max_element(float_out[r].begin(), float_out[r].end()) - float_out[r].begin();
    const auto ia = std::max_element(int8_out[r].begin(), int8_out[r].end()) - int8_out[r].begin();
    if (fa == ia) ++same_argmax;
  }
  std::printf("%-28s %-8s %10.3f us/inference\n", "  int8 (cv::dnn quantize)", "onnx", us8);
  std::printf("  int8 vs float over %zu rows: max |diff| %.4f, mean |diff| %.5f, same top class %.1f%%\n",
              rows.size(), max_abs, sum_abs / static_cast<double>(values),
              100.0 * static_cast<double>(same_argmax) / static_cast<double>(rows.size()));
  return 0;
}
