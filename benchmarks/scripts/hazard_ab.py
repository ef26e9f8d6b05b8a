"""A/B of the hazard kernel between two checkouts, in alternated processes.

Usage (from anywhere)::

    python benchmarks/scripts/hazard_ab.py OLD_CHECKOUT NEW_CHECKOUT [MORE ...]
        [--pairs 4] [--variant release1|no_regimes|full]

Each process imports riskmc from one checkout, samples the default scenario
(1,000 replications, one thread) nine times and prints the best time; the two
checkouts alternate (old, new, new, old) so that drifts of the machine fall on
both. With more than two checkouts, each round runs them all, in turn forwards
and backwards, and each gets the median of its times and its ratio to the first
(session 11 compared release 1, session 10's kernel and its own so).
``--variant`` takes the default without its tail blocks (``release1``),
without regimes (``no_regimes``, the tail's 5 % budget) or whole; an old
checkout without the tail blocks ignores it. Session 10 used it to measure
what the tail costs (docs/hazard.md).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

CHILD = """
import sys, time
sys.path.insert(0, sys.argv[1])
import riskmc
from riskmc.scenario import resolve_document, scenario_from_dict, shipped_scenarios
doc = resolve_document(shipped_scenarios()["balochistan.yaml"])
variant = sys.argv[2]
if variant in ("release1", "no_regimes"):
    doc["hazard"].pop("regimes", None)
if variant == "release1":
    doc["hazard"].pop("fatalities", None)
    for p in doc["projects"]:
        p.pop("suspension", None)
s = scenario_from_dict(doc)
riskmc.sample_hazard(s, 64, seed=1, threads=1)
best = min(
    (lambda t: (riskmc.sample_hazard(s, 1000, seed=k, threads=1), time.perf_counter() - t)[1])(
        time.perf_counter()
    )
    for k in range(9)
)
print(f"{best * 1e3:.1f}")
"""


def _time(checkout: str, variant: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, checkout, variant],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("old")
    parser.add_argument("new", nargs="+")
    parser.add_argument("--pairs", type=int, default=4)
    parser.add_argument(
        "--variant", default="no_regimes", choices=["release1", "no_regimes", "full"]
    )
    args = parser.parse_args()
    if len(args.new) > 1:
        checkouts = [args.old, *args.new]
        times: dict[str, list[float]] = {c: [] for c in checkouts}
        for k in range(args.pairs):
            for c in checkouts if k % 2 == 0 else checkouts[::-1]:
                times[c].append(_time(c, args.variant))
        base = statistics.median(times[args.old])
        for c in checkouts:
            m = statistics.median(times[c])
            print(f"{c}: median {m:.1f} ms, {m / base:.3f} of the first")
        return
    old: list[float] = []
    new: list[float] = []
    (other,) = args.new
    for _ in range(args.pairs):
        old.append(_time(args.old, args.variant))
        new.append(_time(other, args.variant))
        new.append(_time(other, args.variant))
        old.append(_time(args.old, args.variant))
        print(f"old {old[-2]:.1f} {old[-1]:.1f}  new {new[-2]:.1f} {new[-1]:.1f} ms")
    ratio = statistics.mean(new) / statistics.mean(old)
    print(f"mean old {statistics.mean(old):.1f} ms, new {statistics.mean(new):.1f} ms: {ratio:.3f}")


if __name__ == "__main__":
    main()
