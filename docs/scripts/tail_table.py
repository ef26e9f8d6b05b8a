"""The numbers of docs/tail.md's table "The default's tail, before and after".

Run from the repository root::

    python docs/scripts/tail_table.py scenarios/balochistan.yaml 10000

prints the tail probabilities with their Wilson intervals, P90/P99 delay, the NPV loss and
the debt-service shortfall by year (seed 2026, both cores). Release 1's column is the same
file without its `fatalities`, `regimes` and `suspension` blocks.
"""

from __future__ import annotations

import sys
import time

import riskmc
from riskmc.analysis.curves import shortfall_probability, tail_probabilities
from riskmc.engine.propagate import debt_years


def main(path: str, n: int) -> None:
    scenario = riskmc.load_scenario(path)
    t = time.time()
    o = riskmc.simulate(scenario, replications=n, seed=2026, workers=2).outcomes
    print(f"{path}: {n} replications in {time.time() - t:.0f} s")
    print(tail_probabilities(o).to_string())
    for project, g in o.groupby("project", sort=False):
        d, loss = g["delay_days"], g["npv_loss_usd"] / 1e6
        print(
            f"{project}: P90 delay {d.quantile(0.9):.1f} d, P99 {d.quantile(0.99):.1f} d; "
            f"NPV loss mean {loss.mean():.1f} M USD, P90 {loss.quantile(0.9):.1f}"
        )
    debts = {p.name: p.debt for p in scenario.projects if p.debt is not None}
    if debts:
        first = {k: d.first_year for k, d in debts.items()}
        years = {k: debt_years(scenario, y) for k, y in first.items()}
        print(shortfall_probability(o, first, years).to_string())


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 10_000)
