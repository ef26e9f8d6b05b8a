"""Risk drivers: the share of expected delay held by each cause and each district.

The supply model records, for every day of construction delay, what held it
(see :meth:`riskmc.engine.ChunkModel` and ``docs/supply.md``); the outcome
table carries the days by cause (``delay_<cause>_days``) and by district
(``delay_at_<district>_days``). A share is a ratio of means,
``mean(days held by k) / mean(delay_days)``, so the shares of the causes add
up to 100 %, and so do the districts' with the delay that no district held
("unattributed").

The interval of a share is the delta-method (linearisation) interval of a
ratio estimator: with ``R = mean(x) / mean(y)``, the standard error is the
standard deviation of ``x - R y`` over ``sqrt(n) mean(y)`` (Cochran,
*Sampling Techniques*, 3rd ed., 1977, section 6.4).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from riskmc.engine.propagate import DRIVER_CAUSES

__all__ = ["driver_shares"]

_Z95 = 1.959963984540054


def _ratio(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    n = len(x)
    my = float(y.mean()) if n else 0.0
    if my <= 0:
        return math.nan, math.nan
    r = float(x.mean()) / my
    if n < 2:
        return r, math.nan
    return r, float(np.std(x - r * y, ddof=1)) / (math.sqrt(n) * my)


def driver_shares(outcomes: pd.DataFrame, metric: str = "delay_days") -> pd.DataFrame:
    """Share of the expected delay held by each cause and each district, per project.

    Parameters
    ----------
    outcomes : DataFrame
        ``SimulationResult.outcomes``.
    metric : str
        The total the shares divide (``delay_days``).

    Returns
    -------
    DataFrame
        One row per (project, kind, name): ``kind`` is ``"cause"`` or
        ``"district"``; ``days`` is the mean days held; ``share``, ``se``,
        ``low`` and ``high`` (95 %) are of the share of the mean delay. Within
        a project and a kind the shares add up to 1. Projects with no delay
        (operating mines) are left out.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"project": ["A", "A"], "delay_days": [4.0, 0.0],
    ...     "delay_attack_closure_days": [3.0, 0.0], "delay_blackout_days": [1.0, 0.0],
    ...     "delay_other_days": [0.0, 0.0], "delay_at_beta_days": [4.0, 0.0]})
    >>> for row in driver_shares(t).itertuples():
    ...     print(row.kind, row.name, row.share)
    cause attack closure 0.75
    cause blackout 0.25
    district beta 1.0
    """
    causes = [c for c in DRIVER_CAUSES if f"delay_{c}_days" in outcomes.columns]
    districts = [c for c in outcomes.columns if c.startswith("delay_at_") and c.endswith("_days")]
    rows = []
    for project, g in outcomes.groupby("project", sort=False, observed=True):
        y = g[metric].to_numpy(dtype=np.float64)
        if len(y) == 0 or y.mean() <= 0:
            continue
        parts = [("cause", c.replace("_", " "), f"delay_{c}_days") for c in causes]
        parts += [("district", c[len("delay_at_") : -len("_days")], c) for c in districts]
        parts.append(("district", "unattributed", "delay_other_days"))
        for kind, name, column in parts:
            if column not in g.columns:
                continue
            x = g[column].to_numpy(dtype=np.float64)
            if kind == "cause" or name == "unattributed" or x.any():
                share, se = _ratio(x, y)
                if name == "unattributed" and share == 0:
                    continue
                rows.append(
                    (
                        project,
                        kind,
                        name,
                        float(x.mean()),
                        share,
                        se,
                        share - _Z95 * se,
                        share + _Z95 * se,
                    )
                )
    frame = pd.DataFrame(
        rows, columns=["project", "kind", "name", "days", "share", "se", "low", "high"]
    )
    keep = (frame["kind"] == "district") | (frame["days"] > 0)
    return frame[keep].reset_index(drop=True)
