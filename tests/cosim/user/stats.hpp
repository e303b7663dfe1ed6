#pragma once
#error "a platform header included the user's own stats.hpp instead of <elstm_vp/platform/stats.hpp>"
