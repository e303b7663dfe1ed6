#!/usr/bin/env bash
# Runs every libFuzzer target of a -DELSTM_FUZZ=ON build for SECONDS each, one after the other,
# from a copy of its seed corpus (tests/fuzz/corpus/<target>/ is never written) with its
# dictionary (<target>.dict, the format's keywords) when it has one, and prints per target the
# executions and the coverage libFuzzer reached. Exits 1 on any finding (crash, sanitizer
# report, timeout, leak, out of memory), naming the reproducer and its log.
#
#   tests/fuzz/run_fuzzers.sh BUILD_DIR [SECONDS] [TARGET...]
#
# The reproducers and the logs stay in BUILD_DIR/fuzz-out/<target>/; replay one with
#   BUILD_DIR/fuzz_<target> BUILD_DIR/fuzz-out/<target>/crash-...
set -uo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 BUILD_DIR [SECONDS] [TARGET...]" >&2
  exit 2
fi
build_dir=$(cd "$1" && pwd) || exit 2
seconds=${2:-60}
shift $(( $# >= 2 ? 2 : 1 ))
here=$(cd "$(dirname "$0")" && pwd)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(yaml_config elf npy esell iss_decode packed output_path semihosting rocc)

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export SC_COPYRIGHT_MESSAGE=DISABLE

failed=()
summary=()
for t in "${targets[@]}"; do
  exe="$build_dir/fuzz_$t"
  if [ ! -x "$exe" ]; then
    echo "run_fuzzers: $exe is missing (configure with -DELSTM_FUZZ=ON, build --target fuzzers)" >&2
    failed+=("$t")
    continue
  fi
  out="$build_dir/fuzz-out/$t"
  rm -rf "$out"
  mkdir -p "$out/corpus"
  cp -r "$here/corpus/$t/." "$out/corpus/"
  log="$out/fuzz.log"
  echo "run_fuzzers: $t for ${seconds} s ($(ls "$out/corpus" | wc -l) seeds)"
  dict=()
  [ -f "$here/$t.dict" ] && dict=(-dict="$here/$t.dict")
  "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -use_value_profile=1 "${dict[@]}" -artifact_prefix="$out/" "$out/corpus" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  corp=$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' "$log" | tail -1 | cut -d' ' -f2)
  seeds_cov=$(sed -n 's/.*INITED cov: \([0-9]*\).*/\1/p' "$log" | head -1)
  edges=$(sed -n 's/^INFO: Loaded 1 modules *(\([0-9]*\) inline 8-bit counters).*/\1/p' "$log" | head -1)
  line=$(printf '%-12s %9s executions  cov %5s of %5s edges (seeds alone: %5s)  ft %6s  corpus %s' \
    "$t" "${execs:-?}" "${cov:-?}" "${edges:-?}" "${seeds_cov:-?}" "${ft:-?}" "${corp:-?}")
  artifacts=$(find "$out" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'leak-*' \
    -o -name 'oom-*' \) | sort)
  if [ $rc -ne 0 ] || [ -n "$artifacts" ]; then
    failed+=("$t")
    summary+=("$line  FINDING (exit $rc)")
    echo "run_fuzzers: $t: FINDING (exit $rc); log $log" >&2
    grep -E '^==[0-9]+==|SUMMARY:|runtime error:|fuzz_[a-z_]+: |terminate called|what\(\)|Test unit written to|^ +#[0-9]+ ' "$log" \
      | head -60 >&2
    for a in $artifacts; do echo "run_fuzzers: reproducer $a (replay: $exe $a)" >&2; done
  else
    summary+=("$line")
  fi
done

echo
echo "run_fuzzers: ${seconds} s per target"
for line in "${summary[@]}"; do echo "  $line"; done
echo "fuzz: $(( ${#targets[@]} - ${#failed[@]} )) passed, ${#failed[@]} failed"
if [ ${#failed[@]} -gt 0 ]; then
  echo "run_fuzzers: findings in: ${failed[*]}" >&2
  exit 1
fi
echo "run_fuzzers: no findings"
