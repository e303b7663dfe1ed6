#include <elstm_vp/dram/dram.hpp>

#include <cstring>
#include <limits>
#include <sstream>

#include <elstm_vp/numeric/error.hpp>
#include <elstm_vp/numeric/hex.hpp>

namespace elstm {

namespace {

void validate(const DramConfig& c, const std::string& who) {
    if (c.size == 0) throw Error(who + ": size must be > 0");
    if (c.bytes_per_cycle == 0) throw Error(who + ": bytes_per_cycle must be >= 1");
    if (c.size - 1 > std::numeric_limits<std::uint64_t>::max() - c.base)
        throw Error(who + ": base " + hex(c.base) + " + size " + hex(c.size) +
                    " overflows the 64-bit address space");
}

bool inside(const DramConfig& c, std::uint64_t addr, std::uint64_t len) {
    return addr >= c.base && len <= c.size && addr - c.base <= c.size - len;
}

// Accesses are aligned to their own size up to 8 bytes (a 10-byte burst to 8); a size
// between two powers of two (3, 6) to the smaller one.
std::uint64_t alignment(std::uint64_t len) {
    std::uint64_t a = 8;
    while (a > len) a /= 2;
    return a;
}

// The timed transport's checks beyond command and range.
tlm::tlm_response_status payload_status(const tlm::tlm_generic_payload& trans) {
    const std::uint64_t len = trans.get_data_length();
    if (trans.get_byte_enable_ptr() != nullptr) return tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE;
    if (trans.get_streaming_width() < len) return tlm::TLM_BURST_ERROR_RESPONSE;
    if (len == 0 || trans.get_address() % alignment(len) != 0) return tlm::TLM_GENERIC_ERROR_RESPONSE;
    return tlm::TLM_OK_RESPONSE;
}

}  // namespace

Dram::Dram(sc_core::sc_module_name name, const DramConfig& config, sim::Clock clock)
    : sc_module(name), socket("socket"), busy("busy", clock), config_(config), clock_(clock) {
    validate(config_, this->name());
    memory_.reset(static_cast<unsigned char*>(std::calloc(config_.size, 1)));
    if (!memory_) throw Error("dram.size: cannot allocate " + std::to_string(config_.size) + " bytes");
    socket.register_b_transport(this, &Dram::b_transport);
    socket.register_transport_dbg(this, &Dram::transport_dbg);
    socket.register_get_direct_mem_ptr(this, &Dram::get_direct_mem_ptr);
}

bool Dram::accept(tlm::tlm_generic_payload& trans, bool debug) const {
    using namespace tlm;
    const std::uint64_t addr = trans.get_address();
    const std::uint64_t len = trans.get_data_length();
    tlm_response_status status = TLM_OK_RESPONSE;
    if (trans.get_command() == TLM_IGNORE_COMMAND)
        status = TLM_COMMAND_ERROR_RESPONSE;
    else if (!inside(config_, addr, len))
        status = TLM_ADDRESS_ERROR_RESPONSE;
    else if (!debug)
        status = payload_status(trans);
    trans.set_response_status(status);
    return status == TLM_OK_RESPONSE;
}

void Dram::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
    if (!accept(trans, false)) return;
    unsigned char* const bytes = memory_.get() + (trans.get_address() - config_.base);
    const unsigned len = trans.get_data_length();
    // An initiator reading in place through its DMI pointer names these very bytes: nothing
    // to copy, but the access is timed and counted as any other.
    const bool in_place = trans.get_data_ptr() == bytes;
    if (trans.is_read()) {
        if (!in_place) std::memcpy(trans.get_data_ptr(), bytes, len);
        bytes_read_ += len;
    } else {
        if (!in_place) std::memcpy(bytes, trans.get_data_ptr(), len);
        bytes_written_ += len;
    }
    ++accesses_;
    const sim::Cycles duration =
        config_.latency + (len + config_.bytes_per_cycle - 1) / config_.bytes_per_cycle;
    const sim::Cycles start = clock_.cycles(sc_core::sc_time_stamp() + delay);
    busy.add_interval(start, start + duration);
    delay += clock_.time(duration);
    trans.set_dmi_allowed(true);
}

unsigned int Dram::transport_dbg(tlm::tlm_generic_payload& trans) {
    if (!accept(trans, true)) return 0;
    const std::uint64_t offset = trans.get_address() - config_.base;
    const unsigned len = trans.get_data_length();
    if (trans.is_read())
        std::memcpy(trans.get_data_ptr(), memory_.get() + offset, len);
    else
        std::memcpy(memory_.get() + offset, trans.get_data_ptr(), len);
    return len;
}

bool Dram::get_direct_mem_ptr(tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi) {
    const std::uint64_t addr = trans.get_address();
    const std::uint64_t last = config_.base + (config_.size - 1);
    if (addr < config_.base || addr > last) {
        // Deny DMI for the whole hole the address falls in, so it is not asked again there.
        dmi.set_start_address(addr < config_.base ? 0 : last + 1);
        dmi.set_end_address(addr < config_.base ? config_.base - 1
                                                : std::numeric_limits<std::uint64_t>::max());
        return false;
    }
    dmi.set_dmi_ptr(memory_.get());
    dmi.set_start_address(config_.base);
    dmi.set_end_address(last);
    dmi.allow_read_write();
    // DMI latency is per byte: the streaming rate of a burst. The access latency is not
    // included; a DMI user that wants it adds config().latency cycles itself.
    const sc_core::sc_time per_byte = clock_.period() / static_cast<double>(config_.bytes_per_cycle);
    dmi.set_read_latency(per_byte);
    dmi.set_write_latency(per_byte);
    return true;
}

void Dram::check_backdoor(std::uint64_t addr, std::size_t len) const {
    if (!inside(config_, addr, len))
        throw Error(std::string(name()) + ": access of " + std::to_string(len) + " bytes at " +
                    hex(addr) + " is outside the DRAM [" + hex(config_.base) + ", " +
                    hex(config_.base + (config_.size - 1)) + "]");
}

void Dram::write_backdoor(std::uint64_t addr, const void* data, std::size_t len) {
    check_backdoor(addr, len);
    if (len) std::memcpy(memory_.get() + (addr - config_.base), data, len);
}

void Dram::read_backdoor(std::uint64_t addr, void* data, std::size_t len) const {
    check_backdoor(addr, len);
    if (len) std::memcpy(data, memory_.get() + (addr - config_.base), len);
}

void Dram::trace(sc_core::sc_trace_file* file, const std::string& prefix) const {
    sc_core::sc_trace(file, busy.signal, prefix + ".busy");
}

}  // namespace elstm
