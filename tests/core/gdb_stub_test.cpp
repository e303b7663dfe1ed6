#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <vector>

#include <elstm_vp/core/gdb_server.hpp>
#include <elstm_vp/core/gdb_stub.hpp>
#include <elstm_vp/numeric/error.hpp>

namespace elstm::gdb {
namespace {

// 256 bytes of memory at 0x1000, registers x_i = i * 0x0101010101010101, a few CSRs.
class FakeTarget : public Target {
public:
    FakeTarget() {
        for (unsigned i = 0; i < 32; ++i) x[i] = i * 0x0101010101010101ull;
        for (unsigned i = 0; i < mem.size(); ++i) mem[i] = static_cast<std::uint8_t>(i);
    }
    std::uint64_t gpr(unsigned i) override { return x[i]; }
    void set_gpr(unsigned i, std::uint64_t v) override {
        if (i) x[i] = v;
    }
    std::uint64_t pc() override { return pc_; }
    void set_pc(std::uint64_t v) override { pc_ = v; }
    bool csr(unsigned addr, std::uint64_t& v) override {
        v = csrs.count(addr) ? csrs[addr] : 0;
        return true;
    }
    bool set_csr(unsigned addr, std::uint64_t v) override {
        if (addr == 0x301) return false;  // misa: read-only here
        csrs[addr] = v;
        return true;
    }
    bool read_memory(std::uint64_t addr, void* data, std::size_t len) override {
        if (!inside(addr, len)) return false;
        std::memcpy(data, &mem[addr - kBase], len);
        return true;
    }
    bool write_memory(std::uint64_t addr, const void* data, std::size_t len) override {
        if (!inside(addr, len)) return false;
        std::memcpy(&mem[addr - kBase], data, len);
        return true;
    }

    static constexpr std::uint64_t kBase = 0x1000;
    std::uint64_t x[32] = {};
    std::uint64_t pc_ = 0x80000000;
    std::map<unsigned, std::uint64_t> csrs{{0x300, 0x1800}};
    std::vector<std::uint8_t> mem = std::vector<std::uint8_t>(256);

private:
    bool inside(std::uint64_t addr, std::size_t len) const {
        return addr >= kBase && len <= mem.size() && addr - kBase <= mem.size() - len;
    }
};

std::vector<PacketReader::Event> feed_all(PacketReader& r, const std::string& bytes) {
    std::vector<PacketReader::Event> events;
    for (char c : bytes)
        if (auto e = r.feed(c)) events.push_back(*e);
    return events;
}

TEST(GdbPacket, FrameAddsTheModulo256Checksum) {
    EXPECT_EQ(frame(""), "$#00");
    EXPECT_EQ(frame("OK"), "$OK#9a");
    EXPECT_EQ(frame("S05"), "$S05#b8");
}

TEST(GdbPacket, ReaderSkipsAcksAndChecksPackets) {
    PacketReader r;
    auto events = feed_all(r, "+$g#67+-$m0,4#fd");
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].kind, PacketReader::Event::Kind::packet);
    EXPECT_EQ(events[0].payload, "g");
    EXPECT_EQ(events[1].kind, PacketReader::Event::Kind::packet);
    EXPECT_EQ(events[1].payload, "m0,4");
}

TEST(GdbPacket, ReaderReportsABadChecksum) {
    PacketReader r;
    auto events = feed_all(r, "$g#68$g#6x");
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].kind, PacketReader::Event::Kind::bad_checksum);
    EXPECT_EQ(events[1].kind, PacketReader::Event::Kind::bad_checksum);
}

TEST(GdbPacket, ReaderSeesCtrlCBetweenPacketsAndKnowsWhenCutShort) {
    PacketReader r;
    auto events = feed_all(r, "\x03$m0,");
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].kind, PacketReader::Event::Kind::interrupt);
    EXPECT_TRUE(r.partial());
}

TEST(GdbPacket, BinaryEscapes) { EXPECT_EQ(escape_binary("a#b$c}d*e"), "a}\x03" "b}\x04" "c}]d}\x0a" "e"); }

TEST(GdbStub, RegistersAreLittleEndianXThenPc) {
    FakeTarget t;
    Stub stub(t);
    const Reply r = stub.handle("g");
    ASSERT_TRUE(r.payload);
    ASSERT_EQ(r.payload->size(), 33u * 16);
    EXPECT_EQ(r.payload->substr(0, 16), "0000000000000000");
    EXPECT_EQ(r.payload->substr(16, 16), "0101010101010101");
    EXPECT_EQ(r.payload->substr(32 * 16), "0000008000000000");  // pc 0x80000000
    EXPECT_EQ(*stub.handle("p20").payload, "0000008000000000");
    EXPECT_EQ(*stub.handle("p21").payload, "0018000000000000");  // register 33: mstatus 0x1800
    EXPECT_EQ(*stub.handle("p100").payload, "E01");
}

