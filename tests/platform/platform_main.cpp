#include <gtest/gtest.h>
#include <systemc>

#include <cstdlib>

// libsystemc defines main() and calls sc_main; gtest_main would define a second main.
int sc_main(int argc, char** argv) {
    setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 0);
    testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
