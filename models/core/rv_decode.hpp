#pragma once
#include <cstdint>

// The ISS's decoder: an instruction's bits become an operation and its operands once, and the
// interpreter (rv_iss.cpp) caches the result. Decoding depends on the bits alone, never on the
// pc, so a cached entry is valid wherever memory holds the same bits.
namespace elstm::rv {

// Every operation the interpreter dispatches on, in the order of its handler table. block_end
// is no instruction: it follows the last instruction of a block.
#define ELSTM_RV_OPS(X)                                                                                        \
    X(illegal) X(lb) X(lh) X(lw) X(ld) X(lbu) X(lhu) X(lwu) X(fence) X(addi) X(slli) X(slti) X(sltiu) X(xori) \
    X(srli) X(srai) X(ori) X(andi) X(auipc) X(addiw) X(slliw) X(srliw) X(sraiw) X(sb) X(sh) X(sw) X(sd)      \
    X(amo_w) X(amo_d) X(add) X(sub) X(sll) X(slt) X(sltu) X(xor_) X(srl) X(sra) X(or_) X(and_) X(mul)       \
    X(mulh) X(mulhsu) X(mulhu) X(div) X(divu) X(rem) X(remu) X(lui) X(addw) X(subw) X(sllw) X(srlw) X(sraw) \
    X(mulw) X(divw) X(divuw) X(remw) X(remuw) X(beq) X(bne) X(blt) X(bge) X(bltu) X(bgeu) X(jalr) X(jal)    \
    X(ecall) X(ebreak) X(mret) X(wfi) X(csr) X(custom) X(block_end)

enum class Op : std::uint8_t {
#define ELSTM_RV_OP_ENUM(name) name,
    ELSTM_RV_OPS(ELSTM_RV_OP_ENUM)
#undef ELSTM_RV_OP_ENUM
        count
};

// Instructions that write x0 write this register instead, so no handler has to keep x0 zero.
constexpr unsigned kSinkRegister = 32;

// Trivial (no member initializers), so the interpreter's block storage costs nothing until used.
struct Decoded {
    std::uint32_t word;  // the 32 bits at the pc it was decoded from (for a compressed one, the next parcel too)
    std::int32_t imm;    // sign-extended immediate; the shift amount for shifts; U-type already shifted
    Op op;
    std::uint8_t rd, rs1, rs2;  // rd is kSinkRegister for x0
    std::uint8_t len;   // bytes: 2 (compressed) or 4
    std::uint8_t boff;  // in a block: its bytes from the block's first instruction

    // The instruction as the ISA shows it (mtval of an illegal instruction, a stop's insn).
    std::uint32_t insn() const { return len == 2 ? word & 0xffff : word; }
};

// `word` holds the instruction in its low 16 bits (compressed) or all 32.
Decoded decode(std::uint32_t word);

// Straight-line code: up to kMaxInsns instructions from `start`, ending with the first that may
// change the pc other than to the next instruction (branch, jump, trap, system, custom), then a
// block_end whose imm is the block's length in bytes.
struct DecodedBlock {
    static constexpr unsigned kMaxInsns = 16;
    std::uint32_t n;  // instructions (block_end not counted)
    Decoded insn[kMaxInsns + 1];
};

// Decodes the block at offset `start` of `window`, reading only below offset `span` + 3.
void decode_block(DecodedBlock& block, const std::uint8_t* window, std::uint64_t start, std::uint64_t span);
// The block of the one instruction `d` (its block_end checks the same word at the same place).
void single_block(DecodedBlock& block, const Decoded& d);

// The 32-bit instruction a compressed one stands for; 0 for a reserved or unsupported encoding.
std::uint32_t expand_compressed(std::uint32_t c);

inline unsigned rd_of(std::uint32_t i) { return (i >> 7) & 31; }
inline unsigned rs1_of(std::uint32_t i) { return (i >> 15) & 31; }
inline unsigned rs2_of(std::uint32_t i) { return (i >> 20) & 31; }
inline unsigned funct3_of(std::uint32_t i) { return (i >> 12) & 7; }

}  // namespace elstm::rv
