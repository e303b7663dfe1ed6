#pragma once
#include <ostream>
#include <string>

#include <elstm_vp/platform/platform.hpp>

namespace elstm {

// The layout of the stats JSON: raised whenever a field changes its meaning or goes away
// (README "Statistics").
inline constexpr unsigned kStatsSchemaVersion = 1;

// The run's statistics as JSON (docs/design.md §5). Only simulated quantities go in, so the same
// config and seed give a byte-identical file; wall-clock figures go to the summary only.
std::string stats_json(const Platform& platform, const GoldenCheck& golden);

// The statistics of an interrupted run (Platform::interrupted()): everything simulated up to
// the stop, only the layer runs that finished, "interrupted": true with "interrupted_at" (the
// position()), "end_cycle" the stop, and "golden": null (the outputs are incomplete).
std::string interrupted_stats_json(const Platform& platform);

// The cycles of every layer run the accelerator finished.
std::uint64_t accelerator_cycles(const Platform& platform);

// The human summary on stdout: per layer cycles and split, utilisations, skipped h blocks,
// analytic comparison, buffers, and the simulation speed.
void print_summary(std::ostream& os, const Platform& platform, const GoldenCheck& golden, double wall_seconds);

}  // namespace elstm
