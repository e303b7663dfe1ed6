// Loads and stores of every width, signed and unsigned, in the direct window and behind the Bus.
#include "rvtest.h"
    TEST_BEGIN
    li a1, SCRATCH
    li a0, 0xf1e2d3c4b5a69788
    sd a0, 0(a1)
    lb a2, 0(a1)
    SIG a2
    lbu a2, 0(a1)
    SIG a2
    lb a2, 1(a1)
    SIG a2
    lb a2, 7(a1)
    SIG a2
    lbu a2, 7(a1)
    SIG a2
    lh a2, 0(a1)
    SIG a2
    lhu a2, 0(a1)
    SIG a2
    lh a2, 6(a1)
    SIG a2
    lhu a2, 2(a1)
    SIG a2
    lw a2, 0(a1)
    SIG a2
    lwu a2, 0(a1)
    SIG a2
    lw a2, 4(a1)
    SIG a2
    lwu a2, 4(a1)
    SIG a2
    ld a2, 0(a1)
    SIG a2

    sd zero, 8(a1)
    li a3, 0x0102030405060708
    sb a3, 8(a1)
    sh a3, 10(a1)
    sw a3, 12(a1)
    ld a2, 8(a1)
    SIG a2
    addi a4, a1, 24
    sd a3, -8(a4)           // negative offsets
    sb a0, -6(a4)
    ld a2, -8(a4)
    SIG a2
    lw zero, 0(a1)          // the load happens, x0 stays 0
    SIG zero
    li a5, 0x7f8
    add a5, a5, a1
    sd a3, 0(a5)
    ld a2, 2040(a1)         // large offsets, both signs
    SIG a2
    addi a5, a5, 8          // a1 + 2048
    ld a2, -2048(a5)
    SIG a2

    li a5, DEV_BASE         // behind the Bus
    sd a0, 0(a5)
    lw a2, 4(a5)
    SIG a2
    lbu a2, 7(a5)
    SIG a2
    sh a3, 2(a5)
    sb a3, 1(a5)
    sw a3, 8(a5)
    ld a2, 0(a5)
    SIG a2
    lwu a2, 8(a5)
    SIG a2
    lh a2, 6(a5)
    SIG a2
    TEST_END
