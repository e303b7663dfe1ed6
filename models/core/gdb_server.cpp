#include <elstm_vp/core/gdb_server.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <elstm_vp/numeric/error.hpp>

namespace elstm::gdb {

namespace {

elstm::Error socket_error(const std::string& what, std::uint16_t port) {
    return elstm::Error("host.gdb: cannot " + what + " 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(errno));
}

}  // namespace

Socket::Socket(std::uint16_t port) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener_ < 0) throw socket_error("open a socket for", port);
    const int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // never reachable from another host
    socklen_t len = sizeof addr;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listener_, 1) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        const elstm::Error e = socket_error("listen on", port);
        ::close(listener_);
        throw e;
    }
    port_ = ntohs(addr.sin_port);
}

Socket::~Socket() {
    disconnect();
    ::close(listener_);
}

void Socket::accept() {
    while (client_ < 0) {
        sockaddr_in peer{};
        socklen_t len = sizeof peer;
        const int fd = ::accept4(listener_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR) continue;
            throw socket_error("accept a debugger on", port_);
        }
        if (peer.sin_family != AF_INET || (ntohl(peer.sin_addr.s_addr) >> 24) != 127) {
            ::close(fd);
            continue;
        }
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // packets are small and interactive
        client_ = fd;
    }
}

std::optional<char> Socket::read() {
    char c;
    while (client_ >= 0) {
        const ssize_t n = ::recv(client_, &c, 1, 0);
        if (n == 1) return c;
        if (n < 0 && errno == EINTR) continue;
        disconnect();
    }
    return std::nullopt;
}

std::optional<char> Socket::poll() {
    char c;
    if (client_ < 0) return std::nullopt;
    const ssize_t n = ::recv(client_, &c, 1, MSG_DONTWAIT);
    if (n == 1) return c;
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) disconnect();
    return std::nullopt;
}

void Socket::send(const std::string& bytes) {
    std::size_t done = 0;
    while (client_ >= 0 && done < bytes.size()) {
        // MSG_NOSIGNAL: a client that has gone must not kill the run with SIGPIPE.
        const ssize_t n = ::send(client_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
        if (n > 0)
            done += static_cast<std::size_t>(n);
        else if (!(n < 0 && errno == EINTR))
            disconnect();
    }
}

void Socket::disconnect() {
    if (client_ >= 0) ::close(client_);
    client_ = -1;
}

bool Server::should_halt(std::uint64_t pc) {
    if (just_resumed_) {
        just_resumed_ = false;
        return false;
    }
    if (stepping_ || watch_reply_ || stub_.breakpoint_at(pc)) return true;
    if (++until_poll_ < kPollInterval) return false;
    until_poll_ = 0;
    while (const auto c = socket_.poll())
        if (const auto event = reader_.feed(*c); event && event->kind == PacketReader::Event::Kind::interrupt)
            return interrupted_ = true;
    return false;
}

Resume Server::halt(bool announce) {
    stepping_ = false;
    if (announce) send_packet(watch_reply_ ? *watch_reply_ : interrupted_ ? "S02" : "S05");
    interrupted_ = false;
    watch_reply_.reset();
    while (const auto c = socket_.read()) {
        const auto event = reader_.feed(*c);
        if (!event || event->kind == PacketReader::Event::Kind::interrupt) continue;  // halted already
        if (event->kind == PacketReader::Event::Kind::bad_checksum) {
            socket_.send("-");
            continue;
        }
        socket_.send("+");
        const Reply reply = stub_.handle(event->payload);
        if (reply.payload) send_packet(*reply.payload);
        switch (reply.resume) {
            case Resume::none: break;
            case Resume::step: stepping_ = true; [[fallthrough]];
            case Resume::cont: just_resumed_ = true; return reply.resume;
            case Resume::detach:
            case Resume::kill: socket_.disconnect(); return reply.resume;
        }
    }
    return Resume::detach;  // the client has gone (perhaps mid-packet): the run goes on without it
}

void Server::program_ended(bool exited, std::int64_t code) {
    char buf[8];
    std::snprintf(buf, sizeof buf, exited ? "W%02x" : "X%02x", exited ? static_cast<unsigned>(code & 0xff) : 6u);
    send_packet(buf);
    socket_.disconnect();
}

}  // namespace elstm::gdb
