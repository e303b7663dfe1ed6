// SoC example: the whole platform of a YAML config as one module of a user's own SoC. The user's
// top module holds the Platform as a child, binds its memory side through the user's own
// router (which also reaches the user's register bank) and drives the accelerator from the
// user's own host module. Checks: the golden check passes bit for bit, the accelerator takes
// the cycles elstm-vp gives the same config with host.kind: driver (the router forwards at zero
// delay), and the router saw every word of the accelerator's traffic.
//
//   soc CONFIG.yaml EXPECTED_CYCLES [KEY=VALUE ...]
//
//   top
//   ├── platform (elstm::Platform: host.kind external, bind_memory false)
//   │     accel <-> rocc --mem--> bus --memory_initiator()--> router.initiators[0]
//   ├── host --rocc--> platform.host_channel()
//   │        --mem---> router.initiators[1]
//   ├── router --dram--> platform.memory_target()   (the DRAM's window)
//   │          --regs--> regs                        (0x40000000)
//   └── regs: the user's register bank; the host stores each layer run's cycles there
#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include <elstm_vp/driver/rocc_driver.hpp>
#include <elstm_vp/platform/platform.hpp>
#include <elstm_vp/platform/yaml_config.hpp>

using namespace elstm;

namespace {

constexpr std::uint64_t kRegsBase = 0x40000000;
constexpr std::uint64_t kRegsSize = 4096;  // 512 64-bit registers

struct Window {
    std::uint64_t base, size;
    bool contains(std::uint64_t addr, std::uint64_t len) const {
        return addr >= base && len <= size && addr - base <= size - len;
    }
};

// The user's peripheral: 64-bit registers any initiator reads and writes whole, in one cycle.
class Registers : public sc_core::sc_module {
public:
    tlm_utils::simple_target_socket<Registers, 64> socket;

    Registers(sc_core::sc_module_name name, Window window, sc_core::sc_time access_time)
        : sc_module(name), socket("socket"), window_(window), access_time_(access_time), regs_(window.size / 8, 0) {
        socket.register_b_transport(this, &Registers::b_transport);
    }

    std::uint64_t reg(std::size_t index) const { return regs_.at(index); }

private:
    void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
        const std::uint64_t addr = trans.get_address();
        if (!window_.contains(addr, trans.get_data_length()) || addr % 8 != 0 || trans.get_data_length() != 8) {
            trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
            return;
        }
        std::uint64_t& reg = regs_[(addr - window_.base) / 8];
        if (trans.is_write())
            std::memcpy(&reg, trans.get_data_ptr(), 8);
        else
            std::memcpy(trans.get_data_ptr(), &reg, 8);
        delay += access_time_;
        trans.set_response_status(tlm::TLM_OK_RESPONSE);
    }

    Window window_;
    sc_core::sc_time access_time_;
    std::vector<std::uint64_t> regs_;
};

// The user's interconnect: any number of initiators, two targets by address, forwarded at zero
// delay (addresses unchanged: the elstm Dram decodes them against its own base). It counts the
// transactions and bytes each initiator moves. No DMI: every access passes through here.
class Router : public sc_core::sc_module {
public:
    tlm_utils::multi_passthrough_target_socket<Router, 64> initiators;
    tlm_utils::simple_initiator_socket<Router, 64> dram;
    tlm_utils::simple_initiator_socket<Router, 64> regs;

    struct Traffic {
        std::uint64_t transactions = 0, bytes_read = 0, bytes_written = 0;
    };

    Router(sc_core::sc_module_name name, Window dram_window, Window regs_window)
        : sc_module(name), initiators("initiators"), dram("dram"), regs("regs"), dram_window_(dram_window),
          regs_window_(regs_window) {
        initiators.register_b_transport(this, &Router::b_transport);
        initiators.register_transport_dbg(this, &Router::transport_dbg);
    }

    // Per initiator, in the order they were bound to `initiators`.
    Traffic traffic(std::size_t initiator) const {
        return initiator < traffic_.size() ? traffic_[initiator] : Traffic{};
    }

private:
    tlm_utils::simple_initiator_socket<Router, 64>* decode(const tlm::tlm_generic_payload& trans) {
        if (dram_window_.contains(trans.get_address(), trans.get_data_length())) return &dram;
        if (regs_window_.contains(trans.get_address(), trans.get_data_length())) return &regs;
        return nullptr;
    }

    void b_transport(int id, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
        auto* target = decode(trans);
        if (!target) {
            trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
            return;
        }
        if (traffic_.size() <= static_cast<std::size_t>(id)) traffic_.resize(id + 1);
        Traffic& t = traffic_[id];
        ++t.transactions;
        (trans.is_write() ? t.bytes_written : t.bytes_read) += trans.get_data_length();
        (*target)->b_transport(trans, delay);
    }

    unsigned int transport_dbg(int, tlm::tlm_generic_payload& trans) {
        auto* target = decode(trans);
        return target ? (*target)->transport_dbg(trans) : 0;
    }

    Window dram_window_, regs_window_;
    std::vector<Traffic> traffic_;
};

// The user's host: issues the workload's layers (the platform's host_program(), each turned into
// its RoCC commands), one command per cycle as elstm's test-bench driver does, stores each
// layer run's cycles in the register bank and tells the platform when it is done.
class Host : public sc_core::sc_module {
public:
    sc_core::sc_port<RoccCoreIf> rocc;
    tlm_utils::simple_initiator_socket<Host, 64> mem;

