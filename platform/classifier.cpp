#include <elstm_vp/platform/classifier.hpp>

#include <cstddef>

#include "elstm_desc.h"
#include <elstm_vp/numeric/npy.hpp>
#include <elstm_vp/platform/platform.hpp>
#include <elstm_vp/platform/stats.hpp>

namespace elstm {

namespace {

std::uint64_t align64(std::uint64_t a) { return (a + 63) / 64 * 64; }

std::uint64_t read_field(const Platform& p, std::size_t offset) {
    std::uint64_t v = 0;
    p.dram().read_backdoor(p.image().descriptor + offset, &v, sizeof v);
    return v;
}

}  // namespace

std::uint64_t place_classifier(const ClassifierFiles& files, std::uint64_t at, ClassifierImage& image) {
    NpyArray w = load_npy(files.w);
    image.classes = w.shape.at(0);
    image.hidden = w.shape.at(1);
    image.w = std::move(w.data);
    image.bias = load_npy(files.bias).data;
    image.labels = load_npy_int(files.labels).data;
    image.w_addr = at = align64(at);
    at += 4 * image.w.size();
    image.bias_addr = at = align64(at);
    at += 4 * image.bias.size();
    image.labels_addr = at = align64(at);
    return at + 8 * image.labels.size();
}

void write_classifier(Dram& dram, const ClassifierImage& image) {
    if (image.classes == 0) return;  // none placed
    dram.write_backdoor(image.w_addr, image.w.data(), 4 * image.w.size());
    dram.write_backdoor(image.bias_addr, image.bias.data(), 4 * image.bias.size());
    dram.write_backdoor(image.labels_addr, image.labels.data(), 8 * image.labels.size());
}

std::size_t classify(const ClassifierImage& c, const float* h) {
    std::size_t best = 0;
    float best_logit = 0.0f;
    for (std::size_t k = 0; k < c.classes; ++k) {
        float acc = 0.0f;
        for (std::size_t j = 0; j < c.hidden; ++j) acc += c.w[k * c.hidden + j] * h[j];
        const float logit = acc + c.bias[k];
        if (k == 0 || logit > best_logit) best = k, best_logit = logit;
    }
    return best;
}

bool has_classifier(const Platform& platform) { return platform.image().classifier.classes != 0; }

ClassifierResult classifier_result(const Platform& p, const GoldenCheck& golden) {
    const ClassifierImage& c = p.image().classifier;
    ClassifierResult r;
    r.classes = c.classes;
    r.sequences = p.image().sequences;
    r.classified = read_field(p, offsetof(elstm_desc, classified));
    r.correct = read_field(p, offsetof(elstm_desc, correct));
    r.core_cycles = read_field(p, offsetof(elstm_desc, classifier_cycles));
    r.accelerator_cycles = accelerator_cycles(p);
    r.host_checked = golden.last_h.size() == r.sequences;
    if (r.host_checked)
        for (std::size_t s = 0; s < r.sequences; ++s)
            r.host_correct += classify(c, golden.last_h[s].data()) == static_cast<std::size_t>(c.labels[s]);
    if (r.classified != r.sequences)
        r.failure = "the firmware classified " + std::to_string(r.classified) + " of " + std::to_string(r.sequences) +
                    " sequences (descriptor field classified)";
    else if (r.host_checked && r.correct != r.host_correct)
        r.failure = "the firmware counts " + std::to_string(r.correct) + " correct labels, the host " +
                    std::to_string(r.host_correct) + " from the golden h";
    return r;
}

}  // namespace elstm
