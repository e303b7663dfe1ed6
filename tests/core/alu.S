// RV64I integer computation: register and immediate forms, shifts, the W forms, LUI, AUIPC.
#include "rvtest.h"
    TEST_BEGIN
    li a0, 0x123456789abcdef0
    li a1, -7
    li a3, 36

    add a2, a0, a1
    SIG a2
    sub a2, a0, a1
    SIG a2
    sub a2, a1, a0
    SIG a2
    sll a2, a0, a1          // shift amount: the low 6 bits of -7 = 57
    SIG a2
    slt a2, a1, a0
    SIG a2
    slt a2, a0, a1
    SIG a2
    sltu a2, a1, a0
    SIG a2
    sltu a2, a0, a1
    SIG a2
    xor a2, a0, a1
    SIG a2
    srl a2, a0, a3
    SIG a2
    srl a2, a1, a1
    SIG a2
    sra a2, a1, a3
    SIG a2
    sra a2, a0, a3
    SIG a2
    or a2, a0, a1
    SIG a2
    and a2, a0, a1
    SIG a2

    addi a2, a0, -2048
    SIG a2
    addi a2, a0, 2047
    SIG a2
    slti a2, a1, -6
    SIG a2
    slti a2, a1, -8
    SIG a2
    sltiu a2, a1, -1
    SIG a2
    sltiu a2, a0, 5
    SIG a2
    xori a2, a0, -1
    SIG a2
    ori a2, a0, 0x70f
    SIG a2
    andi a2, a0, -256
    SIG a2
    andi a2, a0, 0x7ff
    SIG a2
    slli a2, a0, 63
    SIG a2
    slli a2, a0, 4
    SIG a2
    srli a2, a1, 60
    SIG a2
    srai a2, a1, 1
    SIG a2
    srai a2, a0, 36
    SIG a2
    slli a2, a0, 0
    SIG a2

    addw a2, a0, a1
    SIG a2
    subw a2, a0, a1
    SIG a2
    subw a2, a1, a0
    SIG a2
    sllw a2, a0, a3         // shift amount: the low 5 bits of 36 = 4
    SIG a2
    srlw a2, a0, a3
    SIG a2
    sraw a2, a0, a3
    SIG a2
    sraw a2, a1, a3
    SIG a2
    addiw a2, a0, 0x10
    SIG a2
    addiw a2, a1, 0         // sext.w
    SIG a2
    slliw a2, a0, 31
    SIG a2
    srliw a2, a0, 1
    SIG a2
    sraiw a2, a0, 3
    SIG a2
    srliw a2, a1, 0
    SIG a2

    lui a2, 0x80000
    SIG a2
    lui a2, 0x7ffff
    SIG a2
auipc_here:
    auipc a2, 0x1
    SIG a2
auipc_neg:
    auipc a2, 0xfffff
    SIG a2

    addi zero, a0, 5        // x0 stays 0
    SIG zero
    add zero, a0, a0
    SIG zero
    TEST_END
