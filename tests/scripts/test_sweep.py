"""scripts/sweep.py (with sweep_rows.py and slurm_array.py): parsing, the points, CSV rows,
resume, failures, interrupts, --point, Slurm and --merge. The runs go to a fake elstm-vp (written below) that writes a plausible stats JSON, logs
each invocation, and fails or sleeps on request, so the tests are fast and deterministic."""
import csv
import hashlib
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts")
SWEEP = os.path.join(SCRIPTS, "sweep.py")
sys.path.insert(0, SCRIPTS)
import sweep  # noqa: E402
import sweep_rows  # noqa: E402

# Cycles per layer (its two sequences together): sequential 10000·L; cell fusion 1000·L·(10 − n_pe) + 100·n_fuse, so the speedup
# of (n_pe 3, n_fuse 2) on layer 2 is 20000 / 14200.
FAKE_VP = textwrap.dedent('''\
    #!{python} -S
    import json, os, sys, time
    args = sys.argv[1:]
    sets = [args[i + 1] for i, a in enumerate(args) if a == "--set"]
    if "--dump-config" in args or "--list-inputs" in args:
        config = args[args.index("--config") + 1]
        if "--dump-config" in args:
            sys.stdout.write(open(config).read() + "".join("# set " + s + "\\n" for s in sets))
        else:
            print("the config\\t" + config)
            for item in filter(None, os.environ.get("FAKE_INPUTS", "").split(os.pathsep)):
                print(item.replace("=", "\\t", 1))
        sys.exit(0)
    stats = args[args.index("--stats") + 1]
    with open(os.environ["FAKE_LOG"], "a") as f:
        f.write(" ".join(sets) + "\\n")
    time.sleep(float(os.environ.get("FAKE_SLEEP", "0")))
    if os.environ.get("FAKE_FAIL") in sets:
        sys.stderr.write("elstm-vp: pretend failure\\nsecond line\\n")
        sys.exit(1)
    if os.environ.get("FAKE_GARBAGE") in sets:
        open(stats, "w").write("{{not json")
        sys.exit(0)
    p = dict(s.split("=", 1) for s in sets)
    n_pe, n_fuse = int(p.get("accel.n_pe", 3)), int(p.get("schedule.n_fuse", 3))
    runs = []
    for seq in range(2):
        for layer in (1, 2):
            if p.get("schedule.kind") == "sequential":
                cycles = 10000 * layer // 2
            else:
                cycles = (1000 * layer * (10 - n_pe) + 100 * n_fuse) // 2
            runs.append(dict(layer=layer, sequence=seq, cycles=cycles, prolog=1, main=2, epilog=3,
                             port_utilisation_w=0.25 * layer, port_utilisation_u=0.5,
                             pe_utilisation={{"pe0": 0.5, "vpe": 0.1}}))
    pes = [dict(name="pe%d" % i, role="spmv", utilisation=0.2 * (i + 1)) for i in range(n_pe)]
    pes.append(dict(name="vpe", role="vector", utilisation=0.9))  # not in the PEs' mean
    json.dump(dict(cycles=sum(r["cycles"] for r in runs), runs=runs, pes=pes,
                   buffers=[dict(name="buf_x", area=100.5), dict(name="buf_h", area=20)],
                   golden=dict(passed=True)), open(stats, "w"))
    ''').format(python=sys.executable)


def identity_hash(config_text, sets=(), inputs=()):
    """The hash sweep.py keys rows on, from its definition: the effective configuration (the fake
    elstm-vp's --dump-config: the file, then a line per --set), then per input file its key, path
    and content hash."""
    digest = hashlib.sha256((config_text + "".join(f"# set {s}\n" for s in sets)).encode())
    for key, path in inputs:
        digest.update(f"\0{key}\0{path}\0".encode())
        with open(path, "rb") as f:
            digest.update(hashlib.sha256(f.read()).hexdigest().encode())
    return digest.hexdigest()


def read_rows(path):
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        return reader.fieldnames, list(reader)


