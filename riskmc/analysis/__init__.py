"""Statistics on outcome tables: pure functions."""

from riskmc.analysis.curves import (
    AGAINST_PLAN,
    binomial_interval,
    contingency,
    exceedance,
    joint_confidence,
    s_curve,
    slip_probability,
)
from riskmc.analysis.summary import QUANTILES, quantile_interval, summarize

__all__ = [
    "AGAINST_PLAN",
    "QUANTILES",
    "binomial_interval",
    "contingency",
    "exceedance",
    "joint_confidence",
    "quantile_interval",
    "s_curve",
    "slip_probability",
    "summarize",
]
