// Conditional branches (taken and not taken, forwards and backwards), JAL and JALR.
#include "rvtest.h"

// Signature: 1 when the branch is taken.
.macro BR op, r1, r2
    li t0, 1
    \op \r1, \r2, 1f
    li t0, 0
1:  SIG t0
.endm

    TEST_BEGIN
    li a0, -1
    li a1, 1
    li a2, 1
    BR beq, a1, a2
    BR beq, a0, a1
    BR bne, a1, a2
    BR bne, a0, a1
    BR blt, a0, a1
    BR blt, a1, a0
    BR blt, a1, a2
    BR bge, a1, a0
    BR bge, a1, a2
    BR bge, a0, a1
    BR bltu, a1, a0
    BR bltu, a0, a1
    BR bltu, a1, a2
    BR bgeu, a0, a1
    BR bgeu, a1, a0
    BR bgeu, a1, a2

    // backwards: 10 + 9 + ... + 1
    li a3, 10
    li a4, 0
loop:
    add a4, a4, a3
    addi a3, a3, -1
    bnez a3, loop
    SIG a4

    // a long branch over 2 KiB
    li t0, 1
    beq a1, a2, far
    li t0, 0
far_back:
    SIG t0

    jal ra, f1
after_jal:
    la t1, f2
    addi t1, t1, -3
    jalr ra, 3(t1)          // f2 - 3 + 3: bit 0 is clear anyway
after_jalr:
    la t1, f2
    addi t1, t1, 1
    jalr ra, 0(t1)          // f2 + 1: JALR clears bit 0
after_jalr_odd:
    la t1, f3
    jalr t1, 0(t1)          // rd = rs1: the target is taken before the link is written
after_jalr_same:
    jal zero, skip
    li t0, 99               // skipped
    SIG t0
skip:
    jal x0, fwd
back:
    li t0, 7
    SIG t0
    j done

f1: SIG ra
    ret
f2: SIG ra
    ret
f3: SIG t1
    jr t1
fwd:
    j back
done:
    TEST_END

    .fill 600, 4, 0x00000013     // nops: 2.4 KiB
far:
    j far_back