class ParsingTest(unittest.TestCase):
    def test_lists_and_ranges(self):
        self.assertEqual(sweep_rows.parse_values("2..4"), ["2", "3", "4"])
        self.assertEqual(sweep_rows.parse_values("1,3, 5"), ["1", "3", "5"])
        self.assertEqual(sweep_rows.parse_values("2..3,8"), ["2", "3", "8"])
        self.assertEqual(sweep_rows.parse_values("7"), ["7"])
        self.assertEqual(sweep_rows.parse_values("fast,exact"), ["fast", "exact"])
        self.assertEqual(sweep_rows.parse_values("-1..1"), ["-1", "0", "1"])

    def test_yaml_values_keep_their_commas(self):
        self.assertEqual(sweep_rows.parse_values("[3,2],[2, 2]"), ["[3,2]", "[2, 2]"])
        self.assertEqual(sweep_rows.parse_values("{lanes: 4, latency: 8},{lanes: 8}"),
                         ["{lanes: 4, latency: 8}", "{lanes: 8}"])

    def test_bad_values(self):
        for spec, message in [("", "empty value"), ("1,,2", "empty value"), ("5..2", "empty"),
                              ("a..b", "not an integer range"), ("1..3,2", "more than once"),
                              ("1.5..3", "not an integer range")]:
            with self.subTest(spec=spec), self.assertRaisesRegex(sweep_rows.UsageError, message):
                sweep_rows.parse_values(spec)

    def params(self, argv):
        return sweep_rows.sweep_params(sweep.parse_args(["--config", "c.yaml", "-o", "o.csv"] + argv))

    def test_shorthands_params_and_sets(self):
        params, fixed = self.params(["--n-fuse", "1..2", "--n-pe", "2,4", "--param", "dram.latency=0,30",
                                     "--set", "workload.steps=12"])
        self.assertEqual(list(params), ["accel.n_pe", "schedule.n_fuse", "dram.latency", "schedule.kind"])
        self.assertEqual(params["accel.n_pe"], ["2", "4"])
        self.assertEqual(params["schedule.kind"], ["cell_fusion"])
        self.assertEqual(fixed, {"workload.steps": "12"})

    def test_fixed_kind_becomes_the_kind_parameter(self):
        params, fixed = self.params(["--n-pe", "2", "--set", "schedule.kind=sequential"])
        self.assertEqual(params["schedule.kind"], ["sequential"])
        self.assertEqual(fixed, {})

    def test_conflicts(self):
        for argv, message in [(["--n-pe", "2", "--param", "accel.n_pe=3"], "swept twice"),
                              (["--n-pe", "2", "--set", "accel.n_pe=3"], "also swept"),
                              (["--param", "accel.n_pe"], "expected KEY=VALUE"),
                              (["--set", "=3"], "expected KEY=VALUE")]:
            with self.subTest(argv=argv), self.assertRaisesRegex(sweep_rows.UsageError, message):
                self.params(argv)


