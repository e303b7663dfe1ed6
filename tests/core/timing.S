// Every timing class, counted by hand in iss_test.cpp (Timing).
#include "rvtest.h"
    .text
    .globl _start
_start:
    addi a0, zero, 3        // alu
    la a1, data             // alu, alu
    ld a2, 0(a1)            // load
    sd a2, 8(a1)            // store
    mul a3, a0, a0          // mul
    mulw a3, a3, a0         // mul
    divu a3, a3, a0         // div
    remw a3, a3, a0         // div
loop:
    addi a0, a0, -1         // alu x3
    bnez a0, loop           // taken x2, not taken x1
    jal ra, func            // jump
    csrr a4, mscratch       // csr
    fence                   // system
    lr.d a5, (a1)           // load
    sc.d a5, a2, (a1)       // store
    amoadd.d a5, a2, (a1)   // load
    wfi                     // system
end:
    ebreak                  // no handler: stops, does not retire
func:
    ret                     // jump
    .balign 8
data:
    .dword 5, 0
