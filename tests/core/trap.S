// Exceptions: ecall, ebreak, misaligned and faulting loads, stores and AMOs, fetch faults,
// illegal instructions; mstatus across trap entry and mret.
#include "rvtest.h"
    TEST_BEGIN
    INSTALL_HANDLER
    csrsi mstatus, 8        // MIE = 1
t_ecall:
    ecall                   // in the handler: MPIE = 1, MIE = 0
    csrr a0, mstatus        // mret: MIE = MPIE = 1, MPIE = 1
    SIG a0
    csrci mstatus, 8
t_ebreak:
    ebreak                  // in the handler: MPIE = 0
    csrr a0, mstatus        // after mret: MIE = 0, MPIE = 1
    SIG a0

    li a1, SCRATCH
    li a0, 42
t_ld:
    ld a0, 1(a1)
t_lw:
    lw a0, 2(a1)
t_lhu:
    lhu a0, 3(a1)
    lb a2, 3(a1)            // bytes are always aligned
t_sd:
    sd a0, 4(a1)
t_sw:
    sw a0, 6(a1)
t_sh:
    sh a0, 1(a1)
    addi a3, a1, 2
t_amo:
    amoadd.w a0, a2, (a3)
t_lr:
    lr.d a0, (a3)
t_sc:
    sc.w a0, a2, (a3)
    li a4, UNMAPPED
t_ld_fault:
    ld a0, 0(a4)
t_sd_fault:
    sd a0, 8(a4)
t_amo_fault:
    amoswap.d a0, a2, (a4)
t_fetch:
    jalr ra, 0(a4)
t_fetch_back:
    SIG a0                  // 42: no trapping instruction wrote it
t_ill_load:
    .word 0x00007003        // load with funct3 7
t_ill_slli:
    .word 0x40051513        // slli with funct6 010000
t_ill_sret:
    sret
t_ill_ones:
    .word 0xffffffff
t_ill_amo:
    .word 0x0005b52f | (0x1e << 27)  // AMO funct5 11110
t_ill_mulh_w:
    .word 0x02b5153b        // mulhw does not exist
    wfi                     // no interrupts: a nop
    fence
    fence.i
    TEST_END
    TRAP_HANDLER
