#include <elstm_vp/core/rv_decode.hpp>

#include <cstring>

namespace elstm::rv {
namespace {

// ---- Immediates (unsigned arithmetic throughout: wrap-around is the ISA's) ----

inline std::uint64_t sext32(std::uint64_t v) {
    return static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<std::int32_t>(v)));
}
inline std::uint64_t imm_i(std::uint32_t i) {
    return static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<std::int32_t>(i) >> 20));
}
inline std::uint64_t imm_s(std::uint32_t i) {
    return static_cast<std::uint64_t>(
               static_cast<std::int64_t>(static_cast<std::int32_t>(i & 0xfe000000u) >> 20)) |
           ((i >> 7) & 0x1f);
}
inline std::uint64_t imm_b(std::uint32_t i) {
    return static_cast<std::uint64_t>(
               static_cast<std::int64_t>(static_cast<std::int32_t>(i & 0x80000000u) >> 19)) |
           ((i << 4) & 0x800) | ((i >> 20) & 0x7e0) | ((i >> 7) & 0x1e);
}
inline std::uint64_t imm_u(std::uint32_t i) { return sext32(i & 0xfffff000u); }
inline std::uint64_t imm_j(std::uint32_t i) {
    return static_cast<std::uint64_t>(
               static_cast<std::int64_t>(static_cast<std::int32_t>(i & 0x80000000u) >> 11)) |
           (i & 0xff000) | ((i >> 9) & 0x800) | ((i >> 20) & 0x7fe);
}

// ---- Compressed instructions: each expands to the 32-bit instruction it stands for ----

constexpr std::uint32_t kOpImm = 0x13, kOpImm32 = 0x1b, kOp = 0x33, kOp32 = 0x3b, kLui = 0x37, kLoad = 0x03,
                        kStore = 0x23, kBranch = 0x63, kJal = 0x6f, kJalr = 0x67;
constexpr std::uint32_t kEbreak = 0x00100073;

std::uint32_t enc_i(std::uint32_t op, unsigned rd, unsigned f3, unsigned rs1, std::uint32_t imm) {
    return (imm << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
}
std::uint32_t enc_r(std::uint32_t op, unsigned rd, unsigned f3, unsigned rs1, unsigned rs2,
                    std::uint32_t f7) {
    return (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
}
std::uint32_t enc_s(unsigned f3, unsigned rs1, unsigned rs2, std::uint32_t imm) {
    return ((imm >> 5) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 31) << 7) | kStore;
}
std::uint32_t enc_b(unsigned f3, unsigned rs1, std::uint32_t imm) {
    return (((imm >> 12) & 1) << 31) | (((imm >> 5) & 0x3f) << 25) | (rs1 << 15) | (f3 << 12) |
           (((imm >> 1) & 0xf) << 8) | (((imm >> 11) & 1) << 7) | kBranch;
}
std::uint32_t enc_j(unsigned rd, std::uint32_t imm) {
    return (((imm >> 20) & 1) << 31) | (((imm >> 1) & 0x3ff) << 21) | (((imm >> 11) & 1) << 20) |
           (((imm >> 12) & 0xff) << 12) | (rd << 7) | kJal;
}

inline std::uint32_t cbit(std::uint32_t c, unsigned from, unsigned to) { return ((c >> from) & 1) << to; }
// A 6-bit signed immediate from bit 12 (sign) and bits 6:2, as the low 12 bits of an I-type immediate.
inline std::uint32_t c_imm6(std::uint32_t c) {
    return (((c >> 2) & 31) | ((c >> 7) & 32) | ((c & 0x1000) ? 0xfc0 : 0)) & 0xfff;
}

}  // namespace

