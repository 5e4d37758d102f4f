#include "common/plugin.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace edgeflow {
namespace {

class PluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("edgeflow-plugin-test-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    setenv("EDGEFLOW_PLUGIN_DIR", dir_.c_str(), 1);
  }
  void TearDown() override {
    unsetenv("EDGEFLOW_PLUGIN_DIR");
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
};

TEST_F(PluginTest, MissingPluginNamesWhereItLooked) {
  auto symbol = LoadPluginSymbol("absent", "entry");
  ASSERT_FALSE(symbol.ok());
  EXPECT_EQ(symbol.status().code(), StatusCode::kNotFound);
  EXPECT_NE(symbol.status().message().find("edgeflow-absent.so is not installed"), std::string::npos);
  EXPECT_NE(symbol.status().message().find(dir_.string()), std::string::npos);
}

TEST_F(PluginTest, FileThatIsNotASharedObjectIsRefused) {
  std::ofstream(dir_ / "edgeflow-broken.so") << "not an ELF file\n";
  auto symbol = LoadPluginSymbol("broken", "entry");
  ASSERT_FALSE(symbol.ok());
  EXPECT_EQ(symbol.status().code(), StatusCode::kInvalidData);
  EXPECT_NE(symbol.status().message().find("cannot load plugin"), std::string::npos);
}

}  // namespace
}  // namespace edgeflow
