/* The classifier on the core: every sequence's LSTM layers run on the co-processor as in
 * elstm.c (elstm_run_layer), then the core reads the last layer's h at the last step from DRAM,
 * computes logits = W·h + bias in fp32 (each logit sums its products in ascending index order
 * from 0.0f, then adds the bias; rv64imac has no FPU, so this is libgcc's IEEE soft-float),
 * takes the argmax (the first of equal maxima) and compares it with the sequence's label. It
 * writes the count of correct labels and the cycles the classification took into the
 * descriptor for the platform to report and check. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

#include "elstm_desc.h"
#include "elstm_fw.h"

#define EXIT_NO_CLASSIFIER 4

/* The class whose logit is largest (the first of equal ones) for the hidden state h (n values). */
static uint64_t classify(const struct elstm_desc *d, const float *h, uint64_t n) {
    const float *w = (const float *)(uintptr_t)d->classifier_w;
    const float *bias = (const float *)(uintptr_t)d->classifier_bias;
    uint64_t best = 0;
    float best_logit = 0.0f;
    for (uint64_t c = 0; c < d->classes; ++c) {
        float acc = 0.0f;
        for (uint64_t j = 0; j < n; ++j) acc += w[c * n + j] * h[j];
        const float logit = acc + bias[c];
        if (c == 0 || logit > best_logit) best = c, best_logit = logit;
    }
    return best;
}

int main(void) {
    struct elstm_desc *d = (struct elstm_desc *)elstm_desc_open("classify");
    if (!d) return ELSTM_EXIT_BAD_DESC;
    if (d->classes == 0 || d->layers == 0 || d->steps == 0) {
        printf("classify: the descriptor has no classifier (workload.classifier) or no layers\n");
        return EXIT_NO_CLASSIFIER;
    }
    const uint64_t last = d->layers - 1, n = elstm_layers(d)[last].n;
    const int64_t *labels = (const int64_t *)(uintptr_t)d->labels;
    /* A layer's h holds steps rows of n fp32, each padded to whole 64-bit words. */
    const uint64_t last_row = 4 * ((n + 1) / 2 * 2) * (d->steps - 1);

    uint64_t accel = 0, core = 0, correct = 0;
    for (uint64_t s = 0; s < d->sequences; ++s) {
        for (uint64_t l = 0; l < d->layers; ++l) accel += elstm_run_layer(d, l, s);
        const uint64_t start = elstm_cycles();
        const float *h = (const float *)(uintptr_t)(elstm_h_addr(d, last, s) + last_row);
        correct += classify(d, h, n) == (uint64_t)labels[s];
        core += elstm_cycles() - start;
    }
    d->classified = d->sequences;
    d->correct = correct;
    d->classifier_cycles = core;
    printf("accelerator: %" PRIu64 " cycles; classifier: %" PRIu64 " cycles; correct: %" PRIu64 " of %" PRIu64 "\n",
           accel, core, correct, d->sequences);
    return 0;
}
