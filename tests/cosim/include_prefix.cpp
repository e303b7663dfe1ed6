// A user's translation unit with only <build>/include (as <prefix>/include of an installation)
// and its own folder user/ on the include path: the platform's headers come in by
// <elstm_vp/...>, and the user's own headers of the platform's names stay the user's:
// user/sim/clock.hpp and user/stats.hpp stop the compile if a platform header reaches them,
// and this file's own "stats.hpp" (beside it) is the user's.
#include <elstm_vp/accel/accelerator.hpp>
#include <elstm_vp/dram/dram.hpp>
#include <elstm_vp/platform/platform.hpp>
#include <elstm_vp/platform/stats.hpp>
#include <elstm_vp/platform/yaml_config.hpp>
#include <elstm_vp/rocc/rocc_channel.hpp>

#include "stats.hpp"

// SystemC's own main calls sc_main.
int sc_main(int, char*[]) { return UserStats{}.value == 7 && elstm::kImageOffset == (1u << 20) ? 0 : 1; }
