"""The scenario schema, districts and hazard: where attacks happen and what they cause.

The models of the ``districts`` and ``hazard`` blocks of a scenario file (SPEC.md,
"Scenario file: the fixed core"); :mod:`riskmc.scenario.schema` gathers them.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal, cast

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from riskmc.scenario.distributions import Bounds, Param
from riskmc.scenario.fields import (
    Fatalities,
    Name,
    PlainDays,
    Positive,
    Probability,
    Rate,
    Share,
    _at,
    _duplicates,
    _Model,
    _rule,
)

__all__ = [
    "Blackouts",
    "Campaigns",
    "Closures",
    "District",
    "Hazard",
    "History",
    "ModeClosure",
    "Protests",
    "ProvinceWide",
    "RegimeState",
    "Regimes",
    "Seizure",
    "Targets",
]


# ----------------------------------------------------------------------------- districts


class Targets(_Model):
    """Shares of a district's attacks aimed at each target class; they sum to 1."""

    road: Share = 0.0
    rail: Share = 0.0
    site: Share = 0.0
    other: Share = 0.0

    @model_validator(mode="after")
    def _sums_to_one(self) -> Targets:
        total = self.road + self.rail + self.site + self.other
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise _rule("must sum to 1, got {total}", total=f"{total:g}")
        return self

    def as_tuple(self) -> tuple[float, float, float, float]:
        """Shares in the order road, rail, site, other."""
        return (self.road, self.rail, self.site, self.other)


class District(_Model):
    """An administrative district with its attack hazard."""

    name: Name
    attacks_per_year: Rate = Field(
        description="Long-run mean number of attacks a year, campaigns excluded [1/yr]."
    )
    targets: Targets
    neighbours: tuple[Name, ...] = Field(
        default=(), description="Extra adjacent districts for Hawkes spillover."
    )
    fatalities: Fatalities | None = Field(
        default=None,
        description="Deaths per attack in this district, drawn per attack; null: "
        "hazard.fatalities.",
    )
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    source: str | None = None


# ----------------------------------------------------------------------------- hazard


class Seizure(_Model):
    """A place a campaign may hold, closing every segment that touches it."""

    place: Name
    probability: Probability
    days: Positive


class Campaigns(_Model):
    """Coordinated multi-district offensives (a Poisson process of campaigns)."""

    rate_per_year: Rate = 0.0
    duration_days: Positive = 5.0
    join_probability: dict[Name, Probability] = Field(
        default_factory=lambda: {"default": cast(Param, 0.3)},
        description="Per district name, or 'default' for the others.",
    )
    attacks_per_district: Rate = 3.0
    blackout_probability: Probability = 0.9
    blackout_days: Positive = 6.0
    seizures: tuple[Seizure, ...] = ()


class ModeClosure(_Model):
    """Chance that a road (or rail) attack closes a segment, and for how long."""

    probability: Probability
    days: Positive


class Protests(_Model):
    """Protests and sit-ins closing road segments, per road segment."""

    rate_per_year: Rate = 0.0
    days: Positive = 1.0


class Closures(_Model):
    road: ModeClosure
    rail: ModeClosure
    protests: Protests = Protests()
    road_hours_per_day: Annotated[Param, Bounds(ge=1, le=24)] = Field(
        default=24.0, description="Hours a day roads may be used (night ban), 1 to 24 [h]."
    )


class ProvinceWide(_Model):
    """Province-wide mobile-data suspension orders."""

    rate_per_year: Rate = 0.0
    days: Positive = 1.0


class Blackouts(_Model):
    attack_probability: Probability
    days: Positive
    province_wide: ProvinceWide = ProvinceWide()


class RegimeState(_Model):
    """A state of the province-wide escalation chain."""

    name: Name
    mean_days: PlainDays = Field(description="Mean sojourn in the state (exponential) [days].")
    multiplier: Annotated[float, Field(strict=True, ge=0, le=1_000, allow_inf_nan=False)] = Field(
        description="Multiplies background attack rates and the campaign rate while in the "
        "state, before the normalisation that keeps the long-run mean."
    )


