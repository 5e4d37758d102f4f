// The C interface between edgeflow and its ONNX plugin (edgeflow-onnx.so).
//
// ONNX networks run on OpenCV's DNN module, which pulls in about 7 MB of
// shared libraries (OpenCV core/dnn/imgproc, protobuf, TBB, LAPACK, X11...)
// that every process would map and relocate at start-up. Keeping OpenCV in a
// plugin that is loaded only when a pipeline uses an .onnx model keeps a
// node's memory small (docs/adr/0005-optional-plugins.md). The interface is
// plain C so that the plugin shares no C++ types, allocator or exceptions
// with the executable; bump kOnnxPluginAbi when it changes.
#pragma once

#include <stddef.h>

extern "C" {

constexpr int kOnnxPluginAbi = 1;

struct EfOnnxNet;  // opaque: owned by the plugin

// Every function returns 0 on success; on failure it writes a message
// (NUL-terminated, truncated to error_size) to `error`.
struct EfOnnxPlugin {
  int abi;  // kOnnxPluginAbi of the plugin
  // Reads the network, optionally quantises it to int8 with `calibration`
  // (calibration_rows x num_features floats, row-major), and runs it once to
  // prove that it takes num_features inputs.
  int (*load)(const char* path, size_t num_features, int quantize_int8, const float* calibration,
              size_t calibration_rows, EfOnnxNet** net, char* error, size_t error_size);
  // One forward pass on num_features inputs. Writes at most output_capacity
  // values of the first output (flattened) and its full length to
  // *output_size. Not thread safe for one net: the caller serialises.
  int (*forward)(EfOnnxNet* net, const float* input, float* output, size_t output_capacity,
                 size_t* output_size, char* error, size_t error_size);
  void (*free)(EfOnnxNet* net);
};

// The plugin's single exported symbol.
const EfOnnxPlugin* edgeflow_onnx_plugin(void);
using EfOnnxPluginEntry = const EfOnnxPlugin* (*)(void);
inline constexpr const char kOnnxPluginEntryName[] = "edgeflow_onnx_plugin";

}  // extern "C"
