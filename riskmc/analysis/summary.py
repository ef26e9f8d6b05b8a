"""Summary statistics with their Monte Carlo uncertainty.

They live in :mod:`riskmc.engine.summary`: a result's ``summary()`` needs them,
and the engine comes before the analysis in the pipeline (issue 23). The names
stay importable from here.
"""

from riskmc.engine.summary import QUANTILES, group_rows, grouped, quantile_interval, summarize

__all__ = ["QUANTILES", "group_rows", "grouped", "quantile_interval", "summarize"]
