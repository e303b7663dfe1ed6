/* Firmware that runs the layers as elstm.c does but claims every sequence correctly classified
 * without classifying any: the platform's recount from the golden h must catch it
 * (vp.classify miscount). */
#include <stdint.h>

#include "elstm_desc.h"
#include "elstm_fw.h"

int main(void) {
    struct elstm_desc *d = (struct elstm_desc *)elstm_desc_open("miscount");
    if (!d) return ELSTM_EXIT_BAD_DESC;
    for (uint64_t s = 0; s < d->sequences; ++s)
        for (uint64_t l = 0; l < d->layers; ++l) elstm_run_layer(d, l, s);
    d->classified = d->sequences;
    d->correct = d->sequences;
    return 0;
}
