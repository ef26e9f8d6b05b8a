"""Peak memory of ``simulate`` on the tiny scenario, and how it grows with replications.

The target (SPEC, "Performance targets"): a million replications' outcomes in
under 2 GiB peak. Memory should grow with the replication count only through
the outcome table; each chunk's hazard events are dropped once propagated.

Each count runs in a fresh child process, which first simulates 2
replications in-process (kernels compiled or loaded: compiling takes memory
of its own, once, which would blur the growth), then the count on its
workers. From then on, every 50 ms the resident memory of the child and of
each of its worker processes is read here, and the peaks are kept: of the main
process alone and of the whole process tree summed (which ``/usr/bin/time -v``
does not give: it reports the largest single process). The child also reports
its own peak from the kernel (VmHWM, reset after the warm-up) and the outcome
table's size.

Usage::

    python benchmarks/scripts/million_tiny.py                     # 1,000,000
    python benchmarks/scripts/million_tiny.py 10000 30000 100000  # a fit, extrapolated

With several counts, a straight line ``peak = a + b n`` is fitted to the
peaks and extrapolated to a million.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import threading
import time

import psutil

MIB = 2**20


def _reset_peak() -> None:
    # Linux: writing 5 to clear_refs resets this process's peak resident size (VmHWM).
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _peak_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def child(n: int, workers: int | None) -> None:
    import riskmc
    from riskmc.scenario import shipped_scenarios

    tiny = riskmc.load_scenario(shipped_scenarios()["tiny.yaml"])
    # Warm up in this process (kernels compiled or loaded, model built), then
    # measure from there: compiling takes memory of its own (LLVM), once,
    # which would blur how memory grows with the count.
    riskmc.simulate(tiny, 2, seed=1, workers=1)
    _reset_peak()
    print("warm", flush=True)
    t0 = time.perf_counter()
    result = riskmc.simulate(tiny, n, seed=1, workers=workers)
    seconds = time.perf_counter() - t0
    table = int(result.outcomes.memory_usage(deep=True).sum())
    print(
        json.dumps(
            {
                "replications": result.n_replications,
                "seconds": seconds,
                "table_bytes": table,
                "columns": len(result.outcomes.columns),
                "main_hwm_mib": _peak_mib(),
            }
        ),
        flush=True,
    )


def measure(n: int, workers: int | None) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", str(n)]
    if workers is not None:
        cmd += ["--workers", str(workers)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    lines: list[str] = []
    warm = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if line.strip() == "warm":
                warm.set()

    reader = threading.Thread(target=read)
    reader.start()
    main = psutil.Process(proc.pid)
    peak_main = peak_tree = 0
    while proc.poll() is None:
        if not warm.is_set():
            time.sleep(0.05)
            continue
        try:
            rss = main.memory_info().rss
            tree = rss
            for p in main.children(recursive=True):
                with contextlib.suppress(psutil.Error):  # a worker that just ended
                    tree += p.memory_info().rss
        except psutil.Error:
            break
        peak_main, peak_tree = max(peak_main, rss), max(peak_tree, tree)
        time.sleep(0.05)
    reader.join()
    if proc.wait() != 0:
        raise SystemExit(f"the run of {n} replications failed ({proc.returncode})")
    report = json.loads(lines[-1])
    report.update(peak_main_mib=peak_main / MIB, peak_tree_mib=peak_tree / MIB)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("counts", nargs="*", type=int, default=[1_000_000])
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.workers)
        return
    rows = []
    print(
        f"{'replications':>12} {'seconds':>8} {'rep/s':>7} {'table MiB':>10} "
        f"{'B/row':>6} {'peak main MiB':>14} {'main VmHWM':>11} {'peak tree MiB':>14}"
    )
    for n in args.counts:
        r = measure(n, args.workers)
        rows.append(r)
        print(
            f"{n:>12,} {r['seconds']:>8.1f} {n / r['seconds']:>7.0f} "
            f"{r['table_bytes'] / MIB:>10.1f} {r['table_bytes'] / max(n, 1):>6.0f} "
            f"{r['peak_main_mib']:>14.0f} {r['main_hwm_mib']:>11.0f} "
            f"{r['peak_tree_mib']:>14.0f}",
            flush=True,
        )
    if len(rows) >= 2:
        for key in ("peak_main_mib", "main_hwm_mib", "peak_tree_mib"):
            xs = [r["replications"] for r in rows]
            ys = [r[key] for r in rows]
            mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
            b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
                (x - mx) ** 2 for x in xs
            )
            a = my - b * mx
            print(
                f"{key}: {a:.0f} MiB + {b * 1e6:.0f} MiB per million replications "
                f"-> {a + b * 1e6:.0f} MiB at 1,000,000"
            )


if __name__ == "__main__":
    main()
