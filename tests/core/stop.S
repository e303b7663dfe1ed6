// The instructions the ISS hands to its wrapper: custom-0..3 (RoCC commands) and the
// semihosting sequence; then an exception with no handler.
#include "rvtest.h"
    TEST_BEGIN
    li a0, 11
    li a1, 22
custom0:
    .insn r CUSTOM_0, 7, 5, a2, a0, a1      // xd, xs1, xs2; funct7 5
    SIG a2                  // what the wrapper wrote
custom3:
    .insn r CUSTOM_3, 2, 0x7f, zero, a0, zero
custom1:
    .insn r CUSTOM_1, 0, 1, zero, zero, zero
custom2:
    .insn r CUSTOM_2, 1, 0, zero, zero, a1
    li a0, 0x18
    li a1, 0x1234
    .option push
    .option norvc
    slli zero, zero, 0x1f
semihost:
    ebreak
    srai zero, zero, 7
    .option pop
    SIG a0                  // the wrapper's result
rocc_unknown:
    .insn r CUSTOM_0, 3, 9, zero, a0, a1    // the wrapper raises illegal instruction
    TEST_END

    .globl unhandled
unhandled:                  // entered with reset(): no trap handler
    li a0, 1
bad:
    .word 0x00007003

    .globl handled
handled:                    // entered with reset(): the wrapper's raise() reaches the handler
    li s10, LOG_BASE
    INSTALL_HANDLER
rocc_handled:
    .insn r CUSTOM_0, 3, 9, zero, a0, a1
    csrw mtvec, zero
handled_end:
    ebreak
    TRAP_HANDLER
