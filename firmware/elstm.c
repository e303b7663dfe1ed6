/* The host program of the E-LSTM system: for every sequence and layer it hands the co-processor
 * the layer's RoCC commands (elstm_run_layer in elstm_fw.h) and prints the cycles each layer
 * took. The workload comes from the platform's descriptor. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

#include "elstm_desc.h"
#include "elstm_fw.h"

int main(void) {
    const struct elstm_desc *d = elstm_desc_open("elstm");
    if (!d) return ELSTM_EXIT_BAD_DESC;

    uint64_t total = 0;
    for (uint64_t s = 0; s < d->sequences; ++s) {
        for (uint64_t l = 0; l < d->layers; ++l) {
            const uint64_t cycles = elstm_run_layer(d, l, s);
            printf("layer %" PRIu64 " seq %" PRIu64 ": %" PRIu64 " cycles\n", l + 1, s, cycles);
            total += cycles;
        }
    }
    printf("total: %" PRIu64 " cycles\n", total);
    return 0;
}
