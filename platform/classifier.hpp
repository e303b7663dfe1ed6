#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <elstm_vp/dram/dram.hpp>
#include <elstm_vp/platform/platform_config.hpp>

namespace elstm {

// workload.classifier as the platform places it in DRAM for the classify firmware: W (classes × n,
// n the last layer's hidden size) and bias as fp32, the labels as int64.
struct ClassifierImage {
    std::size_t classes = 0;  // 0: no classifier
    std::size_t hidden = 0;
    std::vector<float> w, bias;
    std::vector<std::int64_t> labels;
    std::uint64_t w_addr = 0, bias_addr = 0, labels_addr = 0;
};

// Loads the files (their shapes and labels were checked with the config) and places them from
// `at` on; returns the first byte after them.
std::uint64_t place_classifier(const ClassifierFiles& files, std::uint64_t at, ClassifierImage& image);
void write_classifier(Dram& dram, const ClassifierImage& image);

// The class the classifier gives the hidden state h (n values) as the classify firmware computes
// it: each logit sums its products in ascending index order from 0.0f in fp32, then adds the bias;
// the first of equal maxima wins.
std::size_t classify(const ClassifierImage& c, const float* h);

class Platform;
struct GoldenCheck;

// The classification a run reports: the firmware's count and cycles from the descriptor, and the
// host's own count from the golden h of the last layer at the last step.
struct ClassifierResult {
    std::uint64_t classes = 0, sequences = 0;
    std::uint64_t classified = 0, correct = 0;  // as the firmware wrote them
    std::uint64_t core_cycles = 0;              // the firmware's classification, mcycle
    std::uint64_t accelerator_cycles = 0;       // every layer run of the accelerator
    bool host_checked = false;                  // false: the golden h is incomplete (the golden check failed)
    std::uint64_t host_correct = 0;
    std::string failure;                        // why the check failed, or ""
    double accuracy() const { return sequences ? double(correct) / double(sequences) : 0.0; }
};

// Has the workload a classifier? Then the result of the finished run `platform`.
bool has_classifier(const Platform& platform);
ClassifierResult classifier_result(const Platform& platform, const GoldenCheck& golden);

}  // namespace elstm
