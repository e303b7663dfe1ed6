// The smallest firmware: main returns 0 (vp.firmware, case return0).
int main(void) { return 0; }
