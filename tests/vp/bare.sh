#!/usr/bin/env bash
# elstm-vp with `workload: none`: any ELF runs without a workload or golden check, its exit code
# is elstm-vp's (1 .. 255 as is, else 255); the summary and stats say there is no workload, the
# accelerator is there (the program's RoCC commands reach it); keys that need a workload conflict.
set -euo pipefail
source "$(dirname "$0")/lib.bash" "$@"

programs="$(dirname "$vp")/tests/core_wrap"
cat > bare.yaml <<YAML
clock_mhz: 1000
workload: none
host:
  firmware: $programs/bare_exit0.elf
YAML

# Exit 0: the summary and stats say there is no workload. The program's RoCC commands (a shape,
# and a query answering 0 completed layers) reach the accelerator: an unknown one would trap.
must_pass exit0 --config bare.yaml --vcd "" -q --stats exit0.json
[ "$(json exit0.json "s['workload'], s['golden'], s['runs'], s['weights'], s['cycles'], s['host']['exit_code']")" = \
  "('none', None, [], [], 0, 0)" ] || problem "exit0: stats do not say 'no workload': $(cat exit0.json)"
grep -qx '  workload: none (no layer runs, no golden check)' exit0.out || problem "exit0: summary lacks the workload line: $(cat exit0.out)"
if grep -Eq '^  (golden check|run  layer)' exit0.out; then problem "exit0: summary shows layer runs or a golden check: $(cat exit0.out)"; fi
grep -Eq '^  core: .*bare_exit0.elf, [1-9][0-9]* instructions' exit0.out || problem "exit0: no core line: $(cat exit0.out)"
[ "$(json exit0.json "s['host']['instructions'] > 100, s['end_cycle'] > 100")" = "(True, True)" ] \
    || problem "exit0: the program did not run: $(json exit0.json "s['host'], s['end_cycle']")"

# The firmware's exit code is elstm-vp's: 3 as it is, 300 (which a status would truncate to 44) 255.
expect_error exit3 3 "the firmware exited with code 3$" --config bare.yaml --vcd "" -q --set host.firmware=$programs/bare_exit3.elf
expect_error exit300 255 "the firmware exited with code 300$" --config bare.yaml --vcd "" -q --set host.firmware=$programs/bare_exit300.elf
# --set workload=none turns a shipped config into a bare run.
must_pass set_none --config "$configs/quick.yaml" --vcd "" -q --stats set_none.json --set workload=none \
    --set host.firmware=$programs/bare_exit0.elf
[ "$(json set_none.json "s['workload'], s['golden']")" = "('none', None)" ] || problem "set_none: $(json set_none.json "s['workload']")"

# Conflicts: the test-bench driver, the built-in firmware and workload keys need a workload.
printf 'workload: none\nhost:\n  kind: driver\n  firmware: %s\n' "$programs/bare_exit0.elf" > driver.yaml
printf 'workload: none\n' > nofirmware.yaml
expect_error driver 2 "driver.yaml:3:9: host.kind: driver runs the workload's layers, but workload is none \(line 1\); run a program with host.kind: core$" \
    --config driver.yaml --vcd ""
expect_error set_driver 2 "--set host.kind=driver: driver runs the workload's layers, but workload is none \(line 2\)" \
    --config bare.yaml --vcd "" --set host.kind=driver
expect_error no_firmware 2 "nofirmware.yaml:1:11: workload: none needs host.firmware: the path of your program's ELF" \
    --config nofirmware.yaml --vcd ""
expect_error builtin_firmware 2 "--set host.firmware=lstm_cpu: lstm_cpu runs the workload's layers, but workload is none \(line 1\)" \
    --config nofirmware.yaml --vcd "" --set host.firmware=lstm_cpu
expect_error workload_key 2 "--set workload.steps=3: workload is none \(line 2\): a run without a workload has no workload.steps$" \
    --config bare.yaml --vcd "" --set workload.steps=3
expect_error workload_key_before 2 "--set workload.steps=3: workload is none \(--set workload=none\): a run without a workload has no workload.steps$" \
    --config "$configs/quick.yaml" --vcd "" --set workload.steps=3 --set workload=none --set host.firmware=$programs/bare_exit0.elf

finish
