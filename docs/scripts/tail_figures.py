"""The figure of docs/tail.md: reference suspensions beside the model's.

Run from the repository root: ``python docs/scripts/tail_figures.py`` writes
``docs/img/suspension_durations.png`` and prints the numbers quoted in the doc.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from scipy import stats

import riskmc
from riskmc.calibration import fit_reference_suspensions
from riskmc.data import reference_suspensions
from riskmc.supply.project import ProjectValues, district_of, suspensions

OUT = Path(__file__).parents[1] / "img" / "suspension_durations.png"


def kaplan_meier(t: np.ndarray, censored: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Product-limit estimate of P(T > t) at each distinct event time (Kaplan and Meier 1958)."""
    times = np.unique(t[~censored])
    surv, s = [], 1.0
    for x in times:
        at_risk = np.count_nonzero(t >= x)
        ended = np.count_nonzero((t == x) & ~censored)
        s *= 1.0 - ended / at_risk
        surv.append(s)
    return times, np.array(surv)


def model_lengths(replications: int = 4000, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Lengths of the default scenario's merged suspensions of Reko Diq [days].

    With a flag for those still running at the horizon (their length a lower bound).
    """
    s = riskmc.default_scenario()
    project = s.projects[0]
    h = riskmc.sample_hazard(s, replications, seed=seed)
    site = district_of(s, project.site)
    out, cut = [], []
    for r in range(replications):
        ev = h.replication(r)
        spans = suspensions(
            ProjectValues(project, h, ev.theta), project.suspension, site, ev, s.horizon_days
        ).spans
        out += [e - b for b, e in spans]
        cut += [e >= s.horizon_days for _, e in spans]
    return np.array(out), np.array(cut)


def main() -> None:
    ref = reference_suspensions()
    t = ref["duration_days"].to_numpy(dtype=float)
    c = ref["censored"].to_numpy(dtype=bool)
    fit_all = fit_reference_suspensions()
    fit_pk = fit_reference_suspensions(["Pakistan"])
    lengths, running = model_lengths()
    fig, ax = plt.subplots(figsize=(8, 4.8))
    x, km = kaplan_meier(t, c)
    ax.step(
        np.r_[1.0, x],
        np.r_[1.0, km],
        where="post",
        color="k",
        label="reference cases (Kaplan-Meier)",
    )
    ax.plot(
        t[c],
        np.interp(t[c], x, km, left=1.0),
        "k|",
        markersize=12,
        label="still running (lower bounds)",
    )
    grid = np.logspace(0, 4, 200)
    for fit, style, name in ((fit_all, "-", "all 23 cases"), (fit_pk, "--", "Pakistan's 11")):
        sf = stats.lognorm(fit.sigma, scale=fit.median).sf(grid)
        ax.plot(
            grid,
            sf,
            style,
            color="C0",
            label=f"lognormal fit, {name} (median {fit.median:.0f} d, sigma {fit.sigma:.2f})",
        )
    mx, mkm = kaplan_meier(lengths, running)
    ax.step(
        np.r_[1.0, mx],
        np.r_[1.0, mkm],
        where="post",
        color="C3",
        label=f"model: Reko Diq's suspensions, default scenario ({len(lengths):,}, Kaplan-Meier)",
    )
    ax.set_xscale("log")
    ax.set_xlabel("length of the suspension [days]")
    ax.set_ylabel("share longer than x")
    ax.set_ylim(0, 1.02)
    ax.set_xlim(1, 1e4)
    ax.legend(frameon=False, fontsize=8)
    ax.set_title("How long projects stay suspended after attacks")
    fig.tight_layout()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT, dpi=110)
    q = [mx[np.searchsorted(-mkm, -0.5)], mx[np.searchsorted(-mkm, -0.1)]]
    median_ref = x[np.searchsorted(-km, -0.5)]
    print(f"reference: n {len(t)}, censored {c.sum()}, median (KM) {median_ref:.0f} d")
    print(f"fit all: median {fit_all.median:.1f} sigma {fit_all.sigma:.2f}")
    print(f"fit Pakistan: median {fit_pk.median:.1f} sigma {fit_pk.sigma:.2f}")
    print(f"model: {len(lengths)} suspensions ({running.sum()} running at the horizon)")
    print(f"  median {q[0]:.0f} d, P90 {q[1]:.0f} d")
    for d in (30, 90, 365):
        ref_sf = km[np.searchsorted(x, d, side="right") - 1] if d >= x[0] else 1.0
        mod_sf = mkm[np.searchsorted(mx, d, side="right") - 1] if d >= mx[0] else 1.0
        print(f"  longer than {d} d: reference {ref_sf:.2f}, model {mod_sf:.2f}")


if __name__ == "__main__":
    sys.exit(main())