class Regimes(_Model):
    """Escalation regimes: a continuous-time Markov chain per replication (SPEC 1b).

    While in a state, every district's background attack rate and the campaign
    rate are multiplied by the state's multiplier divided by the multipliers'
    stationary mean, so that ``attacks_per_year`` stays the long-run mean.
    """

    start: Name = Field(
        default="stationary",
        description="'stationary' (the state drawn from the chain's long-run shares) or a "
        "state's name.",
    )
    states: tuple[RegimeState, ...] = Field(min_length=2)
    transitions: tuple[tuple[Share, ...], ...] | None = Field(
        default=None,
        description="Jump probabilities, one row per state (zero diagonal, rows sum to 1); "
        "null: to each other state alike.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Regimes:
        names = [x.name for x in self.states]
        for i, name in _duplicates(names):
            raise _at(f"states[{i}].name", f"duplicate state name {name!r}")
        if self.start != "stationary" and self.start not in names:
            raise _at(
                "start",
                f"unknown state {self.start!r} (use 'stationary' or one of {', '.join(names)})",
            )
        if all(x.multiplier == 0 for x in self.states):
            raise _at("states", "at least one state needs a multiplier above 0")
        n = len(self.states)
        if self.transitions is not None:
            if len(self.transitions) != n:
                raise _at(
                    "transitions", f"needs {n} rows (one per state), got {len(self.transitions)}"
                )
            for i, row in enumerate(self.transitions):
                if len(row) != n:
                    raise _at(f"transitions[{i}]", f"needs {n} entries, got {len(row)}")
                if row[i] != 0:
                    raise _at(
                        f"transitions[{i}][{i}]", f"must be 0 (no jump to itself), got {row[i]:g}"
                    )
                if not math.isclose(sum(row), 1.0, abs_tol=1e-6):
                    raise _at(f"transitions[{i}]", f"must sum to 1, got {sum(row):g}")
            # every state must reach every other: else the long-run shares, and with them
            # the normalisation of the multipliers, depend on where the chain starts
            for i in range(n):
                seen, todo = {i}, [i]
                while todo:
                    k = todo.pop()
                    for j in range(n):
                        if self.transitions[k][j] > 0 and j not in seen:
                            seen.add(j)
                            todo.append(j)
                if len(seen) < n:
                    missing = next(j for j in range(n) if j not in seen)
                    raise _at(
                        "transitions",
                        f"state {names[i]!r} never reaches {names[missing]!r}: every state "
                        "must reach every other",
                    )
        return self


class History(_Model):
    """Observed events before ``start_date`` that Hawkes offspring continue (SPEC 1b).

    ``events`` names the export; riskmc reads it (``riskmc run``, :func:`riskmc.simulate`,
    :func:`riskmc.calibration.resolve_history`) into ``days`` and ``districts``, which the
    sampler uses, so that a scenario carries its history to every worker and its
    fingerprint changes with the events.
    """

    events: Annotated[str, Field(min_length=1)] = Field(
        description="An ACLED or GTD export (CSV); a relative path is read from the folder "
        "of the scenario file that names it."
    )
    format: Literal["acled", "gtd"] = Field(default="acled", description="The export's form.")
    days: tuple[Annotated[float, Field(strict=False, lt=0, allow_inf_nan=False)], ...] = Field(
        default=(), description="Written by riskmc: the events' times [days before start_date]."
    )
    districts: tuple[Name, ...] = Field(
        default=(), description="Written by riskmc: each event's district."
    )
    window_start: Annotated[float, Field(strict=False, le=0, allow_inf_nan=False)] | None = Field(
        default=None, description="Written by riskmc: the first day of the export [days]."
    )

    @model_validator(mode="after")
    def _same_length(self) -> History:
        if len(self.days) != len(self.districts):
            raise _at(
                "districts", f"needs one per day ({len(self.days)}), got {len(self.districts)}"
            )
        return self


class Hazard(_Model):
    """The attack process and what attacks, campaigns and orders cause."""

    process: Literal["poisson", "negbin", "hawkes"] = "poisson"
    dispersion: Positive | None = Field(
        default=None, description="negbin: gamma shape k, variance = mean + mean^2 / k."
    )
    branching_ratio: Annotated[Param, Bounds(ge=0, le=0.99)] | None = Field(
        default=None,
        description="hawkes: mean number of attacks one attack triggers; at most 0.99, "
        "so that a cluster holds at most 100 attacks on average.",
    )
    decay_days: Positive | None = Field(
        default=None, description="hawkes: mean delay of a triggered attack [days]."
    )
    spillover: Probability = Field(
        default=0.0, description="hawkes: share of triggered attacks placed in neighbours."
    )
    rate_multiplier: Annotated[Param, Bounds(ge=0, mean_le=100)] = Field(
        default=1.0,
        description="Multiplies every district's attacks_per_year, drawn once per "
        "replication: the shared uncertainty of the provincial total.",
    )
    campaigns: Campaigns = Campaigns()
    closures: Closures
    blackouts: Blackouts
    fatalities: Fatalities | None = Field(
        default=None,
        description="Deaths per attack, drawn per attack (a number or a distribution, rounded "
        "to the nearest integer >= 0); null: no fatalities are drawn (all 0).",
    )
    regimes: Regimes | None = Field(
        default=None, description="Province-wide escalation regimes; null: none."
    )
    history: History | None = Field(
        default=None,
        description="hawkes: observed events before start_date whose offspring continue after "
        "it; null: the past is simulated (a burn-in).",
    )

    @model_validator(mode="after")
    def _process_parameters(self) -> Hazard:
        needed = {"negbin": ("dispersion",), "hawkes": ("branching_ratio", "decay_days")}
        for key in needed.get(self.process, ()):
            if getattr(self, key) is None:
                raise PydanticCustomError(
                    "riskmc_reference",
                    "is required when process is {process}",
                    {"path": key, "process": self.process},
                )
        return self
