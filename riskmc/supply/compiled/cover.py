"""Cover terms of one run, in Numba: the twin of :mod:`riskmc.engine.cover`.

The rules are in that module's docstring; the covers come as arrays
(:data:`K_PERIL` .. :data:`K_RATE` per row), and a run's amounts are written
into its row of the compiled engine's extra outcome columns, in the order of
:func:`riskmc.engine.cover.extra_schema`.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
from numpy.typing import NDArray

__all__ = ["K_DEDUCTIBLE", "K_LIMIT", "K_PERIL", "K_RATE", "K_USD_PER_DAY", "K_WAITING", "N_TERMS"]

# Slots of a cover's terms; the peril as riskmc.engine.cover.PERILS codes it.
K_PERIL, K_WAITING, K_USD_PER_DAY, K_DEDUCTIBLE, K_LIMIT, K_RATE = range(6)
N_TERMS = 6
_INTERRUPTION = 0
_YEAR = 365.25


@nb.njit(cache=True, error_model="numpy")
def premium_pv(yearly: float, rate: float, start: float, horizon: float) -> float:
    """:func:`riskmc.engine.cover.premium_pv` of a premium of ``yearly`` a year."""
    rho = math.log1p(rate) / _YEAR
    pv = 0.0
    t = start
    while t < horizon:
        share = min(1.0, (horizon - t) / _YEAR)
        pv += yearly * share * math.exp(-rho * t)
        t += _YEAR
    return pv


@nb.njit(cache=True, error_model="numpy")
def project_cover(
    terms: NDArray[np.float64],
    slots: NDArray[np.int64],
    n_slots: int,
    n_years: int,
    suspended: NDArray[np.float64],
    n_suspended: int,
    hit_days: NDArray[np.float64],
    hit_usd: NDArray[np.float64],
    n_hits: int,
    start: float,
    horizon: float,
    rate: float,
    row: NDArray[np.float64],
) -> tuple[float, float, float]:
    """Write the project's covers (``terms[c]``, column slot ``slots[c]``) into ``row``.

    ``row`` holds the cover columns from index 0: recovery and premium per slot,
    then per slot and year its payments and its largest payment. Returns the
    totals (recovery, its present value, premium).
    """
    total = 0.0
    total_pv = 0.0
    premium = 0.0
    rho = math.log1p(rate) / _YEAR
    occ_day = np.empty(max(n_suspended, n_hits))
    occ_loss = np.empty(max(n_suspended, n_hits))
    occ_first = np.empty(max(n_suspended, n_hits))
    for c in range(terms.shape[0]):
        t = terms[c]
        j = slots[c]
        m = 0
        if t[K_PERIL] == _INTERRUPTION:
            for s in range(n_suspended):
                a, b = suspended[s, 0], suspended[s, 1]
                first = max(a + t[K_WAITING], start)
                days = min(b, horizon) - first
                if days > 0:
                    occ_day[m] = max(a, start)
                    occ_loss[m] = days * t[K_USD_PER_DAY]
                    occ_first[m] = first
                    m += 1
        else:
            for h in range(n_hits):
                day, usd = hit_days[h], hit_usd[h]
                if start <= day < horizon and usd > t[K_DEDUCTIBLE]:
                    occ_day[m] = day
                    occ_loss[m] = usd - t[K_DEDUCTIBLE]
                    occ_first[m] = day
                    m += 1
        left = t[K_LIMIT]
        paid = 0.0
        base = 2 * n_slots + 2 * n_years * j
        for o in range(m):
            pay = min(occ_loss[o], left)
            left -= pay
            paid += pay
            if t[K_PERIL] == _INTERRUPTION:
                if pay > 0:
                    a = occ_first[o]
                    b = a + pay / t[K_USD_PER_DAY]
                    if rho == 0.0:
                        total_pv += t[K_USD_PER_DAY] * (b - a)
                    else:
                        total_pv += (
                            t[K_USD_PER_DAY] * (math.exp(-rho * a) - math.exp(-rho * b)) / rho
                        )
            else:
                total_pv += pay * math.exp(-rho * occ_day[o])
            k = min(int(np.floor(occ_day[o] / _YEAR)), n_years - 1)
            row[base + 2 * k] += pay
            row[base + 2 * k + 1] = max(row[base + 2 * k + 1], pay)
        pv = premium_pv(t[K_RATE] * t[K_LIMIT], rate, start, horizon)
        row[2 * j] = paid
        row[2 * j + 1] = pv
        total += paid
        premium += pv
    return total, total_pv, premium
