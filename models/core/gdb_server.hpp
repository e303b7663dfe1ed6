#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include <elstm_vp/core/gdb_stub.hpp>

// The GDB stub on a TCP socket, and the run control the core asks before each instruction
// while a debugger is attached. Plain C++ (POSIX sockets), no SystemC.
namespace elstm::gdb {

// A listening socket on 127.0.0.1 and at most one client, from loopback only.
class Socket {
public:
    // Listens on 127.0.0.1:port (0: a free port). Throws elstm::Error (bad input) when it cannot.
    explicit Socket(std::uint16_t port);
    ~Socket();
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;

    std::uint16_t port() const { return port_; }
    // Blocks until a client connects; clients from outside loopback are closed at once.
    void accept();
    bool connected() const { return client_ >= 0; }
    // The next byte, waiting for it; none once the client has gone (then disconnected).
    std::optional<char> read();
    // A byte that is already there, without waiting; none if there is none.
    std::optional<char> poll();
    void send(const std::string& bytes);
    void disconnect();

private:
    int listener_ = -1;
    int client_ = -1;
    std::uint16_t port_ = 0;
};

// One debugger session over a Socket: serves the Stub while the core is halted and decides
// when a running core halts (breakpoint, single step, Ctrl-C).
class Server {
public:
    Server(std::uint16_t port, Target& target) : socket_(port), stub_(target) {}

    std::uint16_t port() const { return socket_.port(); }
    void wait_for_client() { socket_.accept(); }
    bool attached() const { return socket_.connected(); }
    // Before each instruction while attached: true when the core must halt at pc.
    bool should_halt(std::uint64_t pc);
    // While it is true the core reports each data access (data_access) after the instruction.
    bool watching() const { return stub_.watching(); }
    // A load, store or AMO just done: a watchpoint that sees it halts the core before the next
    // instruction, as GDB expects (the stop comes after the access).
    void data_access(std::uint64_t addr, std::uint64_t len, bool read, bool write) {
        if (!watch_reply_) watch_reply_ = stub_.watch_hit(addr, len, read, write);
    }
    // Serves commands until the debugger resumes the core (cont, step), lets it go (detach,
    // also when the client disconnects) or kills it. `announce`: tell GDB the core stopped.
    Resume halt(bool announce);
    // The program ended: W (exit code) or X (stopped by an error), then the session closes.
    void program_ended(bool exited, std::int64_t code);

private:
    void send_packet(const std::string& payload) { socket_.send(frame(payload)); }

    Socket socket_;
    Stub stub_;
    PacketReader reader_;
    bool stepping_ = false;
    bool just_resumed_ = false;  // the instruction at the resume pc runs before any check
    bool interrupted_ = false;   // Ctrl-C: the stop reply says SIGINT, not SIGTRAP
    std::optional<std::string> watch_reply_;  // a watchpoint hit: the next stop's reply
    std::uint32_t until_poll_ = 0;
    static constexpr std::uint32_t kPollInterval = 1024;  // instructions between Ctrl-C checks
};

}  // namespace elstm::gdb
