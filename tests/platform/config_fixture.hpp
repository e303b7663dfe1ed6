#pragma once
// The fixture of the YAML configuration tests: each test writes its YAML into a folder of its own.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <elstm_vp/platform/yaml_config.hpp>

namespace elstm {

class ConfigFixture : public testing::Test {
protected:
    void SetUp() override {
        const auto* info = testing::UnitTest::GetInstance()->current_test_info();
        // The pid keeps concurrent runs (two build trees, ctest -j) apart.
        dir_ = std::filesystem::path(testing::TempDir()) /
               ("elstm_config_" + std::string(info->test_suite_name()) + "_" + info->name() + "_" +
                std::to_string(getpid()));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::string write(const std::string& text, const std::string& name = "test.yaml") const {
        const std::filesystem::path p = dir_ / name;
        std::ofstream(p) << text;
        return p.string();
    }

    // The ConfigError message of loading `path`, or "" (and a failure) when it loads.
    static std::string error_of(const std::string& path, const std::vector<std::string>& overrides = {}) {
        try {
            load_platform_config(path, overrides);
        } catch (const ConfigError& e) {
            return e.what();
        }
        ADD_FAILURE() << path << " loaded without error";
        return "";
    }

    std::filesystem::path dir_;
};

}  // namespace elstm
