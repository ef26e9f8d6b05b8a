"""Statistics on outcome tables: pure functions."""

from riskmc.analysis.summary import QUANTILES, quantile_interval, summarize

__all__ = ["QUANTILES", "quantile_interval", "summarize"]
