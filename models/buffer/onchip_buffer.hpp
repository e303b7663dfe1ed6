#pragma once
#include <systemc>

#include <cstdint>
#include <string>
#include <vector>

#include <elstm_vp/sim/clock.hpp>
#include <elstm_vp/sim/timed_signal.hpp>

namespace elstm {

struct BufferConfig {
    std::size_t capacity = 0;   // entries
    unsigned entry_bits = 32;   // width of one entry
    unsigned ports = 1;         // read/write ports (area model)
};

// An on-chip SRAM buffer of the accelerator (BUF_x, BUF_wx, BUF_uh, BUF_h, BUF_b, BUF_c,
// the U word-count table). It holds the real data, counts accesses, and reports an access
// beyond its capacity as a model error (SC_REPORT_ERROR naming the buffer and index).
// Entries are 32-bit words; fp32 values are stored by their bits.
class OnChipBuffer : public sc_core::sc_module {
public:
    OnChipBuffer(sc_core::sc_module_name name, const BufferConfig& config, sim::Clock clock);

    float read(std::size_t index);
    void write(std::size_t index, float value);
    // Bulk access to entries [first, first+count): one range check, `count` accesses counted.
    const float* read_span(std::size_t first, std::size_t count);
    float* write_span(std::size_t first, std::size_t count);
    // Read-modify-write of entries [first, first+count) in place: a read and a write of each.
    float* modify_span(std::size_t first, std::size_t count);
    std::uint32_t read_u32(std::size_t index);
    void write_u32(std::size_t index, std::uint32_t value);

    // Entries in use, traced as the buffer's fill level (planned at a cycle, like all traces).
    void set_fill_at(sim::Cycles at, std::int64_t entries);

    const BufferConfig& config() const { return config_; }
    std::uint64_t reads() const { return reads_; }
    std::uint64_t writes() const { return writes_; }
    std::int64_t peak_fill() const { return peak_fill_; }
    double area() const;  // sram_area(capacity × entry_bits, ports)

    sim::TimedValue<std::int64_t> fill;
    // Adds prefix.fill to `file`.
    void trace(sc_core::sc_trace_file* file, const std::string& prefix) const;
    // SystemC's one-argument form: the same signals under this module's name.
    void trace(sc_core::sc_trace_file* file) const override { trace(file, name()); }

private:
    void check(std::size_t first, std::size_t count) const;

    BufferConfig config_;
    std::vector<float> data_;  // float storage so the spans are valid pointers; u32 via memcpy
    std::uint64_t reads_ = 0;
    std::uint64_t writes_ = 0;
    std::int64_t peak_fill_ = 0;
};

}  // namespace elstm