// Returns 0 for a reserved or unsupported encoding (0 is no valid 32-bit instruction).
std::uint32_t expand_compressed(std::uint32_t c) {
    const unsigned rd = (c >> 7) & 31, rs2 = (c >> 2) & 31;
    const unsigned rdp = 8 + ((c >> 2) & 7), rs1p = 8 + ((c >> 7) & 7);  // the 3-bit register fields
    const std::uint32_t lw_off = ((c >> 7) & 0x38) | cbit(c, 6, 2) | cbit(c, 5, 6);
    const std::uint32_t ld_off = ((c >> 7) & 0x38) | ((c << 1) & 0xc0);
    // quadrant (bits 1:0) and funct3: cases 0-7 are quadrant 0, 8-15 quadrant 1, 16-23 quadrant 2
    switch (((c & 3) << 3) | (c >> 13)) {
        case 0: {  // c.addi4spn (a zero immediate, and so the all-zero halfword, is reserved)
            const std::uint32_t imm = ((c >> 7) & 0x30) | ((c >> 1) & 0x3c0) | cbit(c, 6, 2) | cbit(c, 5, 3);
            return imm ? enc_i(kOpImm, rdp, 0, 2, imm) : 0;
        }
        case 2: return enc_i(kLoad, rdp, 2, rs1p, lw_off);              // c.lw
        case 3: return enc_i(kLoad, rdp, 3, rs1p, ld_off);              // c.ld
        case 6: return enc_s(2, rs1p, rdp, lw_off);                     // c.sw
        case 7: return enc_s(3, rs1p, rdp, ld_off);                     // c.sd
        case 8: return enc_i(kOpImm, rd, 0, rd, c_imm6(c));             // c.addi, c.nop
        case 9: return rd ? enc_i(kOpImm32, rd, 0, rd, c_imm6(c)) : 0;  // c.addiw
        case 10: return enc_i(kOpImm, rd, 0, 0, c_imm6(c));             // c.li
        case 11: {
            if (rd == 2) {  // c.addi16sp
                const std::uint32_t imm = cbit(c, 6, 4) | cbit(c, 2, 5) | cbit(c, 5, 6) | ((c << 4) & 0x180) |
                                          ((c & 0x1000) ? 0xe00 : 0);
                return imm ? enc_i(kOpImm, 2, 0, 2, imm) : 0;
            }
            const std::uint32_t imm = c_imm6(c);  // c.lui: bits 17:12 of the upper immediate
            return imm ? ((imm & 0xfffff) << 12 | (imm & 0x800 ? 0xfffc0000u : 0)) | (rd << 7) | kLui : 0;
        }
        case 12: {
            const std::uint32_t shamt = ((c >> 2) & 31) | ((c >> 7) & 32);
            switch ((c >> 10) & 3) {
                case 0: return enc_i(kOpImm, rs1p, 5, rs1p, shamt);          // c.srli
                case 1: return enc_i(kOpImm, rs1p, 5, rs1p, 0x400 | shamt);  // c.srai
                case 2: return enc_i(kOpImm, rs1p, 7, rs1p, c_imm6(c));      // c.andi
                default: {
                    static constexpr std::uint8_t kF3[4] = {0, 4, 6, 7};  // sub, xor, or, and
                    const unsigned op = (c >> 5) & 3;
                    if (!(c & 0x1000)) return enc_r(kOp, rs1p, kF3[op], rs1p, rdp, op == 0 ? 0x20 : 0);
                    if (op >= 2) return 0;
                    return enc_r(kOp32, rs1p, 0, rs1p, rdp, op == 0 ? 0x20 : 0);  // c.subw, c.addw
                }
            }
        }
        case 13: {  // c.j
            const std::uint32_t imm = cbit(c, 12, 11) | cbit(c, 11, 4) | ((c >> 1) & 0x300) | cbit(c, 8, 10) |
                                      cbit(c, 7, 6) | cbit(c, 6, 7) | ((c >> 2) & 0xe) | cbit(c, 2, 5);
            return enc_j(0, (c & 0x1000) ? imm | 0xfffff000u : imm);
        }
        case 14:
        case 15: {  // c.beqz, c.bnez
            const std::uint32_t imm = ((c >> 7) & 0x18) | ((c << 1) & 0xc0) | ((c >> 2) & 6) | cbit(c, 2, 5);
            return enc_b((c >> 13) & 1, rs1p, (c & 0x1000) ? imm | 0xffffff00u : imm);
        }
        case 16: return enc_i(kOpImm, rd, 1, rd, ((c >> 2) & 31) | ((c >> 7) & 32));  // c.slli
        case 18: {                                                                    // c.lwsp
            const std::uint32_t off = ((c >> 2) & 0x1c) | ((c >> 7) & 0x20) | ((c << 4) & 0xc0);
            return rd ? enc_i(kLoad, rd, 2, 2, off) : 0;
        }
        case 19: {  // c.ldsp
            const std::uint32_t off = ((c >> 2) & 0x18) | ((c >> 7) & 0x20) | ((c << 4) & 0x1c0);
            return rd ? enc_i(kLoad, rd, 3, 2, off) : 0;
        }
        case 20:
            if (!(c & 0x1000)) {
                if (rs2) return enc_r(kOp, rd, 0, 0, rs2, 0);  // c.mv
                return rd ? enc_i(kJalr, 0, 0, rd, 0) : 0;     // c.jr
            }
            if (rs2) return enc_r(kOp, rd, 0, rd, rs2, 0);                         // c.add
            return rd ? enc_i(kJalr, 1, 0, rd, 0) : kEbreak;                       // c.jalr, c.ebreak
        case 22: return enc_s(2, 2, rs2, ((c >> 7) & 0x3c) | ((c >> 1) & 0xc0));   // c.swsp
        case 23: return enc_s(3, 2, rs2, ((c >> 7) & 0x38) | ((c >> 1) & 0x1c0));  // c.sdsp
        default: return 0;  // c.fld, c.fsd, c.fldsp, c.fsdsp (no D) and the reserved funct3 100 of quadrant 0
    }
}


