#pragma once
#error "a platform header included the user's own sim/clock.hpp instead of <elstm_vp/sim/clock.hpp>"
