/* Helpers shared by the host programs (elstm.c, lstm_cpu.c). */
#ifndef ELSTM_FW_H
#define ELSTM_FW_H

#include <stdint.h>
#include <stdio.h>

#include "elstm_desc.h"

/* Exit code of a program that finds no usable descriptor. */
#define ELSTM_EXIT_BAD_DESC 3

/* The platform's descriptor, or NULL (after saying why) when its magic or version is wrong:
 * the ELF then does not fit the platform that loaded it. */
static inline const struct elstm_desc *elstm_desc_open(const char *program) {
    const struct elstm_desc *d = (const struct elstm_desc *)(uintptr_t)ELSTM_DESC_ADDR;
    if (d->magic != ELSTM_DESC_MAGIC || d->version != ELSTM_DESC_VERSION) {
        printf("%s: no workload descriptor at 0x%llx (magic 0x%llx, version %llu; expected 0x%llx, version %d)\n",
               program, ELSTM_DESC_ADDR, (unsigned long long)d->magic, (unsigned long long)d->version,
               ELSTM_DESC_MAGIC, ELSTM_DESC_VERSION);
        return NULL;
    }
    return d;
}

static inline const struct elstm_layer_desc *elstm_layers(const struct elstm_desc *d) {
    return (const struct elstm_layer_desc *)(uintptr_t)d->layer_table;
}

/* x of layer `layer` (0-based) for sequence `seq`: the input for the first layer, else the h of
 * the layer below, which has the same padded layout. */
static inline uint64_t elstm_x_addr(const struct elstm_desc *d, uint64_t layer, uint64_t seq) {
    if (layer == 0) return ((const uint64_t *)(uintptr_t)d->x_table)[seq];
    return ((const uint64_t *)(uintptr_t)d->h_table)[(layer - 1) * d->sequences + seq];
}

static inline uint64_t elstm_h_addr(const struct elstm_desc *d, uint64_t layer, uint64_t seq) {
    return ((const uint64_t *)(uintptr_t)d->h_table)[layer * d->sequences + seq];
}

#endif
