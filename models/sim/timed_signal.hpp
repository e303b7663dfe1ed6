#pragma once
#include <systemc>

#include <cstdint>
#include <map>
#include <string>

#include <elstm_vp/sim/clock.hpp>

// Traced signals whose changes are known ahead of time. The fast timing mode plans port
// bursts and PE tasks before their cycles arrive; these modules hold the planned changes
// and apply them when simulated time gets there, so the VCD shows every change at its own
// cycle while the models stay at transaction level.
namespace elstm::sim {

// A value that takes `value` from cycle `at` on. Later plans for the same cycle win.
template <typename T>
class TimedValue : public sc_core::sc_module {
public:
    TimedValue(sc_core::sc_module_name name, Clock clock, T initial = T{})
        : sc_module(name), signal("value", initial), clock_(clock) {
        SC_HAS_PROCESS(TimedValue);
        SC_METHOD(apply);
        sensitive << wake_;
        dont_initialize();
    }

    void set_at(Cycles at, T value) {
        if (at < clock_.now()) SC_REPORT_ERROR(name(), "a signal change was planned in the past");
        plan_[at] = value;
        wake_.notify(clock_.time(plan_.begin()->first - clock_.now()));
    }
    void set_now(T value) { set_at(clock_.now(), value); }

    sc_core::sc_signal<T> signal;

private:
    void apply() {
        const Cycles now = clock_.now();
        while (!plan_.empty() && plan_.begin()->first <= now) {
            signal.write(plan_.begin()->second);
            plan_.erase(plan_.begin());
        }
        if (!plan_.empty()) wake_.notify(clock_.time(plan_.begin()->first - now));
    }

    Clock clock_;
    std::map<Cycles, T> plan_;
    sc_core::sc_event wake_;
};

// A level built from planned increments, e.g. "DRAM accesses in flight" or a buffer's fill.
class TimedLevel : public sc_core::sc_module {
public:
    TimedLevel(sc_core::sc_module_name name, Clock clock);

    void add_at(Cycles at, std::int64_t delta);
    // Convenience for busy intervals: +1 at `from`, −1 at `to` (nothing if from == to).
    void add_interval(Cycles from, Cycles to);
    std::int64_t planned_final() const { return final_; }

    sc_core::sc_signal<std::int64_t> signal;

private:
    void apply();

    Clock clock_;
    std::map<Cycles, std::int64_t> plan_;
    std::int64_t final_ = 0;
    sc_core::sc_event wake_;
};

}  // namespace elstm::sim
