#pragma once
// The events of the energy model (numeric/energy.hpp) as the platform counted them.
#include <elstm_vp/numeric/energy.hpp>
#include <elstm_vp/platform/platform.hpp>

namespace elstm {

// One finished layer run's: its port words, command words, MACs, vector-PE operations and
// buffer accesses.
EnergyEvents run_energy_events(const Accelerator& accel, const LayerRun& run);

// The whole run's: every finished layer run's, the command words outside them (commands after
// the last start) and the core's retired instructions.
EnergyEvents platform_energy_events(const Platform& p);

// energy_of with the platform's table and datapath.
EnergyBreakdown platform_energy(const Platform& p, const EnergyEvents& events);

}  // namespace elstm
