// Shared by the ISS test programs (.S) and their harness (iss_test.cpp): the memory map and,
// for the programs, the conventions below.
#ifndef ELSTM_TESTS_CORE_RVTEST_H
#define ELSTM_TESTS_CORE_RVTEST_H

#define RAM_BASE 0x80000000  // program at RAM_BASE; the direct window (or the Bus) covers the RAM
#define RAM_SIZE 0x10000
#define SIG_BASE 0x80008000  // the signature: one doubleword per SIG, in order
#define LOG_BASE 0x80009000  // the trap log: mcause, mtval, mepc, mstatus per trap
#define SCRATCH 0x8000a000   // data the programs load and store
#define DEV_BASE 0x10000000  // memory reached through the Bus only
#define DEV_SIZE 0x100
#define UNMAPPED 0x20000000  // nothing there: access faults

#ifdef __ASSEMBLER__
// Registers: s1 points at the next signature slot, s10 at the next trap-log entry; t5 and t6
// belong to the trap handler.
.macro TEST_BEGIN
    .text
    .globl _start
_start:
    li s1, SIG_BASE
    li s10, LOG_BASE
.endm

.macro SIG reg
    sd \reg, 0(s1)
    addi s1, s1, 8
.endm

// The end: with mtvec 0 the ebreak stops the ISS (StopReason::trap, breakpoint) at `end`.
.macro TEST_END
    csrw mtvec, zero
end:
    ebreak
.endm

.macro INSTALL_HANDLER
    la t6, trap_handler
    csrw mtvec, t6
.endm

// Logs the trap and resumes after the trapping instruction (2 or 4 bytes long); after an
// instruction access fault it resumes at ra (the tests get there with jalr ra).
.macro TRAP_HANDLER
    .balign 4
trap_handler:
    csrr t6, mcause
    sd t6, 0(s10)
    csrr t6, mtval
    sd t6, 8(s10)
    csrr t6, mstatus
    sd t6, 24(s10)
    csrr t6, mepc
    sd t6, 16(s10)
    addi s10, s10, 32
    csrr t5, mcause
    addi t5, t5, -1
    beqz t5, 2f
    lhu t5, 0(t6)
    andi t5, t5, 3
    addi t5, t5, -3
    addi t6, t6, 2
    bnez t5, 1f
    addi t6, t6, 2
1:  csrw mepc, t6
    mret
2:  csrw mepc, ra
    mret
.endm
#endif

#endif
