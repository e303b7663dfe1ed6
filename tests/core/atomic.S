// A: the AMOs (both widths), LR/SC success and failure, the reservation cleared by SC and by traps.
#include "rvtest.h"
    TEST_BEGIN
    INSTALL_HANDLER
    li a1, SCRATCH
    li a0, 0x1122334455667788
    sd a0, 0(a1)
    li a2, 5
    amoadd.d a3, a2, (a1)
    SIG a3
    ld a4, 0(a1)
    SIG a4
    amoswap.d a3, a2, (a1)
    SIG a3
    li a2, 0x0c
    amoxor.d a3, a2, (a1)   // 5 ^ 0xc = 9
    SIG a3
    amoor.d a3, a2, (a1)    // 9 | 0xc = 0xd
    SIG a3
    li a2, 6
    amoand.d a3, a2, (a1)   // 0xd & 6 = 4
    SIG a3
    ld a4, 0(a1)
    SIG a4
    li a2, -3
    amomin.d a3, a2, (a1)   // min(4, -3) = -3
    SIG a3
    li a2, 2
    amomax.d a3, a2, (a1)   // max(-3, 2) = 2
    SIG a3
    li a2, -3
    amomaxu.d a3, a2, (a1)  // maxu(2, -3) = -3
    SIG a3
    li a2, 7
    amominu.d a3, a2, (a1)  // minu(-3, 7) = 7
    SIG a3
    amoadd.d zero, a2, (a1) // 7 + 7, rd x0
    SIG zero
    ld a4, 0(a1)
    SIG a4

    addi a5, a1, 16         // the W forms leave the other word alone
    li a0, 0x5555555580000000
    sd a0, 0(a5)
    li a2, 5
    amoadd.w a3, a2, (a5)
    SIG a3
    ld a4, 0(a5)
    SIG a4
    li a2, -1
    amomin.w a3, a2, (a5)   // min(0x80000005, -1) as int32: 0x80000005
    SIG a3
    amominu.w a3, a2, (a5)  // minu(0x80000005, 0xffffffff) = 0x80000005
    SIG a3
    amomax.w a3, a2, (a5)   // max(0x80000005, -1) = -1
    SIG a3
    li a2, 0x7fffffff
    amomaxu.w a3, a2, (a5)  // maxu(0xffffffff, 0x7fffffff) = 0xffffffff
    SIG a3
    amoswap.w a3, a2, (a5)
    SIG a3
    li a2, 0xf0f0f0f0
    amoand.w a3, a2, (a5)   // 0x7fffffff & 0xf0f0f0f0 = 0x70f0f0f0
    SIG a3
    amoor.w a3, a2, (a5)    // | 0xf0f0f0f0 = 0xf0f0f0f0
    SIG a3
    amoxor.w a3, a2, (a5)   // ^ 0xf0f0f0f0 = 0
    SIG a3
    ld a4, 0(a5)
    SIG a4

    // LR/SC
    lr.d a3, (a1)
    SIG a3
    addi a3, a3, 1
    sc.d a4, a3, (a1)       // succeeds
    SIG a4
    ld a4, 0(a1)
    SIG a4
    sc.d a4, a3, (a1)       // no reservation left
    SIG a4
    lr.w a3, (a5)
    addi a6, a5, 4
    sc.w a4, a2, (a6)       // another address: fails and clears the reservation
    SIG a4
    sc.w a4, a2, (a5)
    SIG a4
    lr.w a3, (a5)
    sc.w a4, a2, (a5)
    SIG a4
    lw a4, 0(a5)
    SIG a4
    lr.d a3, (a1)
    ecall                   // a trap clears the reservation
    sc.d a4, a3, (a1)
    SIG a4
    TEST_END
    TRAP_HANDLER
