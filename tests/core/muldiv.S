// M: multiplication, division and remainder, the W forms, division by zero and overflow.
#include "rvtest.h"
    TEST_BEGIN
    li a0, -6
    li a1, 4
    li a2, 0x123456789abcdef0
    li a3, 0xfedcba9876543210
    li a4, -1
    li a5, 0x8000000000000000
    li s2, -7
    li s3, 2

    mul t0, a0, a1
    SIG t0
    mulh t0, a0, a1
    SIG t0
    mulhu t0, a0, a1
    SIG t0
    mulhsu t0, a0, a1
    SIG t0
    mul t0, a2, a3
    SIG t0
    mulh t0, a2, a3
    SIG t0
    mulhu t0, a2, a3
    SIG t0
    mulhsu t0, a3, a2
    SIG t0
    mulhsu t0, a4, a4
    SIG t0
    mulhu t0, a4, a4
    SIG t0
    mulh t0, a5, a5
    SIG t0

    div t0, s2, s3
    SIG t0
    rem t0, s2, s3
    SIG t0
    divu t0, s2, s3
    SIG t0
    remu t0, s2, s3
    SIG t0
    div t0, a2, a0
    SIG t0
    rem t0, a2, a0
    SIG t0
    div t0, s2, zero        // by zero
    SIG t0
    divu t0, s2, zero
    SIG t0
    rem t0, s2, zero
    SIG t0
    remu t0, s2, zero
    SIG t0
    div t0, a5, a4          // overflow
    SIG t0
    rem t0, a5, a4
    SIG t0

    li s4, 0x12345678fffffff9   // low word -7
    li s5, 0x7fffffff
    li s6, 0xffffffff80000000
    mulw t0, s5, s3
    SIG t0
    mulw t0, s4, s4
    SIG t0
    divw t0, s4, s3
    SIG t0
    divuw t0, s4, s3
    SIG t0
    remw t0, s4, s3
    SIG t0
    remuw t0, s4, s3
    SIG t0
    divw t0, s4, zero
    SIG t0
    divuw t0, s4, zero
    SIG t0
    remw t0, s4, zero
    SIG t0
    remuw t0, s6, zero
    SIG t0
    divw t0, s6, a4         // overflow
    SIG t0
    remw t0, s6, a4
    SIG t0
    TEST_END
