// Compressed encodings only: reserved ones raise illegal instruction (mtval = the 16 bits),
// hints execute as nops, c.ebreak is a plain breakpoint even inside the semihosting sequence.
#include "rvtest.h"
    TEST_BEGIN
    INSTALL_HANDLER
    li a0, 7
r_zero:    .half 0x0000     // the all-zero halfword (c.addi4spn with immediate 0)
r_addi4spn: .half 0x0004    // c.addi4spn a1, sp, 0
r_fld:     .half 0x2000     // c.fld: no D
r_q0_100:  .half 0x8000     // quadrant 0, funct3 100
r_fsd:     .half 0xa000
r_addiw:   .half 0x2001     // c.addiw with rd x0
r_addi16sp: .half 0x6101    // c.addi16sp with immediate 0
r_lui:     .half 0x6501     // c.lui a0 with immediate 0
r_subw_10: .half 0x9c41     // the reserved funct2 values after c.subw/c.addw
r_subw_11: .half 0x9c61
r_fldsp:   .half 0x2002
r_lwsp:    .half 0x4002     // c.lwsp with rd x0
r_ldsp:    .half 0x6002     // c.ldsp with rd x0
r_jr:      .half 0x8002     // c.jr x0
r_fsdsp:   .half 0xa002
    // hints: c.addi x0, c.li x0, c.lui x0, c.mv x0, c.add x0, c.slli x0
    .half 0x0005, 0x4005, 0x6005, 0x802a, 0x902a, 0x0006
    SIG a0                  // still 7
    .word 0x01f01013        // slli x0, x0, 0x1f
r_cebreak:
    c.ebreak
    c.nop
    .word 0x40705013        // srai x0, x0, 7
    TEST_END
    TRAP_HANDLER
