"""The points of a scripts/sweep.py sweep and its CSV: parsing the swept values, the points with
their sequential companions, what a row was computed under, the columns, the figures of a stats
JSON, speedups, and the CSV itself (read, appended, rewritten whole). Standard library only."""
import csv
import hashlib
import itertools
import os
import re
import shlex
import subprocess
import sys

KIND = "schedule.kind"
NFUSE = "schedule.n_fuse"
SEQUENTIAL = "sequential"
SHORTHANDS = (("n_pe", "accel.n_pe"), ("n_fuse", NFUSE))
LAYER_COLUMN = re.compile(r"cycles_L(\d+)$")
# What a row was computed under, besides its parameters: the config file (absolute), the hash of
# its effective configuration and input files (sweep_identity) and the fixed --set overrides. A
# row is reused only under the same three.
IDENTITY = ("config", "config_sha256", "sets")


class UsageError(Exception):
    """Bad arguments or inputs: reported in one line, exit status 2."""


# ---------------------------------------------------------------- parameters and points

def split_top(text):
    """Splits at commas outside brackets and braces, so a YAML list value stays whole."""
    items, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += (ch in "[{") - (ch in "]}")
        if ch == "," and depth == 0:
            items.append(text[start:i])
            start = i + 1
    items.append(text[start:])
    return [item.strip() for item in items]


def parse_values(spec):
    """'2..4,8' -> ['2', '3', '4', '8']; raises UsageError on empty items, bad or reversed ranges
    and duplicates."""
    values = []
    for item in split_top(spec):
        if not item:
            raise UsageError(f"'{spec}': empty value")
        match = re.fullmatch(r"(-?\d+)\s*\.\.\s*(-?\d+)", item)
        if match:
            lo, hi = int(match.group(1)), int(match.group(2))
            if lo > hi:
                raise UsageError(f"'{spec}': range {item} is empty (first > last)")
            values += [str(v) for v in range(lo, hi + 1)]
        elif ".." in item and not item.startswith(("[", "{")):
            raise UsageError(f"'{spec}': '{item}' is not an integer range a..b")
        else:
            values.append(item)
    duplicates = sorted({v for v in values if values.count(v) > 1})
    if duplicates:
        raise UsageError(f"'{spec}': {', '.join(duplicates)} given more than once")
    return values


def split_assignment(text, option):
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise UsageError(f"{option} {text}: expected KEY=VALUE")
    return key.strip(), value


def sweep_params(args):
    """The swept keys, in command-line order, with their values; and the fixed --set overrides.
    schedule.kind is always a parameter (the sequential companions differ in it)."""
    params = {}

    def add(key, spec, option):
        if key in params:
            raise UsageError(f"{option}: {key} is swept twice")
        params[key] = parse_values(spec)

    for name, key in SHORTHANDS:
        spec = getattr(args, name)
        if spec is not None:
            add(key, spec, "--" + name.replace("_", "-"))
    for text in args.param:
        add(*split_assignment(text, "--param"), "--param")
    fixed = {}
    for text in args.set:
        key, value = split_assignment(text, "--set")
        if key in params:
            raise UsageError(f"--set {text}: {key} is also swept")
        fixed[key] = value
    if KIND not in params:
        params[KIND] = [fixed.pop(KIND, "cell_fusion")]
    return params, fixed


def companion(point):
    """The sequential run a point's speedup is measured against: N_fuse means nothing there."""
    seq = dict(point)
    seq[KIND] = SEQUENTIAL
    if NFUSE in seq:
        seq[NFUSE] = ""
    return seq


def sweep_points(params):
    """Every point of the product; the sequential companions first (they are the slowest runs,
    and every speedup waits for them), each point once."""
    keys = list(params)
    product = [dict(zip(keys, values)) for values in itertools.product(*params.values())]
    points = {}
    for point in [companion(p) for p in product] + product:
        if point[KIND] == SEQUENTIAL:
            point = companion(point)
        points.setdefault(point_key(point, keys), point)
    return list(points.values())


def point_key(point, keys):
    return tuple(point.get(k, "") for k in keys)


def describe(row, keys):
    return " ".join(f"{k}={row[k]}" for k in keys if row[k] != "")


def file_sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def sweep_identity(config, fixed, vp):
    """What the rows were computed under: the config and a hash of what elstm-vp makes of it,
    the effective configuration (--dump-config of the file with the fixed --set overrides) and
    the content of every other file the run reads (--list-inputs: .npy weights and inputs, the
    firmware), so an edited weight file or a rebuilt firmware is another configuration too."""
    path = os.path.realpath(config)
    sets = [arg for k, v in fixed.items() for arg in ("--set", f"{k}={v}")]

    def ask(option):
        proc = subprocess.run([vp, "--config", path, *sets, option], capture_output=True, text=True)
        if proc.returncode != 0:
            why = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
            raise UsageError(f"{path}: elstm-vp {option} fails: {why}")
        return proc.stdout

    digest = hashlib.sha256(ask("--dump-config").encode())
    for line in ask("--list-inputs").splitlines():
        key, _, file = line.partition("\t")
        if key == "the config":
            continue  # its meaning is the effective configuration
        digest.update(f"\0{key}\0{file}\0".encode())
        digest.update(file_sha256(file).encode() if os.path.isfile(file) else b"missing")
    return {"config": path, "config_sha256": digest.hexdigest(),
            "sets": shlex.join(f"{k}={v}" for k, v in fixed.items())}


def describe_identity(identity):
    text = f"{identity.get('config') or '?'} (sha256 {(identity.get('config_sha256') or '?')[:12]})"
    return text + (f" with --set {identity['sets']}" if identity.get("sets") else "")


