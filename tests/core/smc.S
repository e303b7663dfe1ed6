// Self-modifying code: the program rewrites instructions it has already run (and so the ISS
// has decoded) and runs them again, with and without fence.i; 32-bit and compressed, a
// compressed pair turned into one 32-bit instruction and back, the instruction right after the
// store, and a 32-bit instruction straddling a page boundary whose upper half alone changes.
// The compressed parcels are written as .half, so both builds hold the same code.
#include "rvtest.h"

#define ADDI_A0(imm) (((imm) << 20) | 0x513)   // addi a0, zero, imm
#define C_LI_A0(imm) (0x4501 | ((imm) << 2))   // c.li a0, imm (0..31)
#define C_LI_A1(imm) (0x4581 | ((imm) << 2))   // c.li a1, imm (0..31)

    TEST_BEGIN
    // 32-bit: run, patch, run without fence.i, patch, run after fence.i.
    la s2, patch32
    call patch32
    SIG a0
    li t0, ADDI_A0(2)
    sw t0, 0(s2)
    call patch32
    SIG a0
    li t0, ADDI_A0(3)
    sw t0, 0(s2)
    fence.i
    call patch32
    SIG a0

    // Compressed: the first parcel, then the second one alone.
    la s2, patch16
    call patch16
    SIG a0
    SIG a1
    li t0, C_LI_A0(4)
    sh t0, 0(s2)
    call patch16
    SIG a0
    SIG a1
    li t0, C_LI_A1(5)
    sh t0, 2(s2)
    call patch16
    SIG a0
    SIG a1

    // The two compressed parcels become one 32-bit instruction, then compressed again.
    li t0, ADDI_A0(6)
    sw t0, 0(s2)
    li a1, 0
    call patch16
    SIG a0
    SIG a1
    li t0, C_LI_A0(7)
    sh t0, 0(s2)
    li t0, C_LI_A1(8)
    sh t0, 2(s2)
    fence.i
    call patch16
    SIG a0
    SIG a1

    // The store rewrites the very next instruction, twice in a loop (the second time it has run).
    li s3, 10
    li s4, 12
    la s2, next
1:  li t0, 0x513
    slli t1, s3, 20
    or t0, t0, t1
    sw t0, 0(s2)
    .option push
    .option norvc
next:
    addi a0, zero, 1
    .option pop
    SIG a0
    addi s3, s3, 1
    bne s3, s4, 1b

    // A 32-bit instruction across the page boundary: its upper half (the immediate) changes.
    la s2, straddle
    call straddle_fn
    SIG a0
    li t0, 9 << 4
    sh t0, 2(s2)
    call straddle_fn
    SIG a0
    TEST_END

    .option push
    .option norvc
patch32:
    addi a0, zero, 1
    ret
    .option pop

    .balign 4
patch16:
    .half C_LI_A0(1)
    .half C_LI_A1(1)
    .half 0x8082        // c.jr ra
    .half 0x0001        // c.nop (padding)

    .balign 4096
    .skip 4096 - 8
straddle_fn:
    .half 0x0001        // c.nop
    .half 0x0001        // c.nop
    .half 0x0001        // c.nop: the next instruction starts 2 bytes before the page boundary
straddle:
    .option push
    .option norvc
    addi a0, zero, 1
    ret
    .option pop
