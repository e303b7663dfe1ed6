#include <elstm_vp/sim/timed_signal.hpp>

namespace elstm::sim {

namespace {

// Reports a change planned for a cycle already gone (the handler may be set not to throw,
// so the caller then drops the change).
bool in_past(const sc_core::sc_module& owner, const Clock& clock, Cycles at) {
    if (at >= clock.now()) return false;
    SC_REPORT_ERROR(owner.name(), "a level change was planned in the past");
    return true;
}

}  // namespace

TimedLevel::TimedLevel(sc_core::sc_module_name name, Clock clock)
    : sc_module(name), signal("level", 0), clock_(clock) {
    SC_HAS_PROCESS(TimedLevel);
    SC_METHOD(apply);
    sensitive << wake_;
    dont_initialize();
}

void TimedLevel::add_at(Cycles at, std::int64_t delta) {
    if (in_past(*this, clock_, at) || delta == 0) return;
    final_ += delta;
    // Opposite deltas at one cycle cancel, so the trace shows no change there.
    if ((plan_[at] += delta) == 0) plan_.erase(at);
    if (!plan_.empty()) wake_.notify(clock_.time(plan_.begin()->first - clock_.now()));
}

void TimedLevel::add_interval(Cycles from, Cycles to) {
    if (to < from) SC_REPORT_ERROR(name(), "an interval ends before it starts");
    // Checked up front so a rejected interval leaves no half behind.
    if (to <= from || in_past(*this, clock_, from)) return;
    add_at(from, +1);
    add_at(to, -1);
}

void TimedLevel::apply() {
    const Cycles now = clock_.now();
    // The signal holds the level of every change applied so far; a write of this delta
    // is not visible yet, but apply runs at most once per delta cycle.
    std::int64_t level = signal.read();
    while (!plan_.empty() && plan_.begin()->first <= now) {
        level += plan_.begin()->second;
        plan_.erase(plan_.begin());
    }
    signal.write(level);
    if (!plan_.empty()) wake_.notify(clock_.time(plan_.begin()->first - now));
}

}  // namespace elstm::sim
