"""Analysis of outcome tables: statistics, drivers, comparisons and sensitivity.

The statistics are pure functions of ``SimulationResult.outcomes``;
:func:`compare`, :func:`tornado` and :func:`scenario_sobol` run simulations
on common random numbers.
"""

from riskmc.analysis.compare import Comparison, compare
from riskmc.analysis.curves import (
    AGAINST_PLAN,
    contingency,
    exceedance,
    joint_confidence,
    s_curve,
    shortfall_probability,
    slip_probability,
    tail_probabilities,
)
from riskmc.analysis.drivers import driver_shares
from riskmc.analysis.insurer import InsurerView, insurer_view
from riskmc.analysis.intervals import binomial_interval
from riskmc.analysis.lender import LenderView, lender_view
from riskmc.analysis.sensitivity import (
    Factor,
    default_factors,
    scenario_sobol,
    sobol_indices,
    tornado,
    uncertain_parameters,
)
from riskmc.analysis.summary import QUANTILES, quantile_interval, summarize

__all__ = [
    "AGAINST_PLAN",
    "QUANTILES",
    "Comparison",
    "Factor",
    "InsurerView",
    "LenderView",
    "binomial_interval",
    "compare",
    "contingency",
    "default_factors",
    "driver_shares",
    "exceedance",
    "insurer_view",
    "joint_confidence",
    "lender_view",
    "quantile_interval",
    "s_curve",
    "scenario_sobol",
    "shortfall_probability",
    "slip_probability",
    "sobol_indices",
    "summarize",
    "tail_probabilities",
    "tornado",
    "uncertain_parameters",
]
