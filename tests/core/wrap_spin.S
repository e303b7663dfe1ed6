// Spins forever at the entry point (a compressed c.j, 0xa001).
    .text
    .globl _start
_start:
    c.j _start
