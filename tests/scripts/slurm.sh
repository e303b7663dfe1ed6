#!/usr/bin/env bash
# scripts.slurm: a sweep through a real single-node Slurm cluster, against the same sweep run here.
#   slurm.sh ELSTM_VP SOURCE_DIR
# Brings up munged, slurmctld and slurmd (state, spool, logs, key and socket in a temporary folder)
# inside a network namespace of its own that has nothing but loopback, and a PID namespace of its
# own, so nothing it started outlives it however it ends. Submits the array script that
# `sweep.py --emit-slurm` writes with one task forced to fail, checks that the merge names that
# point with its log and the command that resubmits just it, resubmits, and compares the merged
# CSV with the local one row for row. Prints the throughput of both.
# Exit 77 (skipped) where the daemons cannot run: not root, Slurm or munge not installed, no
# namespaces. With CI=true, where they must run, that is a failure instead.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 ELSTM_VP SOURCE_DIR" >&2; exit 2; }
vp=$(realpath "$1")
src=$(realpath "$2")
sweep="$src/scripts/sweep.py"
self=$(realpath "$0")

fail() { echo "FAIL (slurm): $*" >&2; exit 1; }
trap 'echo "FAIL (slurm): line $LINENO: $BASH_COMMAND" >&2' ERR

if [ -z "${ELSTM_SLURM_INSIDE:-}" ]; then
    cannot() {
        [ "${CI:-}" != true ] || fail "CI must run the Slurm cluster, but $*"
        echo "SKIP (slurm): $*" >&2
        exit 77
    }
    [ "$(id -u)" -eq 0 ] || cannot "slurmd runs only as root"
    for tool in munged slurmctld slurmd sbatch squeue sinfo scancel unshare ip; do
        command -v "$tool" >/dev/null ||
            cannot "$tool is not installed (apt-get install munge slurmctld slurmd slurm-client iproute2)"
    done
    unshare --net --pid --fork true 2>/dev/null || cannot "no network and PID namespaces here"
    # The test runs as the init of a new PID namespace: when it exits, the kernel ends every
    # process left there. If unshare is killed, the test gets SIGTERM.
    ELSTM_SLURM_INSIDE=1 unshare --net --pid --fork --kill-child=SIGTERM --mount-proc \
        bash "$self" "$@" &
    inner=$!
    # unshare ignores SIGINT and SIGTERM while it waits, so they go to the test itself, which
    # stops its cluster and exits; unshare then ends with the test's exit code.
    stop() {
        local init
        init=$(cat "/proc/$inner/task/$inner/children" 2>/dev/null) || return 0
        [ -z "$init" ] || kill -"$1" $init 2>/dev/null || true
    }
    trap 'stop INT' INT
    trap 'stop TERM' TERM
    while :; do
        rc=0
        wait "$inner" || rc=$?
        kill -0 "$inner" 2>/dev/null || exit "$rc"
    done
fi

[ -x "$vp" ] || fail "$vp is not an executable"
ip link set lo up
# Slurm resolves 127.0.0.1 with getaddrinfo(AI_ADDRCONFIG), which glibc refuses while the only
# IPv4 address is 127.0.0.1 itself; a second loopback address (on lo too) satisfies it.
ip addr add 127.0.0.2/8 dev lo

