#include <elstm_vp/rocc/rocc_if.hpp>

namespace elstm {

const char* port_user_name(PortUser user) {
    switch (user) {
        case PortUser::idle: return "idle";
        case PortUser::x: return "x";
        case PortUser::bias: return "bias";
        case PortUser::table: return "table";
        case PortUser::w: return "W";
        case PortUser::u: return "U";
        case PortUser::store: return "store";
    }
    return "?";  // not a PortUser value (a cast from a bad integer)
}

}  // namespace elstm
