# Bare-metal RISC-V binaries for the ISS tests and benchmark, built with Debian's cross
# toolchain (scripts/setup installs gcc-riscv64-unknown-elf).
include_guard(GLOBAL)

find_program(RISCV_GCC riscv64-unknown-elf-gcc)
find_program(RISCV_OBJCOPY riscv64-unknown-elf-objcopy)
find_program(RISCV_NM riscv64-unknown-elf-nm)
if(NOT RISCV_GCC OR NOT RISCV_OBJCOPY OR NOT RISCV_NM)
  message(FATAL_ERROR "riscv64-unknown-elf-gcc/objcopy/nm not found: install gcc-riscv64-unknown-elf "
                      "(scripts/setup does) or put the toolchain on PATH.")
endif()

# elstm_riscv_binary(<name> SOURCE <file> MARCH <isa> [FLAGS <gcc flags>...] [LIBS <libs>...]
#                    [DEPENDS <files>...])
# Links <name>.elf at 0x80000000 without a C library and produces, in the current binary
# directory, <name>.bin (raw image of the program) and <name>.sym (`nm` symbol table, so
# tests can find labels). Appends <name>.bin and <name>.sym to the list ELSTM_RISCV_OUTPUTS.
function(elstm_riscv_binary name)
  cmake_parse_arguments(arg "" "SOURCE;MARCH" "FLAGS;LIBS;DEPENDS" ${ARGN})
  set(elf ${CMAKE_CURRENT_BINARY_DIR}/${name}.elf)
  set(bin ${CMAKE_CURRENT_BINARY_DIR}/${name}.bin)
  set(sym ${CMAKE_CURRENT_BINARY_DIR}/${name}.sym)
  add_custom_command(
    OUTPUT ${bin} ${sym}
    COMMAND ${RISCV_GCC} -march=${arg_MARCH} -mabi=lp64 -nostdlib -nostartfiles -Ttext=0x80000000
            ${arg_FLAGS} -o ${elf} ${arg_SOURCE} ${arg_LIBS}
    COMMAND ${RISCV_OBJCOPY} -O binary ${elf} ${bin}
    COMMAND ${RISCV_NM} ${elf} > ${sym}
    DEPENDS ${arg_SOURCE} ${arg_DEPENDS}
    COMMENT "RISC-V ${name}"
    VERBATIM)
  set(ELSTM_RISCV_OUTPUTS ${ELSTM_RISCV_OUTPUTS} ${bin} ${sym} PARENT_SCOPE)
endfunction()
