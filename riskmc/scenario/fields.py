"""The scenario schema's field types, limits and base model, shared by its sections.

Money, rates and lengths of time are :data:`~riskmc.scenario.distributions.Param` (a
number or a distribution) with the bounds each key allows; dates are checked to lie
from 1900 to 2200. The models themselves live in :mod:`riskmc.scenario.schema` and the
modules it gathers (``schema_hazard``, ``schema_network``, ``schema_projects``).
"""

from __future__ import annotations

import contextlib
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from riskmc.scenario.distributions import Bounds, Param

DAYS_PER_YEAR = 365.25
#: Years a project's debt_shortfall_mask can hold (bits of an int64 below the sign bit).
DEBT_YEARS = 63


#: The dates a scenario may name (the years debt.first_year may name). Year 1 or 9999
#: is a slip of the keyboard that would overflow the calendar arithmetic, or pandas'
#: nanosecond timestamps, long after validation.
FIRST_DATE = date(1900, 1, 1)
LAST_DATE = date(2200, 12, 31)
#: Longest name_key of a district or project, in bytes: plots are named after it
#: (``lost_drivers_<key>.png``), and most file systems allow 255 bytes.
MAX_KEY_BYTES = 200
#: Most convoys a project's construction, or its exports over the horizon, may need: the
#: supply model holds each one (the default: about 25,000 for Reko Diq's exports).
MAX_CONVOYS = 2_000_000
#: The last day of a horizon: pandas' nanosecond timestamps end on 2262-04-11.
LAST_HORIZON_DAY = date(2262, 4, 10)


def _to_date(value: Any) -> date:
    # A bare ``date`` field would take an integer as a Unix timestamp, so a
    # typo like ``start_date: 2026`` would silently become 1970-01-01.
    day: date | None = None
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    elif isinstance(value, str):
        with contextlib.suppress(ValueError):
            day = date.fromisoformat(value.strip())
    if day is None:
        raise PydanticCustomError(
            "riskmc_rule", "must be a date like 2026-01-01, got {got}", {"got": repr(value)}
        )
    if not FIRST_DATE <= day <= LAST_DATE:
        raise PydanticCustomError(
            "riskmc_rule",
            "must be a date from {first} to {last}, got {got}",
            {"first": str(FIRST_DATE), "last": str(LAST_DATE), "got": str(day)},
        )
    return day


Date = Annotated[date, BeforeValidator(_to_date)]


def _shown(value: Any) -> Any:
    """A name must show something once control characters are dropped (as riskmc prints it)."""
    if isinstance(value, str) and any(unicodedata.category(c) == "Cc" for c in value):
        visible = [c for c in value if unicodedata.category(c) != "Cc" and not c.isspace()]
        if not visible:
            raise PydanticCustomError(
                "riskmc_rule", "must hold a visible character, got {got}", {"got": repr(value)}
            )
    return value


Name = Annotated[
    str,
    StringConstraints(strict=True, strip_whitespace=True, min_length=1),
    BeforeValidator(_shown),
]
# Amounts of money [USD]: ten trillion at most, far beyond any project, so that a slip of the
# keyboard (1e300) is refused here instead of overflowing a sum to inf later.
Money = Annotated[Param, Bounds(ge=0, mean_le=1e13)]
Positive = Annotated[Param, Bounds(gt=0)]
Probability = Annotated[Param, Bounds(ge=0, le=1)]
# Ceilings far beyond any real case, so that a slip of the keyboard (1e308 attacks a year, a
# 1e-6 t convoy) is refused in one line instead of exhausting memory in the simulation.
Rate = Annotated[Param, Bounds(ge=0, mean_le=10_000)]  # events a year
Days = Annotated[Param, Bounds(ge=0, mean_le=100_000)]  # a length of time, 270 years at most
Share = Annotated[float, Field(strict=True, ge=0, le=1, allow_inf_nan=False)]
StressDays = Annotated[float, Field(strict=True, gt=0, le=100_000, allow_inf_nan=False)]
# Deaths per attack: a number or a distribution, drawn per attack and rounded to the nearest
# integer >= 0. The ceiling keeps the kernel's lookup table of the law small.
Fatalities = Annotated[Param, Bounds(ge=0, mean_le=1_000)]
PlainDays = Annotated[float, Field(strict=True, gt=0, le=100_000, allow_inf_nan=False)]


class _Model(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", validate_by_name=True, validate_by_alias=True
    )


def _rule(message: str, **ctx: Any) -> PydanticCustomError:
    return PydanticCustomError("riskmc_rule", message, ctx)


def _at(path: str, message: str) -> PydanticCustomError:
    """An error at ``path`` below the model that raises it."""
    return PydanticCustomError("riskmc_reference", "{message}", {"path": path, "message": message})


def _support(value: Param) -> tuple[float, float]:
    """Least and greatest value a parameter can take."""
    if isinstance(value, float | int):
        return float(value), float(value)
    return value.support()


def _duplicates(items: Iterable[str]) -> Iterator[tuple[int, str]]:
    seen: set[str] = set()
    for i, name in enumerate(items):
        if name in seen:
            yield i, name
        seen.add(name)
