// Zicsr: the CSR instructions and the machine-mode CSRs; read-only and unknown CSRs trap.
#include "rvtest.h"
    TEST_BEGIN
    INSTALL_HANDLER
    csrr a0, misa
    SIG a0
    csrr a0, mhartid
    SIG a0
    csrr a0, mvendorid
    SIG a0
    csrr a0, marchid
    SIG a0
    csrr a0, mimpid
    SIG a0
    csrr a0, mstatus
    SIG a0
    csrr a0, mtvec
    SIG a0

    li a0, 0x1234
    csrw mscratch, a0
    csrrw a1, mscratch, zero
    SIG a1
    csrr a1, mscratch
    SIG a1
    li a0, 0xf0
    csrw mscratch, a0
    li a0, 0x0f
    csrrs a1, mscratch, a0
    SIG a1
    li a0, 0x3c
    csrrc a1, mscratch, a0
    SIG a1
    csrrwi a1, mscratch, 0x1f
    SIG a1
    csrrci a1, mscratch, 0x5
    SIG a1
    csrrsi a1, mscratch, 0x4
    SIG a1
    csrr a1, mscratch
    SIG a1

    li a0, -1               // WARL fields keep their legal values
    csrw mstatus, a0
    csrr a1, mstatus
    SIG a1
    csrw mstatus, zero
    csrr a1, mstatus
    SIG a1
    li a0, 0x80000003
    csrw mepc, a0
    csrr a1, mepc
    SIG a1
    li a0, -1
    csrw mie, a0
    csrr a1, mie
    SIG a1
    csrw mip, a0
    csrr a1, mip
    SIG a1
    csrw misa, zero
    csrr a1, misa
    SIG a1
    csrw mcause, a0
    csrr a1, mcause
    SIG a1
    li a0, 0xabc
    csrw mtval, a0
    csrr a1, mtval
    SIG a1
    csrr a1, mcounteren
    SIG a1
    csrr a1, mcountinhibit
    SIG a1
    csrr a1, mhpmcounter3
    SIG a1

    // counters (default CPI: csr 1, alu 1)
    csrr a0, minstret
    csrr a1, minstret
    sub a2, a1, a0
    SIG a2
    csrr a0, instret
    nop
    nop
    csrr a1, instret
    sub a2, a1, a0
    SIG a2
    csrr a0, mcycle
    addi zero, zero, 0
    csrr a1, mcycle
    sub a2, a1, a0
    SIG a2
    rdcycle a0
    rdtime a1
    sub a2, a1, a0
    SIG a2
    li a0, 1000
    csrw minstret, a0       // the next instruction reads what was written
    csrr a1, minstret
    SIG a1
    li a0, 5000
    csrw mcycle, a0
    csrr a1, mcycle
    SIG a1

    // no write, so no trap: csrrs/csrrc with x0 and the immediate forms with 0
    li a0, 3
    csrrs a1, mhartid, zero
    SIG a1
    csrrci a1, cycle, 0
    sltu a1, zero, a1
    SIG a1
csr_ro:
    csrw mhartid, a0
csr_ro_cycle:
    csrw cycle, a0
csr_ro_imm:
    csrrwi zero, mvendorid, 0   // csrrw always writes
csr_ro_set:
    csrrs zero, instret, a0
csr_unknown:
    csrr a0, 0x7c0
csr_sstatus:
    csrr a0, sstatus            // no S-mode
    SIG a0                      // unchanged by the traps: still 3
    TEST_END
    TRAP_HANDLER