class PointsTest(unittest.TestCase):
    def test_product_with_sequential_companions_first(self):
        params = {"accel.n_pe": ["2", "3"], "schedule.n_fuse": ["1", "2", "3"], "schedule.kind": ["cell_fusion"]}
        points = sweep_rows.sweep_points(params)
        self.assertEqual(len(points), 2 * 3 + 2)
        self.assertEqual(points[:2], [
            {"accel.n_pe": "2", "schedule.n_fuse": "", "schedule.kind": "sequential"},
            {"accel.n_pe": "3", "schedule.n_fuse": "", "schedule.kind": "sequential"}])
        self.assertEqual([(p["accel.n_pe"], p["schedule.n_fuse"]) for p in points[2:]],
                         [("2", "1"), ("2", "2"), ("2", "3"), ("3", "1"), ("3", "2"), ("3", "3")])

    def test_swept_kind_shares_the_sequential_runs(self):
        params = {"schedule.n_fuse": ["1", "2"], "schedule.kind": ["cell_fusion", "sequential"]}
        points = sweep_rows.sweep_points(params)
        self.assertEqual(points, [{"schedule.n_fuse": "", "schedule.kind": "sequential"},
                                  {"schedule.n_fuse": "1", "schedule.kind": "cell_fusion"},
                                  {"schedule.n_fuse": "2", "schedule.kind": "cell_fusion"}])

    def test_stable_columns(self):
        self.assertEqual(sweep_rows.columns(["accel.n_pe", "schedule.kind"], 2), [
            "accel.n_pe", "schedule.kind", "status", "error", "cycles", "cycles_L1", "cycles_L2",
            "speedup", "speedup_L1", "speedup_L2", "pe_utilisation", "port_utilisation_w",
            "port_utilisation_u", "area", "accuracy", "energy_uj_per_inference", "wall_s", "config", "config_sha256",
            "sets"])

    def test_stats_figures(self):
        runs = [dict(layer=l, sequence=s, cycles=c, port_utilisation_w=w, port_utilisation_u=0.5)
                for l, s, c, w in [(1, 0, 100, 0.2), (2, 0, 300, 0.6), (1, 1, 100, 0.4)]]
        stats = dict(runs=runs, pes=[dict(role="spmv", utilisation=0.2), dict(role="spmspv", utilisation=0.6),
                                         dict(role="vector", utilisation=0.9)],
                     buffers=[dict(area=1.5), dict(area=2)])
        self.assertEqual(sweep_rows.stats_figures(stats), {
            "cycles": "500", "cycles_L1": "200", "cycles_L2": "300", "pe_utilisation": "0.4",
            "port_utilisation_w": "0.48", "port_utilisation_u": "0.5", "area": "3.5", "accuracy": "",
            "energy_uj_per_inference": ""})
        stats.update(classifier=dict(accuracy=0.763), energy=dict(per_inference_pj=dict(total=2.5e6, dram=2e6)))
        figures = sweep_rows.stats_figures(stats)
        self.assertEqual((figures["accuracy"], figures["energy_uj_per_inference"]), ("0.763", "2.5"))


