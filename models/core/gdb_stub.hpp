#pragma once
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

// The GDB remote serial protocol for the RISC-V core, plain C++ without sockets: packet framing
// (PacketReader, frame) and the commands (Stub) against a Target. gdb_socket.hpp carries it.
namespace elstm::gdb {

// The core as the debugger sees it. Register numbers are the target description's: x0..x31,
// then pc (32), then the CSRs of kCsrs (33, 34, ...).
class Target {
public:
    virtual ~Target() = default;
    virtual std::uint64_t gpr(unsigned i) = 0;
    virtual void set_gpr(unsigned i, std::uint64_t value) = 0;
    virtual std::uint64_t pc() = 0;
    virtual void set_pc(std::uint64_t pc) = 0;
    // false: no such CSR (or, for a write, read-only).
    virtual bool csr(unsigned addr, std::uint64_t& value) = 0;
    virtual bool set_csr(unsigned addr, std::uint64_t value) = 0;
    // false: nothing there.
    virtual bool read_memory(std::uint64_t addr, void* data, std::size_t len) = 0;
    virtual bool write_memory(std::uint64_t addr, const void* data, std::size_t len) = 0;
};

struct Csr {
    const char* name;
    unsigned addr;
};
// The CSRs the ISS implements, in register-number order after pc.
extern const Csr kCsrs[];
extern const unsigned kCsrCount;
constexpr unsigned kPcRegister = 32;

// One packet's bytes on the wire: $payload#checksum. The payload is sent as given (binary
// replies escape themselves, see escape_binary).
std::string frame(const std::string& payload);
// '#', '$', '}' and '*' become '}' followed by the byte XOR 0x20.
std::string escape_binary(const std::string& data);

// Splits the incoming byte stream into packets. Acks ('+', '-') between packets are skipped.
class PacketReader {
public:
    struct Event {
        enum class Kind { packet, bad_checksum, interrupt } kind;
        std::string payload;  // packet only, still escaped
    };
    std::optional<Event> feed(char c);
    // In the middle of a packet (a disconnect now cuts one short).
    bool partial() const { return state_ != State::idle; }

private:
    enum class State { idle, body, checksum_high, checksum_low };
    State state_ = State::idle;
    std::string body_;
    unsigned checksum_ = 0;
};

// What the core does after a command.
enum class Resume { none, cont, step, detach, kill };

struct Reply {
    std::optional<std::string> payload;  // none: no reply (k, and resumes until they stop)
    Resume resume = Resume::none;
};

// The commands. Breakpoints (Z0 and Z1 alike) and watchpoints (Z2 write, Z3 read, Z4 access)
// are kept here, the instructions stay untouched.
class Stub {
public:
    explicit Stub(Target& target) : target_(target) {}
    Reply handle(const std::string& payload);
    bool breakpoint_at(std::uint64_t pc) const { return !breakpoints_.empty() && breakpoints_.count(pc) != 0; }
    bool watching() const { return !watchpoints_.empty(); }
    // The stop reply for a data access the core has just made (T05watch:ADDR;, rwatch, awatch,
    // ADDR the first watched byte it touched), or none when no watchpoint sees it.
    std::optional<std::string> watch_hit(std::uint64_t addr, std::uint64_t len, bool read, bool write) const;
    static constexpr unsigned kPacketSize = 0x4000;

private:
    Reply read_registers();
    Reply write_registers(const std::string& hex);
    Reply read_register(const std::string& args);
    Reply write_register(const std::string& args);
    Reply read_memory(const std::string& args);
    Reply write_memory(const std::string& args, bool binary);
    Reply breakpoint(const std::string& payload);
    Reply query(const std::string& payload);
    Reply vcont(const std::string& payload);
    bool register_value(unsigned n, std::uint64_t& value);
    bool set_register(unsigned n, std::uint64_t value);

    Target& target_;
    std::set<std::uint64_t> breakpoints_;
    struct Watchpoint {
        char type;  // '2' write, '3' read, '4' access
        std::uint64_t addr, len;
    };
    std::vector<Watchpoint> watchpoints_;
};

// The target description served through qXfer:features:read:target.xml.
std::string target_xml();

}  // namespace elstm::gdb
