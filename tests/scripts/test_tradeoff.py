"""scripts/tradeoff.py against a fake elstm-vp whose accuracy, cycles and energy fall as the two
layers' h thresholds rise (known in advance): the swept points, the CSV's accuracy and energy
columns, the table with the config's own thresholds marked, the plot, and bad arguments."""
import csv
import importlib.util
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts")
TRADEOFF = os.path.join(SCRIPTS, "tradeoff.py")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# accuracy 0.9 - 0.1 (t1 + t2); cycles 1000 (3 - t1 - t2) per layer run, twice that sequential;
# energy per inference (2 - t1 - t2) uJ.
FAKE_VP = textwrap.dedent('''\
    #!{python} -S
    import json, os, sys
    args = sys.argv[1:]
    sets = [args[i + 1] for i, a in enumerate(args) if a == "--set"]
    config = args[args.index("--config") + 1]
    if "--dump-config" in args:
        sys.stdout.write(open(config).read())
        sys.exit(0)
    if "--list-inputs" in args:
        print("the config\\t" + config)
        sys.exit(0)
    p = dict(s.split("=", 1) for s in sets)
    t1 = float(p.get("workload.layers[0].h_threshold", 0.3))
    t2 = float(p.get("workload.layers[1].h_threshold", 0.8))
    scale = 2 if p.get("schedule.kind") == "sequential" else 1
    cycles = int(round(1000 * (3 - t1 - t2))) * scale
    runs = [dict(layer=l, sequence=0, cycles=cycles, port_utilisation_w=0.5, port_utilisation_u=0.5)
            for l in (1, 2)]
    stats = dict(runs=runs, pes=[dict(role="spmv", utilisation=0.5)], buffers=[dict(area=1)],
                 golden=dict(passed=True), classifier=dict(accuracy=round(0.9 - 0.1 * (t1 + t2), 6)),
                 energy=dict(per_inference_pj=dict(total=(2 - t1 - t2) * 1e6)))
    json.dump(stats, open(args[args.index("--stats") + 1], "w"))
    ''').format(python=sys.executable)

CONFIG = """workload:
  layers:
    - {m: 8, n: 8, h_threshold: 0.3}
    - {m: 8, n: 8, h_threshold: 0.8}
"""


class TradeoffTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="tradeoff-test-")
        self.dir = self.tmp.name
        self.vp = os.path.join(self.dir, "fake-vp")
        with open(self.vp, "w") as f:
            f.write(FAKE_VP)
        os.chmod(self.vp, 0o755)
        self.config = os.path.join(self.dir, "model.yaml")
        with open(self.config, "w") as f:
            f.write(CONFIG)
        self.csv = os.path.join(self.dir, "tradeoff.csv")
        self.png = os.path.join(self.dir, "tradeoff.png")

    def tearDown(self):
        self.tmp.cleanup()

    def tradeoff(self, *extra):
        return subprocess.run([sys.executable, TRADEOFF, "--vp", self.vp, "--config", self.config, "-o", self.csv,
                               "--jobs", "2", *extra], capture_output=True, text=True, timeout=120,
                              env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg"))

    def test_points_table_and_plot(self):
        with_png = importlib.util.find_spec("matplotlib") is not None
        proc = self.tradeoff("--threshold", "1=0,0.3", "--threshold", "2=0,0.8",
                             *(["--png", self.png] if with_png else []))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(self.csv, newline="") as f:
            rows = list(csv.DictReader(f))
        fused = {(r["workload.layers[0].h_threshold"], r["workload.layers[1].h_threshold"]): r
                 for r in rows if r["schedule.kind"] == "cell_fusion"}
        self.assertEqual(sorted(fused), [("0", "0"), ("0", "0.8"), ("0.3", "0"), ("0.3", "0.8")])
        self.assertEqual(len(rows), 8, "each threshold pair has its sequential companion")
        paper = fused[("0.3", "0.8")]
        self.assertEqual((paper["accuracy"], paper["energy_uj_per_inference"], paper["cycles"]),
                         ("0.79", "0.9", str(2 * 1900)))
        self.assertEqual(paper["speedup"], "2.0000")
        lines = proc.stdout.splitlines()
        self.assertEqual(len(lines), 5, proc.stdout)
        self.assertEqual(lines[0].split()[:4], ["thr", "L1", "thr", "L2"])
        marked = [line for line in lines if "the config's thresholds" in line]
        self.assertEqual(len(marked), 1)
        self.assertEqual(marked[0].split()[:5], ["0.3", "0.8", "79.0", "%", "3800"])
        self.assertEqual(lines[1].split()[:5], ["0", "0", "90.0", "%", "6000"])
        if with_png:
            with open(self.png, "rb") as f:
                data = f.read()
            self.assertTrue(data.startswith(PNG_SIGNATURE))
            self.assertGreater(len(data), 10000)

    def test_resume_runs_nothing_again(self):
        self.assertEqual(self.tradeoff("--threshold", "1=0,0.3").returncode, 0)
        proc = self.tradeoff("--threshold", "1=0,0.3")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn(f"4 points (2 + 2 sequential), 4 already in {self.csv}, running 0", proc.stderr)

    def test_bad_arguments(self):
        for argv, message in [(["--threshold", "0=0.1"], "--threshold 0=0.1: expected LAYER=VALUES with LAYER from 1"),
                              (["--threshold", "1=0.1,x"], "--threshold 1=0.1,x: 'x' is not a number"),
                              (["--threshold", "1=0.1", "--threshold", "1=0.2"], "layer 1 given twice"),
                              ([], "give at least one --threshold")]:
            with self.subTest(argv=argv):
                proc = self.tradeoff(*argv)
                self.assertEqual(proc.returncode, 2)
                self.assertIn(message, proc.stderr)
                self.assertFalse(os.path.exists(self.csv))


if __name__ == "__main__":
    unittest.main()
