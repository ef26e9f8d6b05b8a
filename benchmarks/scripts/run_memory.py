"""Peak memory of ``riskmc run -n N --out DIR``, the whole process tree, and bytes per row.

``million_tiny.py`` measures ``simulate`` in a warmed-up process; this script
measures the command as a user runs it: the run, the checkpoints, the saved
outcomes, the plots and the printed summary, on any scenario (the default by
default). The command runs from the checkout this script lives in (its
``riskmc`` package, whatever is installed).

Every ``--every`` seconds (20 ms) the script reads, for the command's process
and each of its descendants (the pool workers, the compile helper):

- RSS, summed over the tree: pages shared after a fork are counted once per
  process, so this overstates the machine's memory in use;
- PSS (proportional set size, ``/proc/PID/smaps_rollup``), summed: each shared
  page split between the processes that map it, so the sum is what the tree
  takes from the machine.

It reports the peaks of both sums, of the parent's RSS, and the parent's own
peak from the kernel (``ru_maxrss`` of ``wait4``: the largest of the parent and
the children it waited for, i.e. the largest single process, which is what
``/usr/bin/time -v`` reports). It then reads ``DIR/outcomes.parquet`` back in
this process (``SimulationResult.from_parquet``: the table the run returned)
for its rows and its bytes per row (``memory_usage(deep=True)``), and with
``--resume`` also times and measures ``riskmc run --out DIR --resume`` after
deleting ``outcomes.parquet`` and marking the run incomplete (every chunk is
read back from disk).

Usage::

    python benchmarks/scripts/run_memory.py 2000 8000                  # default scenario
    python benchmarks/scripts/run_memory.py 20000 80000 --scenario scenarios/tiny.yaml
    python benchmarks/scripts/run_memory.py 2000 --workers 2 --json out.json

First, unmeasured, ``riskmc run -n 2`` of the scenario: the Numba kernels are
compiled into their cache (keyed by the checkout's path) or loaded from it, so
that no measured run pays for compiling (LLVM's memory), which only the first
run of a new checkout does. ``--no-warm`` skips it.

``--fake-engine K`` stands in for an engine much faster than today's: each
model (the parent's, each worker's) simulates replications ``0 .. K - 1`` once,
for real, and then gives replication ``r`` the rows of ``r mod K`` (with ``r``
as its index), so that a million replications take minutes, and what is
measured is what does not depend on the engine: the pool, the checkpoints, the
table, the saved outcomes, the plots and the summary (which see repeated
values: their own cost may differ a little from a real run's).

With several counts, a straight line ``peak = a + b n`` is fitted to each peak
and extrapolated to ``--to`` replications (1,000,000); ``b`` over the table's
bytes per replication is the peak factor (how many copies of the table the
peak holds at the margin).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

MIB = 2**20
ROOT = Path(__file__).resolve().parents[2]
RUN = "import sys; from riskmc._entry import main; sys.argv[0] = 'riskmc'; main()"
#: The command with a stand-in for a fast engine (``--fake-engine K``): each model simulates
#: replications 0 .. K - 1 once, for real, and then gives replication r the rows of r mod K.
RUN_FAKE = """
import os, sys
import numpy as np
from riskmc.engine import propagate

K = int(os.environ["RISKMC_MEMORY_FAKE_ENGINE"])
real = propagate.ChunkModel.run
templates = {}


def run(self, seed, first, stop):
    t = templates.get(id(self))
    if t is None:
        t = templates[id(self)] = real(self, seed, 0, K)
    per = len(t) // K
    reps = np.arange(first, stop, dtype=np.int64)
    rows = t.take(((reps % K)[:, None] * per + np.arange(per)).ravel()).reset_index(drop=True)
    rows["replication"] = np.repeat(reps, per)
    return rows


propagate.ChunkModel.run = run
from riskmc._entry import main

