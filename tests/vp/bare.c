/* A bare program for `workload: none` (vp.bare, vp.gdb): counts in a variable GDB watches,
 * hands the accelerator a RoCC command whose operands it wrote to memory first, asks how many
 * layers completed (none: there are no weights) and exits with EXIT_CODE. */
#include <stdint.h>

volatile uint64_t counter;
volatile uint64_t command[2]; /* m and n of RoCC command 0, as the firmware writes them */

int main(void) {
    for (uint64_t i = 1; i <= 3; ++i) counter = counter + 10 * i;
    command[0] = 16;
    command[1] = 8;
    const uint64_t m = command[0], n = command[1];
    __asm__ volatile(".insn r CUSTOM_0, 3, 0, x0, %0, %1" ::"r"(m), "r"(n) : "memory");
    uint64_t completed;
    __asm__ volatile(".insn r CUSTOM_0, 4, 6, %0, x0, x0" : "=r"(completed) : : "memory");
    return (int)completed + EXIT_CODE;
}
