"""Risk drivers: the share of expected delay, or of lost output, held by each cause and district.

The supply model records, for every day of construction delay and every
tonne of output lost, what held it (see :meth:`riskmc.engine.ChunkModel` and
``docs/supply.md``); the outcome table carries the days by cause
(``delay_<cause>_days``) and by district (``delay_at_<district>_days``), and
the tonnes likewise (``lost_<cause>_t``, ``lost_at_<district>_t``). A share
is a ratio of means, ``mean(held by k) / mean(total)``, so the shares of the
causes add up to 100 %, and so do the districts' with what no district held
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
from numpy.typing import NDArray

from riskmc.analysis.summary import group_rows
from riskmc.engine.propagate import DRIVER_CAUSES, LOSS_CAUSES

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


#: The metrics with drivers: (prefix, suffix, causes) of their attribution columns.
_ATTRIBUTED = {
    "delay_days": ("delay_", "_days", DRIVER_CAUSES),
    "lost_output_t": ("lost_", "_t", LOSS_CAUSES),
}


def driver_shares(outcomes: pd.DataFrame, metric: str = "delay_days") -> pd.DataFrame:
    """Share of the expected delay (or lost output) held by each cause and district, per project.

    Parameters
    ----------
    outcomes : DataFrame
        ``SimulationResult.outcomes``.
    metric : str
        The total the shares divide: ``"delay_days"`` or ``"lost_output_t"``.

    Returns
    -------
    DataFrame
        One row per (project, kind, name): ``kind`` is ``"cause"`` or
        ``"district"``; ``mean`` is the mean amount held (days of delay, or
        tonnes); ``share``, ``se``, ``low`` and ``high`` (95 %) are of the
        share of the metric's mean. Within a project and a kind the shares
        add up to 1. Projects whose mean is not positive (an operating mine's
        delay) are left out.

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
    if metric not in _ATTRIBUTED:
        raise ValueError(f"metric: must be one of {', '.join(_ATTRIBUTED)}, got {metric!r}")
    pre, post, known = _ATTRIBUTED[metric]
    causes = [c for c in known if f"{pre}{c}{post}" in outcomes.columns]
    at = f"{pre}at_"
    districts = [c for c in outcomes.columns if c.startswith(at) and c.endswith(post)]
    rows = []
    totals: dict[object, float] = {}
    # one column of one project at a time: a groupby would copy the whole table first
    for project, where in group_rows(outcomes, "project"):

        def values(column: str, where: NDArray[np.intp] = where) -> NDArray[np.float64]:
            return outcomes[column].take(where).to_numpy(dtype=np.float64)

        y = values(metric)
        totals[project] = float(y.mean()) if len(y) else 0.0
        if len(y) == 0 or y.mean() <= 0:
            continue
        parts = [("cause", c.replace("_", " "), f"{pre}{c}{post}") for c in causes]
        parts += [("district", c[len(at) : -len(post)], c) for c in districts]
        parts.append(("district", "unattributed", ""))
        for kind, name, column in parts:
            if name == "unattributed":
                # what no district held: the metric minus every district's part, added
                # column after column from zero (the additions, in the same order, of the
                # row sums of the districts' columns as to_numpy() gives them, column-major)
                held = np.zeros(len(y))
                for d in districts:
                    held += values(d)
                x = y - held
                x[np.abs(x) < 1e-9 * np.maximum(np.abs(y), 1.0)] = 0.0  # rounding
            else:
                x = values(column)
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
        rows, columns=["project", "kind", "name", "mean", "share", "se", "low", "high"]
    )
    # a cause that held nothing (up to rounding) is left out; a signed one (lost output in
    # storage) is kept
    scale = frame["project"].map(totals).abs().clip(lower=1.0) if len(frame) else 1.0
    keep = (frame["kind"] == "district") | (frame["mean"].abs() > 1e-9 * scale)
    return frame[keep].reset_index(drop=True)