sys.argv[0] = "riskmc"
main()
"""


def _pss(pid: int) -> int:
    """PSS [bytes] of a process, from smaps_rollup (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _tree(main: psutil.Process) -> tuple[int, int, int]:
    """(parent RSS, tree RSS, tree PSS) now."""
    rss = main.memory_info().rss
    tree_rss, tree_pss = rss, _pss(main.pid)
    for p in main.children(recursive=True):
        with contextlib.suppress(psutil.Error):  # a worker that just ended
            tree_rss += p.memory_info().rss
            tree_pss += _pss(p.pid)
    return rss, tree_rss, tree_pss


def run_once(args: list[str], every: float, fake: int | None = None) -> dict[str, float]:
    """Run the command with ``args``; its peaks [MiB] and seconds."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if fake is not None:
        env["RISKMC_MEMORY_FAKE_ENGINE"] = str(fake)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", RUN if fake is None else RUN_FAKE, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    main = psutil.Process(proc.pid)
    peak = {"parent_rss": 0, "tree_rss": 0, "tree_pss": 0}
    t_peak = 0.0
    status, usage = 0, None
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid != 0:
            break
        try:
            rss, tree_rss, tree_pss = _tree(main)
        except psutil.Error:
            time.sleep(every)
            continue
        peak["parent_rss"] = max(peak["parent_rss"], rss)
        if tree_pss > peak["tree_pss"]:
            t_peak = time.perf_counter() - t0
        peak["tree_rss"] = max(peak["tree_rss"], tree_rss)
        peak["tree_pss"] = max(peak["tree_pss"], tree_pss)
        time.sleep(every)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    errors = proc.stderr.read() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"riskmc {' '.join(args)} failed ({proc.returncode}):\n{errors[-2000:]}")
    report = {f"{k}_mib": v / MIB for k, v in peak.items()}
    report["maxrss_mib"] = usage.ru_maxrss / 1024 if usage is not None else float("nan")
    report["seconds"] = seconds
    report["tree_pss_peak_at_s"] = t_peak
    return report


def table_of(folder: Path) -> dict[str, float]:
    """Rows, replications and bytes of the saved outcome table (as riskmc reads it back)."""
    sys.path.insert(0, str(ROOT))
    from riskmc import SimulationResult

    outcomes = SimulationResult.from_parquet(folder).outcomes
    usage = outcomes.memory_usage(deep=True, index=False)
    return {
        "rows": len(outcomes),
        "replications": int(outcomes["replication"].nunique()),
        "table_bytes": int(usage.sum()),
        "bytes_per_row": float(usage.sum() / max(len(outcomes), 1)),
        "project_bytes_per_row": float(usage["project"] / max(len(outcomes), 1)),
        "first_production_bytes_per_row": float(usage["first_production"] / max(len(outcomes), 1)),
        "columns": len(outcomes.columns),
    }


def _forget_result(folder: Path) -> None:
    """Make a finished run folder look interrupted after its last chunk (for --resume)."""
    sys.path.insert(0, str(ROOT))
    from dataclasses import replace

    from riskmc.engine.checkpoint import MANIFEST, Manifest, _read_json, _write_json

    manifest = Manifest.from_json(_read_json(folder / MANIFEST), folder / MANIFEST)
    _write_json(folder / MANIFEST, replace(manifest, complete=False).to_json())
    for name in ("outcomes.parquet", "result.json"):
        (folder / name).unlink(missing_ok=True)
    shutil.rmtree(folder / "plots", ignore_errors=True)


def _fit(xs: list[float], ys: list[float]) -> tuple[float, float]:
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )
    return my - b * mx, b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("counts", nargs="+", type=int)
    parser.add_argument("--scenario", default=None, help="scenario file (default: the default)")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--chunk-size", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--every", type=float, default=0.02, help="seconds between samples")
    parser.add_argument("--resume", action="store_true", help="also measure a full resume")
    parser.add_argument("--to", type=int, default=1_000_000, help="extrapolate to this count")
    parser.add_argument("--json", default=None, help="write the rows to this file")
    parser.add_argument("--no-warm", action="store_true", help="no unmeasured run first")
    parser.add_argument(
        "--fake-engine",
        type=int,
        default=None,
        metavar="K",
        help="stand in for a fast engine: replication r gets the rows of r mod K",
    )
    args = parser.parse_args()
    if not args.no_warm:
        run_once(["run", *([args.scenario] if args.scenario else []), "-n", "2"], 1.0)
    header = (
        f"{'phase':>6} {'replications':>12} {'seconds':>8} {'B/row':>6} {'table MiB':>10} "
        f"{'parent RSS':>10} {'maxrss':>7} {'tree RSS':>9} {'tree PSS':>9} {'PSS at':>7}"
    )
    print(header, flush=True)
    rows = []
    for n in args.counts:
        with tempfile.TemporaryDirectory(prefix="riskmc-mem-") as tmp:
            folder = Path(tmp) / "run"
            cmd = ["run", *([args.scenario] if args.scenario else []), "-n", str(n)]
            cmd += ["--out", str(folder), "--seed", str(args.seed)]
            if args.workers is not None:
                cmd += ["--workers", str(args.workers)]
            if args.chunk_size is not None:
                cmd += ["--chunk-size", str(args.chunk_size)]
            phases = [("run", cmd)]
            if args.resume:
                phases.append(("resume", ["run", "--out", str(folder), "--resume"]))
            for phase, argv in phases:
                if phase == "resume":
                    _forget_result(folder)
                r = run_once(argv, args.every, args.fake_engine)
                r.update(table_of(folder), phase=phase, n=n)
                rows.append(r)
                print(
                    f"{phase:>6} {n:>12,} {r['seconds']:>8.1f} {r['bytes_per_row']:>6.0f} "
                    f"{r['table_bytes'] / MIB:>10.1f} {r['parent_rss_mib']:>10.0f} "
                    f"{r['maxrss_mib']:>7.0f} {r['tree_rss_mib']:>9.0f} "
                    f"{r['tree_pss_mib']:>9.0f} {r['tree_pss_peak_at_s']:>6.0f}s",
                    flush=True,
                )
    for phase in dict.fromkeys(r["phase"] for r in rows):
        mine = [r for r in rows if r["phase"] == phase]
        if len(mine) < 2:
            continue
        per_rep = sum(r["table_bytes"] / r["replications"] for r in mine) / len(mine) / MIB
        print(f"{phase}: table {per_rep * args.to:,.0f} MiB at {args.to:,} replications")
        for key in ("parent_rss_mib", "tree_rss_mib", "tree_pss_mib"):
            a, b = _fit([r["replications"] for r in mine], [r[key] for r in mine])
            print(
                f"{phase}: {key}: {a:.0f} MiB + {b * 1e6:.0f} MiB per million replications "
                f"(peak factor {b / per_rep:.2f} x the table) -> {a + b * args.to:,.0f} MiB at "
                f"{args.to:,}"
            )
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
