// Every RV64C instruction, written as the base instruction it stands for: with C the
// assembler emits the compressed form, without C the 32-bit one; the results must agree.
#include "rvtest.h"
    TEST_BEGIN
    li sp, SCRATCH + 0x100
    addi s0, sp, 16         // c.addi4spn
    SIG s0
    addi a5, sp, 1020       // c.addi4spn, largest immediate
    SIG a5

    li a0, 0x0123456789abcdef
    sd zero, 16(s0)
    sd a0, 8(s0)            // c.sd
    ld a1, 8(s0)            // c.ld
    SIG a1
    lw a2, 12(s0)           // c.lw (sign-extends 0x01234567)
    SIG a2
    lw a2, 8(s0)            // c.lw (sign-extends 0x89abcdef)
    SIG a2
    sw a2, 16(s0)           // c.sw
    ld a3, 16(s0)
    SIG a3
    sd a0, 248(s0)          // c.sd/c.ld, largest offset
    ld a4, 248(s0)
    SIG a4
    sw a0, 124(s0)          // c.sw/c.lw, largest offset
    lw a4, 124(s0)
    SIG a4

    li a0, 100              // c.li
    addi a0, a0, -32        // c.addi
    SIG a0
    addi a0, a0, 31
    SIG a0
    li a1, -32              // c.li, smallest
    SIG a1
    li a1, 31
    SIG a1
    li a2, 0x7fffffff
    addiw a2, a2, 1         // c.addiw: wraps to 0x80000000, sign-extended
    SIG a2
    addiw a2, a2, -1
    SIG a2
    lui a3, 0x1f            // c.lui
    SIG a3
    lui a3, 0xfffe0         // c.lui, negative
    SIG a3
    lui a3, 0x1             // c.lui
    SIG a3
    addi sp, sp, -512       // c.addi16sp
    SIG sp
    addi sp, sp, 496
    SIG sp
    addi sp, sp, 16
    nop                     // c.nop

    li a0, 0x0123456789abcdef
    mv a1, a0               // c.mv
    slli a1, a1, 4          // c.slli
    SIG a1
    slli a1, a1, 59
    SIG a1
    mv a2, a0
    srli a2, a2, 36         // c.srli
    SIG a2
    li a2, -256
    srai a2, a2, 4          // c.srai
    SIG a2
    srli a2, a2, 63
    SIG a2
    li a3, 0xfff0
    andi a3, a3, -17        // c.andi
    SIG a3
    andi a3, a3, 0x1f
    SIG a3

    li a0, 0x00000000f0000000
    li a1, 0x0000000020000000
    mv a2, a0
    add a2, a2, a1          // c.add
    SIG a2
    mv a2, a0
    sub a2, a2, a1          // c.sub
    SIG a2
    mv a2, a0
    xor a2, a2, a1          // c.xor
    SIG a2
    mv a2, a0
    or a2, a2, a1           // c.or
    SIG a2
    mv a2, a0
    and a2, a2, a0          // c.and
    SIG a2
    mv a2, a0
    addw a2, a2, a1         // c.addw: 0x110000000 truncated to 0x10000000
    SIG a2
    mv a2, a1
    subw a2, a2, a0         // c.subw: 0x30000000
    SIG a2
    mv a2, a0
    addw a2, a2, zero       // sext.w (32-bit in both builds)
    SIG a2

    li a0, 0x1122334455667788
    sd a0, 8(sp)            // c.sdsp
    ld a1, 8(sp)            // c.ldsp
    SIG a1
    sw a0, 4(sp)            // c.swsp
    lw a1, 4(sp)            // c.lwsp
    SIG a1
    sd a0, 504(sp)          // c.sdsp/c.ldsp, largest offset
    ld a1, 504(sp)
    SIG a1
    sw a0, 252(sp)          // c.swsp/c.lwsp, largest offset
    lw a1, 252(sp)
    SIG a1

    li s0, 0                // c.beqz/c.bnez, taken and not
    li a0, 0
    beqz s0, 1f
    addi a0, a0, 1
1:  bnez s0, 2f
    addi a0, a0, 2
2:  li s0, 5
    beqz s0, 3f
    addi a0, a0, 4
3:  bnez s0, 4f
    addi a0, a0, 8
4:  SIG a0                  // 6

    la a4, func
    jalr a4                 // c.jalr
c_jalr_ret:
    SIG ra
    j 5f                    // c.j
    li a0, 99
    SIG a0
5:  la a4, 6f
    jr a4                   // c.jr
    li a0, 98
    SIG a0
6:  TEST_END

func:
    addi a0, zero, 17
    SIG a0
    ret                     // c.jr ra