tmp=$(mktemp -d "${TMPDIR:-/tmp}/elstm-slurm-test.XXXXXX")
daemons=()
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "${SLURM_CONF:-}" ] && [ ${#daemons[@]} -gt 0 ]; then
        scancel --quiet --user=root 2>/dev/null || true
    fi
    local pid
    for pid in "${daemons[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${daemons[@]}"; do
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    # The namespace's init: whatever is left in it (a job's steps, a sweep) was started here.
    if [ $$ -eq 1 ]; then
        kill -KILL -1 2>/dev/null || true
        wait 2>/dev/null || true
    fi
    if [ "$rc" -ne 0 ]; then
        local log
        for log in "$tmp"/log/* "$tmp"/cluster.parts/slurm-*.log; do
            [ -f "$log" ] && { echo "--- ${log#"$tmp"/}" >&2; tail -n 15 "$log" >&2; }
        done
    fi
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
cd "$tmp"
mkdir -p log state spool munge
export SC_COPYRIGHT_MESSAGE=DISABLE PYTHONDONTWRITEBYTECODE=1

# munged: its own key, socket, pid, seed and log; the socket's folders must be searchable by all.
chmod 711 "$tmp" munge
head -c 1024 /dev/urandom >munge/munge.key
chmod 600 munge/munge.key
munged --foreground --socket="$tmp/munge/munge.sock" --key-file="$tmp/munge/munge.key" \
    --pid-file="$tmp/munge/munged.pid" --log-file="$tmp/log/munged.log" \
    --seed-file="$tmp/munge/munged.seed" >>log/munged.out 2>&1 &
daemons+=($!)
for _ in $(seq 100); do [ -S munge/munge.sock ] && break; sleep 0.1; done
[ -S munge/munge.sock ] || fail "munged did not start"

# Two free ports on loopback (in this namespace nothing else listens, but never assume).
read -r ctld_port slurmd_port < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')
cores=$(nproc)
cat >slurm.conf <<EOF
ClusterName=elstm-test
SlurmctldHost=$(hostname -s)(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$tmp/munge/munge.sock
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
PlugStackConfig=$tmp/plugstack.conf
ProctrackType=proctrack/pgid
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MinJobAge=600
NodeName=elstm NodeAddr=127.0.0.1 CPUs=$cores State=UNKNOWN
PartitionName=sweep Nodes=elstm Default=YES MaxTime=INFINITE State=UP
EOF
: >plugstack.conf
export SLURM_CONF="$tmp/slurm.conf"
slurmctld -D -i >>log/slurmctld.out 2>&1 &
daemons+=($!)
slurmd -D -N elstm >>log/slurmd.out 2>&1 &
daemons+=($!)
for _ in $(seq 300); do
    [ "$(sinfo -h -n elstm -o %t 2>/dev/null)" = idle ] && break
    sleep 0.1
done
[ "$(sinfo -h -n elstm -o %t 2>/dev/null)" = idle ] || fail "the node did not come up idle"

# Long commands run in the background and are waited for, so that a signal interrupts the wait
# and the test stops at once (bash runs a trap only once the foreground command has ended).
interruptible() { "$@" & wait $!; }

# wait_job JOB SECONDS: wait until every task of JOB has ended; sets states to "task state" lines.
wait_job() {
    local job="$1" deadline=$((SECONDS + $2))
    while :; do
        states=$(squeue -h -r -t all -j "$job" -o '%K %T' | sort -n)
        grep -qE 'PENDING|RUNNING|COMPLETING|CONFIGURING|SUSPENDED|REQUEUE' <<<"$states" || return 0
        [ "$SECONDS" -lt "$deadline" ] || fail "job $job did not finish within $2 s: $states"
        interruptible sleep 0.2
    done
}
now() { date +%s.%N; }
# seconds START END [START END...]: the intervals' total.
seconds() {
    python3 -c 'import sys; t = [float(x) for x in sys.argv[1:]]
print(f"{sum(t[i + 1] - t[i] for i in range(0, len(t), 2)):.1f}")' "$@"
}

# The sweep: mnist, N_pe 2..4 x N_fuse 1..3 and the 3 sequential companions, 12 points.
grid=(--vp "$vp" --config "$src/configs/mnist.yaml" --n-pe 2..4 --n-fuse 1..3)
t0=$(now)
interruptible python3 "$sweep" "${grid[@]}" -o local.csv --jobs "$cores" 2>local.err ||
    fail "local sweep: $(tail -n 3 local.err)"
t1=$(now)
python3 "$sweep" "${grid[@]}" -o cluster.csv --emit-slurm sweep.sbatch --sbatch=--time=0:05:00 \
    2>emit.err || fail "--emit-slurm: $(cat emit.err)"
n_points=$(grep -c '^# task [0-9]*: ' sweep.sbatch)
[ "$n_points" -eq 12 ] || fail "the script lists $n_points points, not 12"
grep -qx "#SBATCH --time=0:05:00" sweep.sbatch || fail "the --sbatch option is not in the script"

# Task 7 cannot write its part file (a folder has its name, as a full or read-only disk on a node
# would make it fail): it fails before it runs its point, and the others are not disturbed.
mkdir cluster.parts/point_7.csv
t2=$(now)
job=$(sbatch --parsable sweep.sbatch)
wait_job "$job" 240
t3=$(now)
expected=$(for k in $(seq 0 11); do
    if [ "$k" -eq 7 ]; then echo "$k FAILED"; else echo "$k COMPLETED"; fi
done)
[ "$states" = "$expected" ] || fail "job $job ended as
$states"

rc=0
python3 "$sweep" --merge cluster.csv cluster.parts 2>merge1.err || rc=$?
[ "$rc" -eq 1 ] || fail "merge with a failed task: exit $rc (want 1): $(cat merge1.err)"
want="sweep: point 7 (accel.n_pe=3 schedule.n_fuse=2 schedule.kind=cell_fusion): no result; log \
cluster.parts/slurm-${job}_7.log: sweep: [Errno 21] Is a directory: '$tmp/cluster.parts/point_7.csv'"
grep -qxF "$want" merge1.err || fail "merge does not report the failed task as
$want
but
$(cat merge1.err)"
resubmit="sbatch --array=7 $tmp/sweep.sbatch"
grep -qxF "sweep: 1 of 12 points have no ok row; resubmit just them: $resubmit" merge1.err ||
    fail "merge does not give the resubmission '$resubmit': $(cat merge1.err)"

# The resubmission runs only the missing point and leaves the other parts as they are.
sums=$(cd cluster.parts && find . -maxdepth 1 -type f -name 'point_*.csv' -exec sha256sum {} +)
rmdir cluster.parts/point_7.csv
t4=$(now)
job2=$(${resubmit/sbatch/sbatch --parsable})
wait_job "$job2" 120
t5=$(now)
[ "$states" = "7 COMPLETED" ] || fail "resubmitted job $job2 ended as $states"
logs=$(cd cluster.parts && ls slurm-"${job2}"_*.log)
[ "$logs" = "slurm-${job2}_7.log" ] || fail "the resubmission ran $logs, not only task 7"
(cd cluster.parts && sha256sum --quiet -c <<<"$sums") || fail "the resubmission changed other parts"

python3 "$sweep" --merge cluster.csv cluster.parts 2>merge2.err ||
    fail "merge after the resubmission: $(cat merge2.err)"

# Row for row equal but for wall_s, the wall time of each run, which depends on the machine's load.
python3 - local.csv cluster.csv <<'EOF' || fail "the merged CSV differs from the local one"
import csv, sys
tables = []
for path in sys.argv[1:]:
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        tables.append((reader.fieldnames, [dict(r, wall_s=None) for r in reader]))
(local_header, local), (cluster_header, cluster) = tables
problems = []
if local_header != cluster_header:
    problems.append(f"columns {local_header} vs {cluster_header}")
if len(local) != len(cluster):
    problems.append(f"{len(local)} rows vs {len(cluster)}")
for i, (a, b) in enumerate(zip(local, cluster)):
    for column in a:
        if a[column] != b.get(column):
            problems.append(f"row {i + 1} {column}: {a[column]!r} (local) vs {b.get(column)!r} (cluster)")
if len(local) != 12 or any(r["status"] != "ok" for r in local):
    problems.append("the local sweep did not give 12 ok rows")
for problem in problems:
    print(problem, file=sys.stderr)
sys.exit(1 if problems else 0)
EOF

local_s=$(seconds "$t0" "$t1")
cluster_s=$(seconds "$t2" "$t3" "$t4" "$t5")
rate() { python3 -c "import sys; print(f'{12 * 60 / float(sys.argv[1]):.0f}')" "$1"; }
echo "slurm: 12 points on $cores cores: local (--jobs $cores) ${local_s} s, $(rate "$local_s") points/min;" \
    "Slurm array (2 submissions) ${cluster_s} s, $(rate "$cluster_s") points/min"
echo "slurm: merged CSV equals the local one (but for wall_s); all checks passed"