TEST(GdbStub, WritesRegistersAndCsrs) {
    FakeTarget t;
    Stub stub(t);
    EXPECT_EQ(*stub.handle("P5=efbeadde00000000").payload, "OK");
    EXPECT_EQ(t.x[5], 0xdeadbeefu);
    EXPECT_EQ(*stub.handle("P20=0400008000000000").payload, "OK");
    EXPECT_EQ(t.pc_, 0x80000004u);
    EXPECT_EQ(*stub.handle("P22=0000000000000000").payload, "E01");  // misa refuses
    EXPECT_EQ(*stub.handle("P5=12").payload, "E01");
    std::string all(33 * 16, '0');
    all.replace(16 * 32, 16, "1000000000000000");
    EXPECT_EQ(*stub.handle("G" + all).payload, "OK");
    EXPECT_EQ(t.pc_, 0x10u);
    EXPECT_EQ(t.x[5], 0u);
    EXPECT_EQ(*stub.handle("G00").payload, "E01");
}

TEST(GdbStub, MemoryReadWriteAndErrors) {
    FakeTarget t;
    Stub stub(t);
    EXPECT_EQ(*stub.handle("m1000,4").payload, "00010203");
    EXPECT_EQ(*stub.handle("m10fe,2").payload, "feff");
    EXPECT_EQ(*stub.handle("m10ff,2").payload, "E0e");  // runs past the end
    EXPECT_EQ(*stub.handle("m0,1").payload, "E0e");
    EXPECT_EQ(*stub.handle("mffffffffffffffff,2").payload, "E0e");  // wraps around
    EXPECT_EQ(*stub.handle("m1000").payload, "E01");
    EXPECT_EQ(*stub.handle("M1004,2:abcd").payload, "OK");
    EXPECT_EQ(t.mem[4], 0xab);
    EXPECT_EQ(t.mem[5], 0xcd);
    EXPECT_EQ(*stub.handle("M1004,2:abc").payload, "E01");
    EXPECT_EQ(*stub.handle("M2000,1:00").payload, "E0e");
    EXPECT_EQ(*stub.handle("X1008,3:}\x03}]z").payload, "OK");  // '#', '}', 'z'
    EXPECT_EQ(t.mem[8], '#');
    EXPECT_EQ(t.mem[9], '}');
    EXPECT_EQ(t.mem[10], 'z');
}

TEST(GdbStub, BreakpointsOfBothKinds) {
    FakeTarget t;
    Stub stub(t);
    EXPECT_FALSE(stub.breakpoint_at(0x80000010));
    EXPECT_EQ(*stub.handle("Z0,80000010,2").payload, "OK");
    EXPECT_EQ(*stub.handle("Z1,80000020,4").payload, "OK");
    EXPECT_TRUE(stub.breakpoint_at(0x80000010));
    EXPECT_TRUE(stub.breakpoint_at(0x80000020));
    EXPECT_EQ(*stub.handle("z0,80000010,2").payload, "OK");
    EXPECT_FALSE(stub.breakpoint_at(0x80000010));
    EXPECT_EQ(*stub.handle("Z5,1000,4").payload, "");  // no such kind
    EXPECT_EQ(*stub.handle("Z0,zz,2").payload, "E01");
}