namespace {

// The operation of each funct3 of the LOAD, STORE, OP (funct7 0 and 1) and BRANCH major opcodes.
constexpr Op kLoads[8] = {Op::lb, Op::lh, Op::lw, Op::ld, Op::lbu, Op::lhu, Op::lwu, Op::illegal};
constexpr Op kStores[8] = {Op::sb, Op::sh, Op::sw, Op::sd, Op::illegal, Op::illegal, Op::illegal, Op::illegal};
constexpr Op kOps[8] = {Op::add, Op::sll, Op::slt, Op::sltu, Op::xor_, Op::srl, Op::or_, Op::and_};
constexpr Op kMulDiv[8] = {Op::mul, Op::mulh, Op::mulhsu, Op::mulhu, Op::div, Op::divu, Op::rem, Op::remu};
constexpr Op kMulDivW[8] = {Op::mulw, Op::illegal, Op::illegal, Op::illegal,
                            Op::divw, Op::divuw,   Op::remw,    Op::remuw};
constexpr Op kBranches[8] = {Op::beq, Op::bne, Op::illegal, Op::illegal, Op::blt, Op::bge, Op::bltu, Op::bgeu};
constexpr Op kOpImmOps[8] = {Op::addi, Op::slli, Op::slti, Op::sltiu, Op::xori, Op::srli, Op::ori, Op::andi};

// The 32-bit instruction's operation; Op::illegal for an encoding the ISS does not implement.
Op operation(std::uint32_t insn) {
    const unsigned f3 = funct3_of(insn), f7 = insn >> 25, f6 = insn >> 26;
    switch ((insn >> 2) & 31) {
        case 0x00: return kLoads[f3];
        case 0x03: return f3 <= 1 ? Op::fence : Op::illegal;  // fence, fence.i
        case 0x04:
            if (f3 == 1) return f6 == 0 ? Op::slli : Op::illegal;
            if (f3 == 5) return f6 == 0 ? Op::srli : f6 == 0x10 ? Op::srai : Op::illegal;
            return kOpImmOps[f3];
        case 0x05: return Op::auipc;
        case 0x06:
            if (f3 == 0) return Op::addiw;
            if (f3 == 1) return f7 == 0 ? Op::slliw : Op::illegal;
            if (f3 == 5) return f7 == 0 ? Op::srliw : f7 == 0x20 ? Op::sraiw : Op::illegal;
            return Op::illegal;
        case 0x08: return kStores[f3];
        case 0x0b: return f3 == 2 ? Op::amo_w : f3 == 3 ? Op::amo_d : Op::illegal;
        case 0x0c:
            if (f7 == 1) return kMulDiv[f3];
            if (f7 == 0x20) return f3 == 0 ? Op::sub : f3 == 5 ? Op::sra : Op::illegal;
            return f7 == 0 ? kOps[f3] : Op::illegal;
        case 0x0d: return Op::lui;
        case 0x0e:
            if (f7 == 1) return kMulDivW[f3];
            if (f7 == 0) return f3 == 0 ? Op::addw : f3 == 1 ? Op::sllw : f3 == 5 ? Op::srlw : Op::illegal;
            if (f7 == 0x20) return f3 == 0 ? Op::subw : f3 == 5 ? Op::sraw : Op::illegal;
            return Op::illegal;
        case 0x18: return kBranches[f3];
        case 0x19: return f3 == 0 ? Op::jalr : Op::illegal;
        case 0x1b: return Op::jal;
        case 0x1c:
            if (f3 == 4) return Op::illegal;
            if (f3 != 0) return Op::csr;
            switch (insn) {
                case 0x00000073: return Op::ecall;
                case kEbreak: return Op::ebreak;
                case 0x30200073: return Op::mret;  // M-mode only
                case 0x10500073: return Op::wfi;
                default: return Op::illegal;
            }
        case 0x02:
        case 0x0a:
        case 0x16:
        case 0x1e: return Op::custom;  // custom-0..3: the wrapper carries them out
        default: return Op::illegal;
    }
}

// The immediate the operation uses (shift amounts for the immediate shifts).
std::int32_t immediate(Op op, std::uint32_t insn) {
    switch (op) {
        case Op::slli:
        case Op::srli:
        case Op::srai: return static_cast<std::int32_t>((insn >> 20) & 63);
        case Op::slliw:
        case Op::srliw:
        case Op::sraiw: return static_cast<std::int32_t>((insn >> 20) & 31);
        case Op::auipc:
        case Op::lui: return static_cast<std::int32_t>(imm_u(insn));
        case Op::sb:
        case Op::sh:
        case Op::sw:
        case Op::sd: return static_cast<std::int32_t>(imm_s(insn));
        case Op::beq:
        case Op::bne:
        case Op::blt:
        case Op::bge:
        case Op::bltu:
        case Op::bgeu: return static_cast<std::int32_t>(imm_b(insn));
        case Op::jal: return static_cast<std::int32_t>(imm_j(insn));
        default: return static_cast<std::int32_t>(imm_i(insn));
    }
}

}  // namespace