class SweepRunTest(unittest.TestCase):
    """sweep.py as a program, against the fake elstm-vp."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="sweep-test-")
        self.dir = self.tmp.name
        self.vp = os.path.join(self.dir, "fake-vp")
        with open(self.vp, "w") as f:
            f.write(FAKE_VP)
        os.chmod(self.vp, 0o755)
        self.config = os.path.join(self.dir, "c.yaml")
        open(self.config, "w").close()
        self.csv = os.path.join(self.dir, "sweep.csv")
        self.log = os.path.join(self.dir, "invocations.log")
        self.env = dict(os.environ, FAKE_LOG=self.log, PYTHONDONTWRITEBYTECODE="1")

    def tearDown(self):
        self.tmp.cleanup()

    def argv(self, *extra, out=None):
        return [sys.executable, SWEEP, "--vp", self.vp, "--config", self.config, "-o", out or self.csv,
                "--jobs", "2"] + list(extra)

    def sweep(self, *extra, env=None, out=None):
        return subprocess.run(self.argv(*extra, out=out), env=dict(self.env, **(env or {})),
                              capture_output=True, text=True, timeout=60)

    def invocations(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return f.read().splitlines()

    def test_rows(self):
        proc = self.sweep("--n-pe", "2..3", "--n-fuse", "1,2", "--set", "workload.steps=12")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        header, rows = read_rows(self.csv)
        self.assertEqual(header, sweep_rows.columns(["accel.n_pe", "schedule.n_fuse", "schedule.kind"], 2))
        self.assertEqual([(r["accel.n_pe"], r["schedule.n_fuse"], r["schedule.kind"]) for r in rows], [
            ("2", "", "sequential"), ("3", "", "sequential"), ("2", "1", "cell_fusion"),
            ("2", "2", "cell_fusion"), ("3", "1", "cell_fusion"), ("3", "2", "cell_fusion")])
        row = rows[5]
        self.assertEqual((row["status"], row["error"]), ("ok", ""))
        self.assertEqual((row["cycles"], row["cycles_L1"], row["cycles_L2"]), ("21400", "7200", "14200"))
        self.assertEqual((row["speedup"], row["speedup_L1"], row["speedup_L2"]),
                         (f"{30000 / 21400:.4f}", f"{10000 / 7200:.4f}", f"{20000 / 14200:.4f}"))
        self.assertEqual(rows[0]["speedup"], "1.0000")
        self.assertEqual((row["pe_utilisation"], row["port_utilisation_w"], row["port_utilisation_u"],
                          row["area"]), ("0.4", f"{(0.25 * 7200 + 0.5 * 14200) / 21400:.6g}", "0.5", "120.5"))
        self.assertGreaterEqual(float(row["wall_s"]), 0)
        # One run per point; the sequential runs without N_fuse, every run with the fixed --set.
        calls = self.invocations()
        self.assertEqual(len(calls), 6)
        self.assertIn("workload.steps=12 accel.n_pe=2 schedule.kind=sequential", calls)
        self.assertIn("workload.steps=12 accel.n_pe=3 schedule.n_fuse=2 schedule.kind=cell_fusion", calls)

    def test_resume_runs_only_new_points(self):
        self.assertEqual(self.sweep("--n-pe", "2..3", "--n-fuse", "1").returncode, 0)
        self.assertEqual(len(self.invocations()), 4)
        proc = self.sweep("--n-pe", "2..3", "--n-fuse", "1")
        self.assertEqual(proc.returncode, 0)
        self.assertEqual(len(self.invocations()), 4, "a finished sweep reran points")
        self.assertIn("4 already in", proc.stderr)
        self.assertEqual(self.sweep("--n-pe", "2..4", "--n-fuse", "1").returncode, 0)
        self.assertEqual(sorted(self.invocations()[4:]), [
            "accel.n_pe=4 schedule.kind=sequential", "accel.n_pe=4 schedule.n_fuse=1 schedule.kind=cell_fusion"])
        _, rows = read_rows(self.csv)
        self.assertEqual(len(rows), 6)
        self.assertTrue(all(r["speedup"] for r in rows))

    def test_resume_with_the_options_in_another_order(self):
        self.assertEqual(self.sweep("--param", "dram.latency=0", "--param", "accel.n_pe=2").returncode, 0)
        proc = self.sweep("--param", "accel.n_pe=2", "--param", "dram.latency=0,30")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(len(self.invocations()), 4)
        header, rows = read_rows(self.csv)
        self.assertEqual(header[:3], ["dram.latency", "accel.n_pe", "schedule.kind"])
        self.assertEqual(len(rows), 4)

    def test_resume_refuses_another_sweeps_csv(self):
        self.assertEqual(self.sweep("--n-pe", "2").returncode, 0)
        proc = self.sweep("--n-fuse", "2")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("choose another -o", proc.stderr)

    def test_failed_points_are_reported_and_the_sweep_goes_on(self):
        proc = self.sweep("--n-pe", "2..4", "--n-fuse", "1", env={"FAKE_FAIL": "accel.n_pe=3"})
        self.assertEqual(proc.returncode, 1)
        self.assertIn("2 of 6 points failed", proc.stderr)
        self.assertIn("failed: accel.n_pe=3 schedule.n_fuse=1 schedule.kind=cell_fusion: "
                      "elstm-vp: pretend failure", proc.stderr)
        _, rows = read_rows(self.csv)
        status = {(r["accel.n_pe"], r["schedule.kind"]): (r["status"], r["error"]) for r in rows}
        self.assertEqual(status[("3", "cell_fusion")], ("failed", "elstm-vp: pretend failure"))
        self.assertEqual(status[("4", "cell_fusion")], ("ok", ""))
        self.assertEqual(len(rows), 6)
        # Kept as they are without --retry-failed; rerun (and replaced, not duplicated) with it.
        self.assertEqual(self.sweep("--n-pe", "2..4", "--n-fuse", "1").returncode, 1)
        self.assertEqual(len(self.invocations()), 6)
        self.assertEqual(self.sweep("--n-pe", "2..4", "--n-fuse", "1", "--retry-failed").returncode, 0)
        self.assertEqual(len(self.invocations()), 8)
        _, rows = read_rows(self.csv)
        self.assertEqual([r["status"] for r in rows], ["ok"] * 6)
        self.assertTrue(all(r["speedup"] for r in rows))

    def test_unreadable_stats_and_timeout_fail_the_point(self):
        proc = self.sweep("--n-pe", "2,3", "--n-fuse", "1", env={"FAKE_GARBAGE": "accel.n_pe=2"})
        self.assertEqual(proc.returncode, 1)
        _, rows = read_rows(self.csv)
        self.assertTrue(rows[0]["error"].startswith("unreadable stats"), rows[0])
        proc = self.sweep("--n-pe", "2", "--n-fuse", "1", "--timeout", "0.2", env={"FAKE_SLEEP": "5"},
                          out=os.path.join(self.dir, "t.csv"))
        self.assertEqual(proc.returncode, 1)
        _, rows = read_rows(os.path.join(self.dir, "t.csv"))
        self.assertEqual([r["error"] for r in rows], ["timeout after 0.2 s"] * 2)

    def test_interrupt_keeps_the_csv_whole_and_resume_finishes(self):
        proc = subprocess.Popen(self.argv("--n-pe", "2..4", "--n-fuse", "1,2"), text=True,
                                env=dict(self.env, FAKE_SLEEP="0.3"), stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while len(self.invocations()) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 130, err)
        self.assertIn("run the same command again to resume", err)
        _, rows = read_rows(self.csv)
        self.assertTrue(3 <= len(rows) < 9, len(rows))
        self.assertEqual({r["status"] for r in rows}, {"ok"})
        self.assertEqual(self.sweep("--n-pe", "2..4", "--n-fuse", "1,2").returncode, 0)
        _, rows = read_rows(self.csv)
        self.assertEqual(len(rows), 9)
        self.assertEqual(len(self.invocations()), 9, "a point ran twice")

    def test_point_runs_one_point_into_its_file(self):
        part = os.path.join(self.dir, "p.csv")
        proc = self.sweep("--n-pe", "2..3", "--n-fuse", "1,2", "--point", "3", out=part)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        _, rows = read_rows(part)
        self.assertEqual([(r["accel.n_pe"], r["schedule.n_fuse"], r["status"]) for r in rows], [("2", "2", "ok")])
        self.assertEqual(rows[0]["speedup"], "")  # its sequential companion is another task's
        proc = self.sweep("--n-pe", "2..3", "--n-fuse", "1,2", "--point", "6", out=part)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("points 0..5", proc.stderr)

    def test_resume_refuses_another_configuration(self):
        self.assertEqual(self.sweep("--n-pe", "2", "--set", "workload.steps=12").returncode, 0)
        self.assertEqual(len(self.invocations()), 2)
        _, rows = read_rows(self.csv)
        digest = identity_hash("", ["workload.steps=12"])
        self.assertEqual({(r["config"], r["config_sha256"], r["sets"]) for r in rows},
                         {(os.path.realpath(self.config), digest, "workload.steps=12")})
        other = os.path.join(self.dir, "other.yaml")
        with open(other, "w") as f:
            f.write("# another workload\n")
        changes = [(["--config", other, "--set", "workload.steps=12"], "other.yaml"),
                   (["--set", "workload.steps=28"], "c.yaml"),
                   (["--set", "workload.steps=12", "--set", "dram.latency=0"], "c.yaml")]
        for extra, config in changes:
            with self.subTest(extra=extra):
                proc = self.sweep("--n-pe", "2", *extra)
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertIn(f"sweep: {self.csv} holds points computed with {os.path.realpath(self.config)} "
                              f"(sha256 {digest[:12]}) with --set workload.steps=12, this sweep runs "
                              f"{os.path.realpath(os.path.join(self.dir, config))}", proc.stderr)
                self.assertIn("choose another -o", proc.stderr)
        with open(self.config, "w") as f:
            f.write("# edited\n")
        proc = self.sweep("--n-pe", "2", "--set", "workload.steps=12")
        self.assertEqual(proc.returncode, 2, proc.stderr)
        edited = identity_hash("# edited\n", ["workload.steps=12"])
        self.assertIn(f"this sweep runs {os.path.realpath(self.config)} (sha256 "
                      f"{edited[:12]}) with --set workload.steps=12", proc.stderr)
        self.assertEqual(len(self.invocations()), 2, "a point ran under a configuration it was not keyed on")
        _, after = read_rows(self.csv)
        self.assertEqual(after, rows)

    def test_resume_refuses_an_edited_input_file(self):
        weights = os.path.join(self.dir, "w.npy")
        with open(weights, "wb") as f:
            f.write(b"first weights")
        env = {"FAKE_INPUTS": f"workload.layers[0].npy.w={weights}"}
        self.assertEqual(self.sweep("--n-pe", "2", env=env).returncode, 0)
        _, rows = read_rows(self.csv)
        digest = identity_hash("", inputs=[("workload.layers[0].npy.w", weights)])
        self.assertEqual({r["config_sha256"] for r in rows}, {digest})
        with open(weights, "wb") as f:
            f.write(b"other weights")
        proc = self.sweep("--n-pe", "2", env=env)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        edited = identity_hash("", inputs=[("workload.layers[0].npy.w", weights)])
        self.assertIn(f"holds points computed with {os.path.realpath(self.config)} (sha256 {digest[:12]}), this "
                      f"sweep runs {os.path.realpath(self.config)} (sha256 {edited[:12]})", proc.stderr)
        self.assertEqual(len(self.invocations()), 2, "a point ran under input files it was not keyed on")

    def test_a_configuration_elstm_vp_refuses_stops_the_sweep(self):
        with open(self.config, "w") as f:
            f.write("accel: {n_pe: 1}\n")
        failing = os.path.join(self.dir, "refusing-vp")
        with open(failing, "w") as f:
            f.write("#!/bin/sh\necho 'c.yaml:1: accel.n_pe: 1 is out of range' >&2\nexit 2\n")
        os.chmod(failing, 0o755)
        proc = subprocess.run([sys.executable, SWEEP, "--vp", failing, "--config", self.config, "-o", self.csv,
                               "--n-pe", "2"], env=self.env, capture_output=True, text=True, timeout=60)
        self.assertEqual(proc.returncode, 2)
        self.assertEqual(proc.stderr.strip(), f"sweep: {os.path.realpath(self.config)}: elstm-vp --dump-config "
                         "fails: c.yaml:1: accel.n_pe: 1 is out of range")
        self.assertFalse(os.path.exists(self.csv))

    def emit(self, *extra):
        script = os.path.join(self.dir, "sweep.sbatch")
        proc = self.sweep("--n-pe", "2..3", "--n-fuse", "1,2", "--set", "workload.steps=12",
                          "--emit-slurm", script, *extra)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return script, os.path.join(self.dir, "sweep.parts")

    def run_task(self, script, task, env=None, job=None):
        """Task `task` as Slurm would run it; with `job`, its output goes where Slurm puts it."""
        run = subprocess.run(["bash", script], env=dict(self.env, SLURM_ARRAY_TASK_ID=str(task), **(env or {})),
                             capture_output=True, text=True, timeout=60)
        if job is not None:
            with open(os.path.join(self.dir, "sweep.parts", f"slurm-{job}_{task}.log"), "w") as f:
                f.write(run.stdout + run.stderr)
        return run

    def merge(self, *sources):
        return subprocess.run([sys.executable, SWEEP, "--merge", self.csv, *sources],
                              capture_output=True, text=True, timeout=60)

    def test_task_checks_the_config_hash(self):
        script, _ = self.emit()
        with open(self.config, "w") as f:
            f.write("dram: {latency: 0}\n")
        run = self.run_task(script, 2)
        self.assertEqual(run.returncode, 2)
        edited = identity_hash("dram: {latency: 0}\n", ["workload.steps=12"])
        self.assertEqual(run.stderr.strip(), f"sweep: {os.path.realpath(self.config)}: configuration or input "
                         f"files changed since the sweep was emitted (sha256 {edited[:12]}, expected "
                         f"{identity_hash('', ['workload.steps=12'])[:12]}); emit the script again")
        self.assertEqual(self.invocations(), [])

    def test_merge_reports_missing_and_failed_tasks(self):
        script, parts = self.emit()
        # Task 1 fails its point, task 3 dies before writing its row, task 5 never runs.
        for task in range(5):
            run = self.run_task(script, task, job=40, env={"FAKE_FAIL": "accel.n_pe=3"} if task == 1 else None)
            self.assertEqual(run.returncode, 1 if task == 1 else 0, run.stderr)
        os.remove(os.path.join(parts, "point_3.csv"))
        with open(os.path.join(parts, "slurm-40_3.log"), "a") as f:
            f.write("slurmstepd: error: *** JOB 43 ON node1 CANCELLED DUE TO TIME LIMIT ***\n")
        proc = self.merge(parts)
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertEqual(proc.stderr.splitlines()[1:], [
            f"sweep: point 1 (accel.n_pe=3 schedule.kind=sequential): failed: elstm-vp: pretend failure "
            f"(log {parts}/slurm-40_1.log)",
            f"sweep: point 3 (accel.n_pe=2 schedule.n_fuse=2 schedule.kind=cell_fusion): no result; log "
            f"{parts}/slurm-40_3.log: slurmstepd: error: *** JOB 43 ON node1 CANCELLED DUE TO TIME LIMIT ***",
            "sweep: point 5 (accel.n_pe=3 schedule.n_fuse=2 schedule.kind=cell_fusion): no result and no log "
            "(the task never ran)",
            f"sweep: 3 of 6 points have no ok row; resubmit just them: sbatch --array=1,3,5 {script}"])
        # The resubmission: just those tasks, under a new job; the failed point now passes.
        for task in (1, 3, 5):
            self.assertEqual(self.run_task(script, task, job=50).returncode, 0)
        self.assertEqual(len(self.invocations()), 5 + 3)
        proc = self.merge(parts)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stderr.strip(), f"sweep: merged 6 files into {self.csv}: 6 points, 0 failed")
        _, rows = read_rows(self.csv)
        self.assertEqual([(r["accel.n_pe"], r["schedule.n_fuse"], r["status"]) for r in rows], [
            ("2", "", "ok"), ("3", "", "ok"), ("2", "1", "ok"), ("2", "2", "ok"), ("3", "1", "ok"), ("3", "2", "ok")])

    def test_merge_refuses_parts_of_another_configuration(self):
        script, parts = self.emit()
        self.assertEqual(self.run_task(script, 0).returncode, 0)
        other = os.path.join(self.dir, "other.csv")
        self.assertEqual(self.sweep("--n-pe", "2..3", "--n-fuse", "1,2", "--point", "1", out=other).returncode, 0)
        proc = self.merge(parts, other)
        self.assertEqual(proc.returncode, 2)
        self.assertIn(f"sweep: {other} holds points computed with {os.path.realpath(self.config)} (sha256 "
                      f"{identity_hash('')[:12]}), {parts}/sweep.json with "
                      f"{os.path.realpath(self.config)} (sha256 {identity_hash('', ['workload.steps=12'])[:12]}) "
                      f"with --set workload.steps=12: not one sweep", proc.stderr)

    def test_emit_slurm_and_merge(self):
        script = os.path.join(self.dir, "sweep.sbatch")
        proc = self.sweep("--n-pe", "2..3", "--n-fuse", "1,2", "--set", "workload.steps=12",
                          "--emit-slurm", script, "--sbatch=--time=0:10:00")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.invocations(), [])
        with open(script) as f:
            text = f.read()
        parts = os.path.join(self.dir, "sweep.parts")
        self.assertTrue(text.startswith("#!/bin/bash\n"))
        self.assertIn("#SBATCH --array=0-5\n", text)
        self.assertIn("#SBATCH --time=0:10:00\n", text)
        self.assertIn(f"#SBATCH --output={parts}/slurm-%A_%a.log\n", text)
        self.assertTrue(os.path.isdir(parts), "Slurm needs the log directory before the tasks start")
        command = text.splitlines()[-1]
        for piece in [f"--vp {self.vp}", f"--config {os.path.realpath(self.config)}",
                      f"--config-sha256 {identity_hash('', ['workload.steps=12'])}", "--param accel.n_pe=2,3",
                      "--param schedule.n_fuse=1,2", "--param schedule.kind=cell_fusion",
                      "--set workload.steps=12", '--retry-failed --point "$id"', f'--out {parts}/point_"$id".csv']:
            self.assertIn(piece, command)
        self.assertIn(f"# When all are done: python3 {os.path.realpath(SWEEP)} --merge {self.csv} {parts}\n", text)
        self.assertIn("# task 0: accel.n_pe=2 schedule.kind=sequential\n"
                      "# task 1: accel.n_pe=3 schedule.kind=sequential\n"
                      "# task 2: accel.n_pe=2 schedule.n_fuse=1 schedule.kind=cell_fusion\n", text)
        # Every array task, as Slurm would run them, then the merge.
        for task in range(6):
            run = subprocess.run(["bash", script], env=dict(self.env, SLURM_ARRAY_TASK_ID=str(task)),
                                 capture_output=True, text=True, timeout=60)
            self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(len(self.invocations()), 6)
        proc = self.merge(parts)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        header, rows = read_rows(self.csv)
        self.assertEqual(header, sweep_rows.columns(["accel.n_pe", "schedule.n_fuse", "schedule.kind"], 2))
        self.assertEqual(len(rows), 6)
        self.assertTrue(all(r["speedup"] for r in rows), "merge fills in the speedups")
        # The same rows, in the same order, as the sweep run here (but for the wall time).
        local = os.path.join(self.dir, "local.csv")
        self.assertEqual(self.sweep("--n-pe", "2..3", "--n-fuse", "1,2", "--set", "workload.steps=12",
                                    out=local).returncode, 0)
        _, local_rows = read_rows(local)
        self.assertEqual([dict(r, wall_s="") for r in rows], [dict(r, wall_s="") for r in local_rows])

    def test_merge_dedupes_and_ok_wins(self):
        header = sweep_rows.columns(["accel.n_pe", "schedule.kind"], 1)

        def part(name, *rows):
            path = os.path.join(self.dir, name)
            with open(path, "w", newline="") as f:
                writer = csv.DictWriter(f, header, restval="")
                writer.writeheader()
                writer.writerows(rows)
            return path

        seq = {"accel.n_pe": "2", "schedule.kind": "sequential", "status": "ok", "cycles": "900", "cycles_L1": "900"}
        ok = {"accel.n_pe": "2", "schedule.kind": "cell_fusion", "status": "ok", "cycles": "300", "cycles_L1": "300"}
        bad = {"accel.n_pe": "2", "schedule.kind": "cell_fusion", "status": "failed", "error": "boom"}
        other_bad = {"accel.n_pe": "3", "schedule.kind": "cell_fusion", "status": "failed", "error": "old"}
        newer_bad = dict(other_bad, error="new")
        paths = [part("a.csv", bad, other_bad), part("b.csv", ok, seq), part("c.csv", bad, newer_bad)]
        out = os.path.join(self.dir, "merged.csv")
        proc = subprocess.run([sys.executable, SWEEP, "--merge", out] + paths, capture_output=True, text=True)
        self.assertEqual(proc.returncode, 1, "a failed point remains")
        self.assertIn("3 points, 1 failed", proc.stderr)
        got_header, rows = read_rows(out)
        self.assertEqual(got_header, header)
        by_point = {(r["accel.n_pe"], r["schedule.kind"]): r for r in rows}
        self.assertEqual(len(rows), 3)
        self.assertEqual(by_point[("2", "cell_fusion")]["status"], "ok")
        self.assertEqual(by_point[("2", "cell_fusion")]["speedup"], "3.0000")
        self.assertEqual(by_point[("3", "cell_fusion")]["error"], "new")
        mismatched = part("d.csv")
        with open(mismatched, "w") as f:
            f.write("dram.latency,status\n")
        proc = subprocess.run([sys.executable, SWEEP, "--merge", out, paths[0], mismatched],
                              capture_output=True, text=True)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("sweeps dram.latency", proc.stderr)

    def test_bad_invocations(self):
        cases = [(["--vp", os.path.join(self.dir, "nope")], "no elstm-vp there"),
                 (["--n-pe", "4..2"], "is empty"),
                 (["--jobs", "0"], "at least 1")]
        for extra, message in cases:
            with self.subTest(extra=extra):
                proc = self.sweep(*extra)
                self.assertEqual(proc.returncode, 2)
                self.assertIn(message, proc.stderr)
        proc = subprocess.run([sys.executable, SWEEP, "--config", "missing.yaml", "-o", self.csv],
                              capture_output=True, text=True)
        self.assertEqual((proc.returncode, proc.stderr.strip()), (2, "sweep: missing.yaml: no such config"))
        self.assertEqual(self.invocations(), [])


if __name__ == "__main__":
    unittest.main()
