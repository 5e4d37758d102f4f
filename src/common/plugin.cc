#include "common/plugin.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <vector>

namespace edgeflow {
namespace {

std::string ExecutableDirectory() {
  char buffer[4096];
  const ssize_t n = readlink("/proc/self/exe", buffer, sizeof(buffer) - 1);
  if (n <= 0) return "";
  std::string path(buffer, static_cast<size_t>(n));
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

std::vector<std::string> SearchDirectories() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("EDGEFLOW_PLUGIN_DIR"); env != nullptr && *env != '\0') {
    return {env};  // an explicit choice replaces the defaults
  }
  const std::string exe_dir = ExecutableDirectory();
  if (!exe_dir.empty()) {
    dirs.push_back(exe_dir);
    dirs.push_back(exe_dir + "/../lib/edgeflow");
  }
#ifdef EDGEFLOW_PLUGIN_BUILD_DIR
  dirs.push_back(EDGEFLOW_PLUGIN_BUILD_DIR);  // benches and tests run from subdirectories
#endif
  return dirs;
}

}  // namespace

Result<void*> LoadPluginSymbol(const std::string& name, const char* symbol) {
  static std::mutex mu;
  static std::map<std::string, void*> handles;  // never closed: code and data stay valid
  std::lock_guard<std::mutex> lock(mu);
  void* handle = nullptr;
  if (auto it = handles.find(name); it != handles.end()) {
    handle = it->second;
  } else {
    const std::string file = "edgeflow-" + name + ".so";
    std::string tried;
    for (const std::string& dir : SearchDirectories()) {
      const std::string path = dir + "/" + file;
      if (access(path.c_str(), F_OK) != 0) {
        tried += (tried.empty() ? "" : ", ") + path;
        continue;
      }
      handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (handle == nullptr) {
        const char* why = dlerror();
        return InvalidData("cannot load plugin " + path + ": " + (why != nullptr ? why : "unknown error"));
      }
      break;
    }
    if (handle == nullptr) return NotFound("plugin " + file + " is not installed (looked for " + tried + ")");
    handles.emplace(name, handle);
  }
  void* address = dlsym(handle, symbol);
  if (address == nullptr) return InvalidData("plugin edgeflow-" + name + ".so has no symbol " + symbol);
  return address;
}

}  // namespace edgeflow
