// Sanitizer defaults of the fuzz_rocc executable alone. The harness switches SystemC's coroutine
// stacks on the thread that libFuzzer's driver runs on, after which LeakSanitizer's check at
// exit no longer finds the driver's own locals on that thread's stack and reports them as
// leaks. The check after every input that allocated more than it freed (libFuzzer's
// -detect_leaks) stays on and covers the models.
extern "C" const char* __asan_default_options() { return "leak_check_at_exit=0"; }
