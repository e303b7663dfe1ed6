#include <gtest/gtest.h>
#include <systemc>

#include <cstdlib>

// Our own main replaces libsystemc's so the banner can be switched off before SystemC
// prints it (it does so before sc_main is called); sc_elab_and_sim then calls sc_main.
int main(int argc, char** argv) {
    setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 0);
    return sc_core::sc_elab_and_sim(argc, argv);
}

// Each test elaborates its own modules and runs sc_start, so CTest runs every test in its
// own process (see tests/CMakeLists.txt).
int sc_main(int argc, char** argv) {
    testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
