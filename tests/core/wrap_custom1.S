// A custom-1 instruction: no accelerator sits there.
    .option norvc
    .text
    .globl _start
_start:
    .insn r CUSTOM_1, 3, 5, zero, a1, a2
    j .