// Z2 write, Z3 read, Z4 access: a data access overlapping one gives the stop reply GDB expects,
// naming the first watched byte the access touched; z removes exactly the one given.
TEST(GdbStub, WatchpointsOfThreeKinds) {
    FakeTarget t;
    Stub stub(t);
    EXPECT_FALSE(stub.watching());
    EXPECT_EQ(*stub.handle("Z2,80001000,8").payload, "OK");
    EXPECT_TRUE(stub.watching());
    EXPECT_EQ(stub.watch_hit(0x80001000, 8, false, true), "T05watch:80001000;");
    EXPECT_EQ(stub.watch_hit(0x80001004, 4, false, true), "T05watch:80001004;");
    EXPECT_EQ(stub.watch_hit(0x80000ffc, 8, false, true), "T05watch:80001000;");  // straddles the start
    EXPECT_FALSE(stub.watch_hit(0x80000ff8, 8, false, true));                     // ends just before
    EXPECT_FALSE(stub.watch_hit(0x80001008, 1, false, true));                     // starts just after
    EXPECT_FALSE(stub.watch_hit(0x80001000, 8, true, false));                     // a read: not watched
    EXPECT_EQ(*stub.handle("Z3,80002000,4").payload, "OK");
    EXPECT_EQ(stub.watch_hit(0x80002002, 1, true, false), "T05rwatch:80002002;");
    EXPECT_FALSE(stub.watch_hit(0x80002000, 4, false, true));
    EXPECT_EQ(*stub.handle("Z4,80003000,2").payload, "OK");
    EXPECT_EQ(stub.watch_hit(0x80003000, 8, true, false), "T05awatch:80003000;");
    EXPECT_EQ(stub.watch_hit(0x80003001, 1, false, true), "T05awatch:80003001;");
    // At the top of the address space the ends do not wrap.
    EXPECT_EQ(*stub.handle("Z4,fffffffffffffff8,8").payload, "OK");
    EXPECT_EQ(stub.watch_hit(0xfffffffffffffffc, 4, true, false), "T05awatch:fffffffffffffffc;");
    EXPECT_FALSE(stub.watch_hit(0, 4, true, false));
    EXPECT_EQ(*stub.handle("Z4,fffffffffffffffc,8").payload, "E01");  // runs past 2^64
    EXPECT_EQ(*stub.handle("Z2,1000,0").payload, "E01");
    // z of another kind or length leaves it; the right one removes it.
    EXPECT_EQ(*stub.handle("z3,80001000,8").payload, "OK");
    EXPECT_EQ(*stub.handle("z2,80001000,4").payload, "OK");
    EXPECT_TRUE(stub.watch_hit(0x80001000, 8, false, true));
    for (const char* z : {"z2,80001000,8", "z3,80002000,4", "z4,80003000,2", "z4,fffffffffffffff8,8"})
        EXPECT_EQ(*stub.handle(z).payload, "OK");
    EXPECT_FALSE(stub.watching());
    EXPECT_FALSE(stub.watch_hit(0x80001000, 8, true, true));
}

TEST(GdbStub, RunControl) {
    FakeTarget t;
    Stub stub(t);
    EXPECT_EQ(*stub.handle("?").payload, "S05");
    EXPECT_EQ(stub.handle("c").resume, Resume::cont);
    EXPECT_FALSE(stub.handle("c").payload);
    EXPECT_EQ(stub.handle("s").resume, Resume::step);
    EXPECT_EQ(stub.handle("vCont;s:1").resume, Resume::step);
    EXPECT_EQ(stub.handle("vCont;c").resume, Resume::cont);
    EXPECT_EQ(*stub.handle("vCont?").payload, "vCont;c;C;s;S");
    const Reply d = stub.handle("D");
    EXPECT_EQ(*d.payload, "OK");
    EXPECT_EQ(d.resume, Resume::detach);
    const Reply k = stub.handle("k");
    EXPECT_FALSE(k.payload);
    EXPECT_EQ(k.resume, Resume::kill);
    EXPECT_EQ(*stub.handle("Qunknown").payload, "");
}

TEST(GdbStub, QueriesAndTargetDescription) {
    FakeTarget t;
    Stub stub(t);
    EXPECT_EQ(*stub.handle("qSupported:multiprocess+;swbreak+").payload,
              "PacketSize=4000;qXfer:features:read+;vContSupported+");
    const std::string xml = target_xml();
    EXPECT_NE(xml.find("<architecture>riscv:rv64</architecture>"), std::string::npos);
    EXPECT_NE(xml.find("<reg name=\"pc\" bitsize=\"64\" type=\"code_ptr\" regnum=\"32\"/>"), std::string::npos);
    EXPECT_NE(xml.find("<reg name=\"mstatus\" bitsize=\"64\" type=\"int\" regnum=\"33\" group=\"csr\"/>"),
              std::string::npos);
    EXPECT_EQ(*stub.handle("qXfer:features:read:target.xml:0,10").payload, "m" + xml.substr(0, 16));
    EXPECT_EQ(*stub.handle("qXfer:features:read:target.xml:10,100000").payload, "l" + xml.substr(16));
    EXPECT_EQ(*stub.handle("qXfer:features:read:target.xml:100000,10").payload, "l");
}

TEST(GdbSocket, ListensOnLoopbackOnly) {
    Socket s(0);
    ASSERT_NE(s.port(), 0);
    // Reaching it through loopback works; its bound address is 127.0.0.1, so no other interface reaches it.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(s.port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    s.accept();
    EXPECT_TRUE(s.connected());
    ASSERT_EQ(::write(fd, "$", 1), 1);
    EXPECT_EQ(s.read(), '$');
    ::close(fd);
    EXPECT_FALSE(s.read());  // the client has gone: no byte, no hang
    EXPECT_FALSE(s.connected());
}

TEST(GdbSocket, BusyPortIsBadInput) {
    Socket first(0);
    try {
        Socket second(first.port());
        FAIL() << "a second listener on the same port";
    } catch (const elstm::Error& e) {
        EXPECT_EQ(std::string(e.what()),
                  "host.gdb: cannot listen on 127.0.0.1:" + std::to_string(first.port()) + ": Address already in use");
    }
}

}  // namespace
}  // namespace elstm::gdb