    Host(sc_core::sc_module_name name, Platform& platform)
        : sc_module(name), rocc("rocc"), mem("mem"), platform_(platform) {
        SC_HAS_PROCESS(Host);
        SC_THREAD(run);
    }

    const std::vector<std::uint64_t>& cycles() const { return cycles_; }

private:
    void run() {
        const sc_core::sc_time cycle = platform_.clock().period();
        for (const LayerCommands& layer : platform_.host_program()) {
            for (const RoccCommand& c : layer_command_sequence(layer)) {
                sc_core::wait(cycle);
                if (!rocc->issue(c)) SC_REPORT_ERROR(name(), "the accelerator rejected a command");
                if (c.xd) cycles_.push_back(rocc->wait_response().data);
            }
            store(kRegsBase + 8 * (cycles_.size() - 1), cycles_.back());
        }
        platform_.host_done();
    }

    void store(std::uint64_t addr, std::uint64_t value) {
        tlm::tlm_generic_payload trans;
        sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
        trans.set_command(tlm::TLM_WRITE_COMMAND);
        trans.set_address(addr);
        trans.set_data_ptr(reinterpret_cast<unsigned char*>(&value));
        trans.set_data_length(8);
        trans.set_streaming_width(8);
        trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        mem->b_transport(trans, delay);
        if (!trans.is_response_ok()) SC_REPORT_ERROR(name(), "a store to the register bank failed");
        sc_core::wait(delay);
    }

    Platform& platform_;
    std::vector<std::uint64_t> cycles_;
};

PlatformOptions memory_outside() {
    PlatformOptions options;
    options.bind_memory = false;
    return options;
}

// The user's SoC: the platform one child among others.
class Top : public sc_core::sc_module {
public:
    Platform platform;
    Router router;
    Registers regs;
    Host host;

    Top(sc_core::sc_module_name name, const PlatformConfig& config)
        : sc_module(name),
          platform("platform", config, memory_outside()),
          router("router", Window{config.dram.base, config.dram.size}, Window{kRegsBase, kRegsSize}),
          regs("regs", Window{kRegsBase, kRegsSize}, platform.clock().period()),
          host("host", platform) {
        platform.memory_initiator().bind(router.initiators);  // initiator 0
        host.mem.bind(router.initiators);                      // initiator 1
        router.dram.bind(platform.memory_target());
        router.regs.bind(regs.socket);
        host.rocc.bind(platform.host_channel());
    }
};

}  // namespace

int sc_main(int argc, char* argv[]) {
    if (argc < 3) {
        std::cerr << "usage: soc CONFIG.yaml EXPECTED_CYCLES [KEY=VALUE ...]\n";
        return 2;
    }
    const std::uint64_t expected = std::strtoull(argv[2], nullptr, 10);
    PlatformConfig config;
    try {
        config = load_platform_config(argv[1], std::vector<std::string>(argv + 3, argv + argc));
    } catch (const ConfigError& e) {
        std::cerr << e.what() << "\n";  // the file, line and key
        return 2;
    }
    config.host.kind = HostKind::external;  // as host.kind: external in the YAML
    Top top("top", config);
    Platform& platform = top.platform;

    std::string error;
    if (!platform.run(&error) || !platform.finish_trace(&error)) {
        std::cerr << error << "\n";
        return 1;
    }
    bool ok = true;
    const auto check = [&ok](bool good, const std::string& what) {
        std::cout << (good ? "ok:       " : "MISMATCH: ") << what << "\n";
        ok = ok && good;
    };

    std::uint64_t total = 0, stored = 0;
    const std::vector<std::uint64_t>& cycles = top.host.cycles();
    for (std::size_t r = 0; r < cycles.size(); ++r) {
        total += cycles[r];
        stored += top.regs.reg(r) == cycles[r];
    }
    check(total == expected, std::to_string(cycles.size()) + " layer runs in " + std::to_string(total) +
                                 " accelerator cycles; expected " + std::to_string(expected));
    check(stored == cycles.size() && !cycles.empty(),
          "the register bank holds the cycles of " + std::to_string(stored) + " layer runs");

    // Everything the RoCC port moved crossed the router: 8 bytes a word.
    const RoccChannel& rocc = platform.channel();
    const std::uint64_t written = 8 * rocc.words(PortUser::store);
    const std::uint64_t read = 8 * rocc.total_words() - written;
    const Router::Traffic seen = top.router.traffic(0);
    check(seen.bytes_read == read && seen.bytes_written == written && read > 0,
          "the router saw the accelerator's traffic: " + std::to_string(seen.transactions) + " transactions, " +
              std::to_string(seen.bytes_read) + " bytes read, " + std::to_string(seen.bytes_written) +
              " written (the RoCC port: " + std::to_string(read) + ", " + std::to_string(written) + ")");

    const GoldenCheck golden = platform.check_golden();
    check(golden.passed && golden.tolerance == 0.0,
          "golden check: " + std::to_string(golden.values) + " h values bit for bit" +
              (golden.passed ? "" : "; first mismatch " + golden.first_mismatch));
    std::cout << "host done at cycle " << platform.end_cycle() << "\n";
    return ok ? 0 : 1;
}