def identity_of(row):
    return {k: row.get(k) or "" for k in IDENTITY}


def check_identity(path, rows, identity):
    """Refuses rows computed under another configuration: reusing them would mix results."""
    for row in rows:
        if identity_of(row) != identity:
            raise UsageError(f"{path} holds points computed with {describe_identity(identity_of(row))}, "
                             f"this sweep runs {describe_identity(identity)}: choose another -o "
                             f"(or remove {path} to recompute)")


# ---------------------------------------------------------------- CSV rows

def columns(keys, n_layers):
    """Stable column order: the parameters, then the outcome, then the figures."""
    layers = range(1, n_layers + 1)
    return (list(keys) + ["status", "error", "cycles"] + [f"cycles_L{i}" for i in layers]
            + ["speedup"] + [f"speedup_L{i}" for i in layers]
            + ["pe_utilisation", "port_utilisation_w", "port_utilisation_u", "area", "accuracy",
               "energy_uj_per_inference", "wall_s"]
            + list(IDENTITY))


def row_layers(row):
    return sum(1 for column in row if LAYER_COLUMN.match(column))


def stats_figures(stats):
    """The CSV figures of one elstm-vp stats JSON. Port utilisations are weighted by each layer
    run's cycles; PE utilisation is the mean over the SpMV/SpMSpV PEs (not the vector PE)."""
    runs = stats["runs"]
    total = sum(r["cycles"] for r in runs)
    figures = {"cycles": str(total)}
    for layer in sorted({r["layer"] for r in runs}):
        figures[f"cycles_L{layer}"] = str(sum(r["cycles"] for r in runs if r["layer"] == layer))
    pes = [p for p in stats["pes"] if p["role"] != "vector"]
    figures["pe_utilisation"] = f"{sum(p['utilisation'] for p in pes) / len(pes):.6g}"
    for side in "wu":
        weighted = sum(r[f"port_utilisation_{side}"] * r["cycles"] for r in runs)
        figures[f"port_utilisation_{side}"] = f"{weighted / total:.6g}" if total else ""
    figures["area"] = f"{sum(b['area'] for b in stats['buffers']):.6g}"
    # A trained model's accuracy (with workload.classifier) and the energy of one inference.
    classifier = stats.get("classifier")
    figures["accuracy"] = f"{classifier['accuracy']:.6g}" if classifier else ""
    per_inference = (stats.get("energy") or {}).get("per_inference_pj")
    figures["energy_uj_per_inference"] = f"{per_inference['total'] / 1e6:.6g}" if per_inference else ""
    return figures


def fill_speedup(row, rows, keys):
    """speedup = the sequential companion's cycles / this point's, in total and per layer."""
    if row["status"] != "ok":
        return
    seq = rows.get(point_key(companion(row), keys))
    if seq is None or seq["status"] != "ok":
        return
    for column in [c for c in row if c == "cycles" or LAYER_COLUMN.match(c)]:
        if row[column] and seq.get(column):
            row[column.replace("cycles", "speedup")] = f"{int(seq[column]) / int(row[column]):.4f}"


def read_csv(path):
    """(parameter keys, {point key: row}) of a sweep CSV: the parameters are the columns before
    'status'."""
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        if "status" not in header:
            raise UsageError(f"{path}: not a sweep CSV (no 'status' column)")
        keys = header[:header.index("status")]
        return keys, {point_key(row, keys): row for row in reader}


class Table:
    """The sweep's CSV: appended row by row as points finish (so an interrupt loses only the
    running points), rewritten whole when the columns widen, a point is replaced, or the sweep
    ends (to fill in speedups). Rewrites go through a temporary file, so the CSV is always whole."""

    def __init__(self, path, keys, identity):
        self.path, self.keys, self.rows, self.n_layers = path, keys, {}, 0
        if os.path.exists(path) and os.path.getsize(path) > 0:
            old_keys, self.rows = read_csv(path)
            if set(old_keys) != set(keys):
                raise UsageError(f"{path} sweeps {', '.join(old_keys)}, this sweep "
                                 f"{', '.join(keys)}: choose another -o")
            check_identity(path, self.rows.values(), identity)
            self.keys = old_keys  # the file's column order, whatever the order of the options
            self.n_layers = max([row_layers(r) for r in self.rows.values()], default=0)
        self.save()

    def done(self, point, retry_failed):
        row = self.rows.get(point_key(point, self.keys))
        return row is not None and (row["status"] == "ok" or not retry_failed)

    def add(self, row):
        key = point_key(row, self.keys)
        replaced = key in self.rows
        self.rows[key] = row
        fill_speedup(row, self.rows, self.keys)
        if replaced or row_layers(row) > self.n_layers:
            self.n_layers = max(self.n_layers, row_layers(row))
            self.save()
        else:
            with open(self.path, "a", newline="") as f:
                self._writer(f).writerow(row)

    def finish(self, points):
        """Fills in the speedups and puts the rows in point order (a file that does not depend
        on which run finished first); rows of other sweeps stay, after them."""
        order = {point_key(p, self.keys): i for i, p in enumerate(points)}
        ranked = sorted(self.rows.items(), key=lambda item: order.get(item[0], len(order)))
        self.rows = dict(ranked)
        for row in self.rows.values():
            fill_speedup(row, self.rows, self.keys)
        self.save()

    def save(self):
        write_csv(self.path, self.keys, self.rows.values(), self.n_layers)

    def _writer(self, f):
        return csv.DictWriter(f, columns(self.keys, self.n_layers), restval="")


def write_csv(path, keys, rows, n_layers):
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, columns(keys, n_layers), restval="")
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)


def log(text):
    print(f"sweep: {text}", file=sys.stderr, flush=True)

