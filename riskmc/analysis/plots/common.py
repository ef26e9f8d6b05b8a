"""What every plot shares: the figure, its footer, axis labels with units, literal names.

Also :func:`png_bytes`, a figure as PNG bytes at the plots' resolution.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable
from typing import Any, TypeVar, cast

import matplotlib
import pandas as pd
from matplotlib.figure import Figure

__all__ = ["axis_label", "png_bytes"]


_DPI = 110
_QUANTILE_MARKS = ((0.50, "P50", "#1b9e77"), (0.80, "P80", "#d95f02"), (0.90, "P90", "#7570b3"))
_BAND_NOTE = "shaded: pointwise 95 % Wilson score interval (Monte Carlo error)"


_F = TypeVar("_F", bound=Callable[..., Any])


def _names_as_text(build: _F) -> _F:
    """Build the figure with mathtext off: a name holding ``$`` is shown as it is.

    Matplotlib reads ``$...$`` in any text as TeX math; a scenario, district or
    project called ``"$x^"`` would fail to draw (and ``"$1$"`` would draw as math).
    Text objects keep the setting they were made with, so drawing later is safe.
    """

    @functools.wraps(build)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with matplotlib.rc_context({"text.parse_math": False}):
            return build(*args, **kwargs)

    return cast(_F, wrapper)


def axis_label(metric: str) -> tuple[str, float]:
    """Axis label of an outcome column, and the factor its values are divided by.

    The unit is the bracketed part of the column's description in
    ``OUTCOME_COLUMNS``; US dollars are shown in millions.

    >>> axis_label("delay_days")
    ('delay_days [days]', 1.0)
    >>> axis_label("capex_overrun_usd")
    ('capex_overrun_usd [million USD]', 1000000.0)
    """
    from riskmc.engine.propagate import OUTCOME_COLUMNS

    found = re.search(r"\[([^\]]+)\]", OUTCOME_COLUMNS.get(metric, ""))
    unit = found.group(1) if found else ("USD" if metric.endswith("_usd") else "")
    if unit.startswith("USD"):
        return f"{metric} [million {unit}]", 1e6
    return (f"{metric} [{unit}]" if unit else metric), 1.0


def _figure(width: float = 8.0, height: float = 4.8) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _footer(fig: Figure, *lines: str) -> None:
    text = "\n".join(line for line in lines if line)
    if text:
        fig.supxlabel(text, fontsize=7.5, color="0.35", ha="left", x=0.01)


def _scenario_line(scenario: str, n: int | None = None, seed: int | None = None) -> str:
    parts = [f"Scenario: {scenario}"]
    if n is not None:
        parts.append(f"{n:,} replications")
    if seed is not None:
        parts.append(f"seed {seed}")
    return ", ".join(parts)


def _label_column(frame: pd.DataFrame) -> str:
    return "name" if "name" in frame else "driver"


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes (Agg canvas)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI)
    return buffer.getvalue()