Decoded decode(std::uint32_t word) {
    Decoded d{word, 0, Op::illegal, kSinkRegister, 0, 0, 2, 0};
    std::uint32_t insn = word;
    if ((word & 3) == 3) {
        d.len = 4;
    } else {
        insn = expand_compressed(word & 0xffff);
        if (!insn) return d;  // illegal
    }
    d.op = operation(insn);
    d.imm = immediate(d.op, insn);
    d.rd = static_cast<std::uint8_t>(rd_of(insn) ? rd_of(insn) : kSinkRegister);
    d.rs1 = static_cast<std::uint8_t>(rs1_of(insn));
    d.rs2 = static_cast<std::uint8_t>(rs2_of(insn));
    return d;
}

namespace {

bool ends_block(Op op) {
    switch (op) {
        case Op::beq:
        case Op::bne:
        case Op::blt:
        case Op::bge:
        case Op::bltu:
        case Op::bgeu:
        case Op::jal:
        case Op::jalr:
        case Op::mret:
        case Op::ecall:
        case Op::ebreak:
        case Op::csr:
        case Op::custom:
        case Op::illegal: return true;
        default: return false;
    }
}

// The block_end after `last`: it checks the block's first word again (so the check reads
// memory it has read before) and names the block's length.
Decoded block_end(const Decoded& first, std::uint32_t bytes) {
    return Decoded{first.word, static_cast<std::int32_t>(bytes), Op::block_end, kSinkRegister, 0, 0, 0, 0};
}

}  // namespace

void decode_block(DecodedBlock& block, const std::uint8_t* window, std::uint64_t start, std::uint64_t span) {
    block.n = 0;
    std::uint64_t off = start;
    do {
        std::uint32_t word;
        std::memcpy(&word, window + off, 4);
        Decoded& d = block.insn[block.n++];
        d = decode(word);
        d.boff = static_cast<std::uint8_t>(off - start);
        off += d.len;
        if (ends_block(d.op)) break;
    } while (block.n < DecodedBlock::kMaxInsns && off < span);
    block.insn[block.n] = block_end(block.insn[0], static_cast<std::uint32_t>(off - start));
}

void single_block(DecodedBlock& block, const Decoded& d) {
    block.n = 1;
    block.insn[0] = d;
    block.insn[0].boff = 0;
    block.insn[1] = block_end(d, d.len);
}

}  // namespace elstm::rv
