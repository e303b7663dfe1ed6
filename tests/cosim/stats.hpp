#pragma once
// The user's own header of the same name as the platform's platform/stats.hpp.
struct UserStats {
    int value = 7;
};
