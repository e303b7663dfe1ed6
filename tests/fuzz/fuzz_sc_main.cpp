// libsystemc defines main() and needs an sc_main (declared extern "C" by SystemC); in a fuzz
// target libFuzzer's main runs instead, so this one is never called.
extern "C" int sc_main(int, char**) { return 0; }
