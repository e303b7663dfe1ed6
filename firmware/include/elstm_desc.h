/* The workload descriptor the platform places in memory for the host program (firmware):
 * where the layers, their packed weights and the input/output vectors are. Shared by the
 * firmware (C) and the platform (C++): plain fixed-width fields, little-endian, 8-byte aligned. */
#ifndef ELSTM_DESC_H
#define ELSTM_DESC_H

#include <stdint.h>

#define ELSTM_DESC_MAGIC 0x4d54534c45ull /* "ELSTM" */
#define ELSTM_DESC_VERSION 3
/* Physical address of the descriptor: the platform's DRAM base + 1 MiB, the first byte after
 * the firmware's region (see firmware/elstm.ld). */
#define ELSTM_DESC_ADDR 0x80100000ull

struct elstm_layer_desc {
    uint64_t m, n;              /* sizes of x and h */
    uint64_t threshold_bits;    /* h threshold, fp32 bits */
    uint64_t w, bias, table, u; /* eSELL W, fp16 bias (4 per word), U word-count table, eSELL U */
    uint64_t n_fuse;            /* N_grp for command 3 */
    uint64_t theta_x_bits, theta_h_bits; /* delta thresholds, fp32 bits, for command 7 */
    int64_t w_frac, u_frac;     /* fraction bits of fixed-point W and U, for command 8 */
};

/* elstm_desc.features: which optional commands each layer needs. */
#define ELSTM_FEATURE_DELTA 1ull        /* command 7: delta thresholds */
#define ELSTM_FEATURE_WEIGHT_SCALE 2ull /* command 8: fixed-point weight scales */

struct elstm_desc {
    uint64_t magic, version;
    uint64_t layers, sequences, steps;
    uint64_t flags;             /* command 5's rs2: 1 sequential, 2 no pruning, 4 delta */
    uint64_t features;          /* ELSTM_FEATURE_* */
    uint64_t layer_table;       /* address of `layers` struct elstm_layer_desc */
    uint64_t x_table;           /* address of `sequences` uint64_t: x of each sequence (steps x m, padded to words) */
    uint64_t h_table;           /* address of layers x sequences uint64_t: h of layer l, sequence s at [l*sequences+s] */
    /* The classifier on the last layer's h at the last step (workload.classifier; classes 0: none).
     * logits = W·h + bias over n = the last layer's hidden size. */
    uint64_t classes;
    uint64_t classifier_w;      /* address of classes x n fp32, row-major */
    uint64_t classifier_bias;   /* address of classes fp32 */
    uint64_t labels;            /* address of sequences int64: each sequence's label in [0, classes) */
    /* Written by the firmware (the classify program) for the platform to report. */
    uint64_t classified;        /* sequences it classified */
    uint64_t correct;           /* of those, how many argmaxes equal the label */
    uint64_t classifier_cycles; /* core cycles (mcycle) the classification took, summed over the sequences */
};

#endif
