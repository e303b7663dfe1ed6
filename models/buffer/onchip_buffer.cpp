#include <elstm_vp/buffer/onchip_buffer.hpp>

#include <algorithm>
#include <cstring>

#include <elstm_vp/numeric/error.hpp>
#include <elstm_vp/numeric/formats.hpp>

static_assert(sizeof(float) == sizeof(std::uint32_t), "entries are 32-bit words");

namespace elstm {

OnChipBuffer::OnChipBuffer(sc_core::sc_module_name name, const BufferConfig& config,
                           sim::Clock clock)
    : sc_module(name), fill("fill", clock, 0), config_(config) {
    const std::string who = "buffer " + std::string(this->name());
    if (config_.capacity == 0) throw Error(who + ": capacity must be > 0 entries");
    if (config_.entry_bits < 1 || config_.entry_bits > 64)
        throw Error(who + ": entry_bits must be in 1..64, got " + std::to_string(config_.entry_bits));
    if (config_.ports == 0) throw Error(who + ": an SRAM needs at least 1 port");
    data_.assign(config_.capacity, 0.0f);
}

void OnChipBuffer::check(std::size_t first, std::size_t count) const {
    if (count <= config_.capacity && first <= config_.capacity - count) return;
    const std::string msg = "access to index " + std::to_string(first) + " (+" + std::to_string(count) +
                            ") beyond capacity " + std::to_string(config_.capacity) + " entries";
    SC_REPORT_ERROR(name(), msg.c_str());
    // The report handler may be set not to throw; never touch memory out of range.
    throw Error(std::string(name()) + ": " + msg);
}

float OnChipBuffer::read(std::size_t index) {
    check(index, 1);
    ++reads_;
    return data_[index];
}

void OnChipBuffer::write(std::size_t index, float value) {
    check(index, 1);
    ++writes_;
    data_[index] = value;
}

const float* OnChipBuffer::read_span(std::size_t first, std::size_t count) {
    check(first, count);
    reads_ += count;
    return data_.data() + first;
}

float* OnChipBuffer::write_span(std::size_t first, std::size_t count) {
    check(first, count);
    writes_ += count;
    return data_.data() + first;
}

float* OnChipBuffer::modify_span(std::size_t first, std::size_t count) {
    check(first, count);
    reads_ += count;
    writes_ += count;
    return data_.data() + first;
}

// Bit patterns are copied straight to and from the storage, never through a float value.
std::uint32_t OnChipBuffer::read_u32(std::size_t index) {
    std::uint32_t bits;
    std::memcpy(&bits, read_span(index, 1), sizeof bits);
    return bits;
}

void OnChipBuffer::write_u32(std::size_t index, std::uint32_t value) {
    std::memcpy(write_span(index, 1), &value, sizeof value);
}

void OnChipBuffer::set_fill_at(sim::Cycles at, std::int64_t entries) {
    if (entries < 0 || static_cast<std::uint64_t>(entries) > config_.capacity) {
        const std::string msg = "fill level " + std::to_string(entries) + " outside 0.." +
                                std::to_string(config_.capacity) + " entries";
        SC_REPORT_ERROR(name(), msg.c_str());
        return;  // a handler that does not throw: keep the trace within the buffer
    }
    fill.set_at(at, entries);
    peak_fill_ = std::max(peak_fill_, entries);
}

double OnChipBuffer::area() const {
    return sram_area(static_cast<double>(config_.capacity) * config_.entry_bits, config_.ports);
}

void OnChipBuffer::trace(sc_core::sc_trace_file* file, const std::string& prefix) const {
    sc_core::sc_trace(file, fill.signal, prefix + ".fill");
}

}  // namespace elstm
