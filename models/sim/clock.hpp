#pragma once
#include <systemc>

#include <cstdint>

namespace elstm::sim {

using Cycles = std::uint64_t;

// The platform's one clock. Every delay in the models is a whole number of its cycles.
class Clock {
public:
    explicit Clock(sc_core::sc_time period = sc_core::sc_time(1, sc_core::SC_NS)) : period_(period) {}

    sc_core::sc_time period() const { return period_; }
    sc_core::sc_time time(Cycles c) const { return period_ * static_cast<double>(c); }
    // Current simulated time in cycles (the models only ever wait whole cycles).
    Cycles now() const { return cycles(sc_core::sc_time_stamp()); }
    Cycles cycles(const sc_core::sc_time& t) const { return t.value() / period_.value(); }
    // Waits until cycle c (no-op if it is now or past).
    void wait_until(Cycles c) const {
        const Cycles n = now();
        if (c > n) sc_core::wait(time(c - n));
    }

private:
    sc_core::sc_time period_;
};

}  // namespace elstm::sim
