"""Hashes of every shipped scenario's outputs: the guard of a refactoring.

Usage::

    python benchmarks/scripts/output_hashes.py OUT.json [--check BEFORE.json]
        [--replications 60] [--seeds 3 2026]

For each scenario of ``scenarios/``, each seed: a SHA-1 of every hazard table
(``HazardSample.arrays``, pieces kept, and the attack frame with its deaths)
and of the outcome table of both engines (``simulate(..., engine=...)``, one
worker). ``--check`` compares with a file written before the change and lists
what differs (exit 1), so that "bit-identical before and after" is a command
(issue 23: the house split; session 14).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys

import numpy as np
import pandas as pd

import riskmc
from riskmc.scenario import shipped_scenarios


def _sha(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()[:16]


def _frame(frame: pd.DataFrame) -> str:
    parts = [",".join(map(str, frame.columns)).encode()]
    for column in frame.columns:
        values = frame[column].to_numpy()
        if values.dtype.kind == "O":  # strings: their text, not their addresses
            parts.append("\x1f".join(map(str, values)).encode())
        else:
            parts.append(np.ascontiguousarray(values).tobytes())
    return _sha(b"|".join(parts))


def hashes(replications: int, seeds: list[int]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, path in shipped_scenarios().items():
        scenario = riskmc.load_scenario(path)
        for seed in seeds:
            tag = f"{name}/{seed}"
            sample = riskmc.sample_hazard(scenario, replications, seed=seed, threads=1, pieces=True)
            for table, array in sample.arrays.items():
                out[f"{tag}/hazard/{table}"] = _sha(np.ascontiguousarray(array).tobytes())
            out[f"{tag}/hazard/attacks_frame"] = _frame(sample.attacks)
            for engine in ("simpy", "compiled"):
                result = riskmc.simulate(scenario, replications, seed, workers=1, engine=engine)
                out[f"{tag}/{engine}/outcomes"] = _frame(result.outcomes)
            print(tag, "done", file=sys.stderr)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--check")
    parser.add_argument("--replications", type=int, default=60)
    parser.add_argument("--seeds", type=int, nargs="+", default=[3, 2026])
    args = parser.parse_args()
    found = hashes(args.replications, args.seeds)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(found, f, indent=1, sort_keys=True)
    print(f"{len(found)} hashes written to {args.out}")
    if args.check:
        with open(args.check, encoding="utf-8") as f:
            before = json.load(f)
        differ = sorted(k for k in before.keys() | found.keys() if before.get(k) != found.get(k))
        for key in differ:
            print(f"differs: {key} {before.get(key)} -> {found.get(key)}")
        print(f"{len(found) - len(differ)} of {len(found)} identical")
        return 1 if differ else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
