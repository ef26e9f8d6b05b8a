"""The scenario schema: frozen pydantic models, validated once at the edge.

The names here are the scenario-file keys of SPEC.md ("Scenario file: the
fixed core"), plus a few documented additions (``rate_multiplier``,
``interest_usd_per_day``, the rail service of ``operations``, ``source`` tags,
coordinates). Every model rejects unknown keys. After the field rules,
:class:`Scenario` cross-checks the names: every district, place and segment a
field refers to must exist, a segment must join two different places, targets
must sum to 1, and every project's site must reach its port.

Units are in the key names: ``_days``, ``_t`` (tonnes), ``_usd``, ``km``,
``kmh``, ``_per_year``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
import unicodedata
from collections import deque
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal, TypeAlias, cast

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    model_validator,
)
from pydantic_core import PydanticCustomError

from riskmc.scenario.distributions import Bounds, Param, param_mean

__all__ = [
    "AttackTrigger",
    "Blackouts",
    "CampaignTrigger",
    "Campaigns",
    "Closures",
    "Construction",
    "Costs",
    "Cover",
    "District",
    "Hazard",
    "History",
    "Logistics",
    "ModeClosure",
    "Network",
    "Operations",
    "Place",
    "Project",
    "Protests",
    "ProvinceWide",
    "RegimeState",
    "Regimes",
    "Scenario",
    "Segment",
    "Seizure",
    "StressAttack",
    "StressBlackout",
    "StressClosure",
    "StressEvent",
    "StressSeizure",
    "Suspension",
    "Targets",
    "name_key",
]

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


# ----------------------------------------------------------------------------- network

PlaceKind = Literal["port", "mine", "town", "city", "junction", "border", "depot"]


class Place(_Model):
    """A node of the network."""

    name: Name
    district: Name | None = Field(
        description="District the place lies in; null for a place outside the modelled "
        "province (no hazard there)."
    )
    kind: PlaceKind
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    source: str | None = None


class Segment(_Model):
    """A road or rail link between two places (usable both ways)."""

    name: Name
    mode: Literal["road", "rail"]
    from_: Name = Field(alias="from")
    to: Name
    km: Annotated[Param, Bounds(gt=0, mean_le=100_000)] = Field(description="Length [km].")
    kmh: Annotated[Param, Bounds(ge=1, mean_le=1_000)] = Field(
        description="Average speed while moving [km/h]."
    )
    districts: tuple[Name, ...] = Field(
        default=(), description="Districts the segment passes through (its hazard)."
    )
    source: str | None = None


class Network(_Model):
    places: tuple[Place, ...]
    segments: tuple[Segment, ...] = ()


# ----------------------------------------------------------------------------- projects


class Construction(_Model):
    start: Date
    planned_days: Annotated[Param, Bounds(ge=1, mean_le=100_000)]
    material_t: Annotated[Param, Bounds(gt=0, mean_le=1e12)] = Field(
        description="Inbound material the planned work needs [t]."
    )
    site_buffer_days: Days = Field(description="Site stockpile, in days of need.")
    blackout_productivity: Probability = 1.0
    site_attack_standdown_days: Days = 0.0


class Operations(_Model):
    output_t_per_day: Annotated[Param, Bounds(gt=0, mean_le=1e7)]
    consumables_t_per_day: Annotated[Param, Bounds(ge=0, mean_le=1e7)]
    consumables_buffer_days: Days
    storage_days: Annotated[Param, Bounds(ge=0.1, mean_le=10_000)] = Field(
        description="Site storage of output, in days of output (at least 0.1)."
    )
    export_mode: Literal["road", "rail"]
    ramp_up_days: Days = Field(
        default=0.0,
        description="Days from first production to full output (a linear ramp, taken in "
        "steps of at most 30 days).",
    )
    site_attack_standdown_days: Days | None = Field(
        default=None,
        description="Days production stops after an attack on the site; null: the "
        "construction value, or 0 for an operating mine.",
    )
    trains_per_day: Annotated[Param, Bounds(ge=0, mean_le=1_000)] = Field(
        default=1.0, description="rail export: departures a day."
    )
    train_t: Positive = Field(default=1000.0, description="rail export: payload of a train [t].")
    surge_trains_per_day: Annotated[Param, Bounds(ge=0, mean_le=1_000)] | None = Field(
        default=None,
        description="rail export: departures a day while concentrate waits in storage (the "
        "backlog after a closure); at least trains_per_day. Null: trains_per_day (no catch-up "
        "beyond the usual service).",
    )
    turnaround_days: Days = Field(
        default=0.0,
        description="rail export: days before a train set is back at the site (recorded; "
        "the export flow model does not use it yet).",
    )

    @model_validator(mode="after")
    def _surge_covers_the_service(self) -> Operations:
        if self.surge_trains_per_day is not None:
            surge = _support(self.surge_trains_per_day)[0]
            usual = _support(self.trains_per_day)[1]
            if surge < usual:
                raise PydanticCustomError(
                    "riskmc_reference",
                    "must be at least trains_per_day ({usual}), got {surge}",
                    {"path": "surge_trains_per_day", "usual": f"{usual:g}", "surge": f"{surge:g}"},
                )
        return self


class Logistics(_Model):
    convoy_t: Annotated[Param, Bounds(ge=1, mean_le=1e6)] = Field(
        description="Payload of one road convoy [t], at least 1."
    )
    dispatch_needs_comms: bool = Field(
        strict=True, description="Convoys wait while origin or site district is blacked out."
    )
    escorted: bool = Field(
        default=False,
        strict=True,
        description="Convoys travel under escort, each at costs.escort_usd_per_convoy; the "
        "escorts' effect on attack closures is set in the hazard block of the same scenario.",
    )


class Costs(_Model):
    standby_usd_per_day: Money
    overhead_usd_per_day: Money
    interest_usd_per_day: Money = 0.0
    escort_usd_per_convoy: Money = 0.0
    transport_usd_per_tkm: Money = 0.0
    site_attack_damage_usd: Money = 0.0
    convoy_loss_share: Probability = 0.0
    material_usd_per_t: Money = Field(
        default=0.0,
        description="Value of a tonne of inbound construction cargo (equipment, steel, "
        "cement): what an attack on a convoy destroys is replaced at this price. 0: not valued.",
    )
    consumables_usd_per_t: Money = Field(
        default=0.0,
        description="Value of a tonne of inbound consumables (reagents, grinding media, fuel), "
        "likewise. 0: not valued.",
    )
    price_usd_per_t: Money = 0.0
    discount_rate: Annotated[Param, Bounds(ge=0, le=1)] = 0.0
    mitigation_usd: Money = Field(
        default=0.0,
        description="One-off cost of the scenario's mitigations other than escorts (e.g. a "
        "larger laydown yard, satellite terminals), spent on the project's first day.",
    )


PlainMoney = Annotated[float, Field(strict=False, ge=0, le=1e13, allow_inf_nan=False)]


class Debt(_Model):
    """The lender's view: yearly debt service against the year's export revenue (SPEC 4b)."""

    service_usd_per_year: Money | None = Field(
        default=None, description="Debt service due each year (or give schedule_usd)."
    )
    schedule_usd: tuple[PlainMoney, ...] | None = Field(
        default=None,
        description="Debt service due in first_year, first_year + 1, ... [USD]; none due "
        "after the last (instead of service_usd_per_year).",
    )
    first_year: Annotated[int, Field(strict=True, ge=1900, le=2200)] = Field(
        description="Calendar year of the first debt service."
    )
    cash_margin: Probability = Field(
        default=1.0,
        description="Share of export revenue available for debt service (after operating "
        "costs and taxes).",
    )
    lockup_dscr: Annotated[float, Field(strict=False, gt=0, le=100, allow_inf_nan=False)] = Field(
        default=1.2,
        description="Distributions to sponsors are locked up in a year whose debt service "
        "coverage ratio falls below this.",
    )
    reserve_months: Annotated[float, Field(strict=False, ge=0, le=120, allow_inf_nan=False)] = (
        Field(
            default=0.0,
            description="Debt service reserve: this many months of the year's service, drawn "
            "before a payment default counts, refilled from surplus cash.",
        )
    )
    grace_date: Date | None = Field(
        default=None,
        description="First production is due by this date; null: 1 January of first_year.",
    )

    @model_validator(mode="after")
    def _one_service(self) -> Debt:
        if (self.service_usd_per_year is None) == (self.schedule_usd is None):
            raise _rule("give one of service_usd_per_year and schedule_usd")
        return self

    def service(self, k: int, level: float) -> float:
        """Service due in year ``first_year + k`` [USD]; ``level``: the level amount drawn."""
        if self.schedule_usd is None:
            return level
        return self.schedule_usd[k] if k < len(self.schedule_usd) else 0.0


class Cover(_Model):
    """A political-risk insurance cover of a project (SPEC 4b).

    ``interruption`` pays ``usd_per_day`` for each day of a suspension beyond
    ``waiting_days`` (counted from the suspension's start); ``damage`` pays each
    site-attack damage above ``deductible_usd``. ``limit_usd`` caps the cover's
    payments over the horizon; the premium each year is ``premium_rate`` x
    ``limit_usd``.
    """

    name: Name
    peril: Literal["interruption", "damage"]
    waiting_days: Annotated[float, Field(strict=False, ge=0, le=100_000, allow_inf_nan=False)] = 0.0
    usd_per_day: PlainMoney = 0.0
    deductible_usd: PlainMoney = 0.0
    limit_usd: PlainMoney
    premium_rate: Annotated[float, Field(strict=False, ge=0, le=1, allow_inf_nan=False)] = 0.0

    @model_validator(mode="after")
    def _terms_of_peril(self) -> Cover:
        wrong = (
            ["deductible_usd"] if self.peril == "interruption" else ["waiting_days", "usd_per_day"]
        )
        for f in wrong:  # 0, the default, is what a saved scenario writes for them
            if getattr(self, f) != 0:
                raise _at(f, f"does not apply to a cover of peril {self.peril!r}")
        if self.peril == "interruption" and "usd_per_day" not in self.model_fields_set:
            raise _at("usd_per_day", "is required for a cover of peril 'interruption'")
        return self


class AttackTrigger(_Model):
    """Attacks that may suspend a project: at least ``min_fatalities`` deaths."""

    min_fatalities: Annotated[int, Field(strict=True, ge=0, le=1_000_000)] = 0
    probability: Probability


class CampaignTrigger(_Model):
    """A campaign that the site's district joins may suspend the project."""

    probability: Probability


class Suspension(_Model):
    """Long stops of the whole site after severe events (SPEC 3b)."""

    site_attack: AttackTrigger | None = Field(
        default=None, description="An attack on the site (in the site's district)."
    )
    district_attack: AttackTrigger | None = Field(
        default=None, description="Any attack in the site's district."
    )
    campaign: CampaignTrigger | None = Field(
        default=None, description="A campaign that the site's district joins."
    )
    days: Positive = Field(description="Length of a suspension, drawn per suspension [days].")
    remobilization_days: Days = Field(
        default=0.0, description="After a suspension, work and output at half rate [days]."
    )
    remobilization_usd: Money = Field(
        default=0.0, description="Cost of demobilising and bringing staff back, per suspension."
    )
    standby_days: Days | None = Field(
        default=None,
        description="Standby is paid for at most this many days of each suspension in "
        "construction (then the contractors are demobilised); null: every day.",
    )
    force_majeure_days: PlainDays = Field(
        default=90.0, description="A suspension at least this long counts as force majeure."
    )


class Project(_Model):
    """A mining project: its site, its port and its supply chain."""

    name: Name
    site: Name
    port: Name
    construction: Construction | None = Field(
        default=None, description="Remaining construction; null for an operating mine."
    )
    operations: Operations
    logistics: Logistics
    costs: Costs
    debt: Debt | None = Field(
        default=None, description="Yearly debt service, for the shortfall probability."
    )
    suspension: Suspension | None = Field(
        default=None, description="Long stops after severe attacks and campaigns; null: none."
    )
    cover: tuple[Cover, ...] = Field(
        default=(), description="Political-risk insurance covers (SPEC 4b); empty: none."
    )
    source: str | None = None


# ----------------------------------------------------------------------------- stress


class StressClosure(_Model):
    kind: Literal["closure"] = "closure"
    segment: Name
    start: Date
    days: StressDays


class StressBlackout(_Model):
    kind: Literal["blackout"] = "blackout"
    district: Name = Field(description="A district name, or 'all'.")
    start: Date
    days: StressDays


class StressSeizure(_Model):
    kind: Literal["seizure"] = "seizure"
    place: Name
    start: Date
    days: StressDays


class StressAttack(_Model):
    kind: Literal["attack"] = "attack"
    district: Name
    target: Literal["road", "rail", "site", "other"]
    start: Date
    fatalities: Annotated[int, Field(strict=True, ge=0, le=1_000_000)] | None = Field(
        default=None, description="Deaths; null: drawn as for any attack of the district."
    )


def _kind_tag(value: Any) -> str | None:
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    return f"<{kind}>" if isinstance(kind, str) else None


StressEvent: TypeAlias = Annotated[
    Annotated[StressClosure, Tag("<closure>")]
    | Annotated[StressBlackout, Tag("<blackout>")]
    | Annotated[StressSeizure, Tag("<seizure>")]
    | Annotated[StressAttack, Tag("<attack>")],
    Discriminator(_kind_tag),
]


# ----------------------------------------------------------------------------- scenario


class Scenario(_Model):
    """A whole scenario: districts and their hazard, the network, the projects.

    Build one with :func:`riskmc.load_scenario` (YAML or TOML, with
    ``extends:``) or :func:`riskmc.default_scenario`; the object is frozen.
    """

    name: Name
    description: str = ""
    start_date: Date
    horizon_years: Annotated[float, Field(strict=True, gt=0, le=200, allow_inf_nan=False)]
    districts: tuple[District, ...]
    hazard: Hazard
    network: Network
    projects: tuple[Project, ...] = ()
    stress: tuple[StressEvent, ...] = ()

    @property
    def horizon_days(self) -> float:
        """Length of the horizon, ``horizon_years * 365.25`` [days]."""
        return self.horizon_years * DAYS_PER_YEAR

    def day_of(self, when: date) -> float:
        """Days from ``start_date`` to ``when``."""
        return float((when - self.start_date).days)

    def date_of(self, day: float) -> date:
        """Calendar date ``day`` days after ``start_date`` (rounded down)."""
        return self.start_date + timedelta(days=math.floor(day))

    def district(self, name: str) -> District:
        """The district called ``name``."""
        for d in self.districts:
            if d.name == name:
                return d
        raise KeyError(name)

    def fingerprint(self) -> str:
        """SHA-256 of the scenario's canonical JSON: equal for equal scenarios."""
        doc = self.model_dump(mode="json", by_alias=True)
        text = json.dumps(doc, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    @model_validator(mode="after")
    def _cross_check(self) -> Scenario:
        for path, message in _reference_problems(self):
            raise PydanticCustomError(
                "riskmc_reference", "{message}", {"path": path, "message": message}
            )
        return self


def name_key(name: str) -> str:
    """The form of a name in column and file names: case folded, words joined by ``_``.

    Two names with one key would write one column or one file; validation
    refuses them (``Alpha`` and ``ALPHA``, ``Mine A`` and ``Mine-A``). Letters of
    every script are kept.

    Examples
    --------
    >>> name_key("Mine-A"), name_key("mine a"), name_key("Dera  Bugti")
    ('mine_a', 'mine_a', 'dera_bugti')
    """
    return "_".join(re.sub(r"[\W_]+", " ", name.casefold()).split())


def _key_clashes(names: list[str]) -> Iterator[tuple[int, int, str]]:
    """``(i, j, key)`` for each name ``i`` whose key an earlier, different name ``j`` has."""
    first: dict[str, int] = {}
    for i, name in enumerate(names):
        key = name_key(name)
        j = first.setdefault(key, i)
        if j != i and names[j] != name:
            yield i, j, key


def _duplicates(items: Iterable[str]) -> Iterator[tuple[int, str]]:
    seen: set[str] = set()
    for i, name in enumerate(items):
        if name in seen:
            yield i, name
        seen.add(name)


def reachable(network: Network, source: str, modes: Iterable[str]) -> set[str]:
    """Places reachable from ``source`` over segments of the given modes."""
    allowed = set(modes)
    links: dict[str, list[str]] = {}
    for seg in network.segments:
        if seg.mode in allowed:
            links.setdefault(seg.from_, []).append(seg.to)
            links.setdefault(seg.to, []).append(seg.from_)
    seen = {source}
    queue = deque([source])
    while queue:
        for nxt in links.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def _reference_problems(s: Scenario) -> Iterator[tuple[str, str]]:
    """Yield ``(field path, rule)`` for every broken cross-reference."""
    districts = {d.name for d in s.districts}
    places = {p.name for p in s.network.places}
    segments = {g.name for g in s.network.segments}

    for what, path, names in (
        ("district", "districts", [d.name for d in s.districts]),
        ("place", "network.places", [p.name for p in s.network.places]),
        ("segment", "network.segments", [g.name for g in s.network.segments]),
        ("project", "projects", [p.name for p in s.projects]),
    ):
        for i, name in _duplicates(names):
            yield f"{path}[{i}].name", f"duplicate {what} name {name!r}"
        if what in ("district", "project"):  # their names become columns and file names
            for i, name in enumerate(names):
                size = len(name_key(name).encode("utf-8"))
                if size > MAX_KEY_BYTES:
                    yield (
                        f"{path}[{i}].name",
                        f"too long: as a file name it takes {size:,} bytes, at most "
                        f"{MAX_KEY_BYTES}",
                    )
            for i, j, key in _key_clashes(names):
                yield (
                    f"{path}[{i}].name",
                    f"{names[i]!r} and {names[j]!r} ({path}[{j}]) would share the column "
                    f"and file name {key!r}; rename one",
                )

    cover_keys: dict[str, str] = {}
    for i, p in enumerate(s.projects):
        names = [c.name for c in p.cover]
        for j, _key in _duplicates(name_key(n) for n in names):
            yield f"projects[{i}].cover[{j}].name", f"duplicate cover name {names[j]!r}"
        for j, name in enumerate(names):
            key = name_key(name)
            if len(key.encode("utf-8")) > MAX_KEY_BYTES:
                yield f"projects[{i}].cover[{j}].name", f"too long: at most {MAX_KEY_BYTES} bytes"
            elif cover_keys.setdefault(key, name) != name:
                yield (
                    f"projects[{i}].cover[{j}].name",
                    f"{name!r} and {cover_keys[key]!r} would share the column name {key!r}; "
                    "rename one",
                )

    for i, d in enumerate(s.districts):
        if d.name in ("default", "all"):
            yield f"districts[{i}].name", f"{d.name!r} is reserved (join_probability, stress)"
        for j, n in enumerate(d.neighbours):
            if n not in districts:
                yield f"districts[{i}].neighbours[{j}]", f"unknown district {n!r}"
            elif n == d.name:
                yield f"districts[{i}].neighbours[{j}]", "a district is not its own neighbour"
            elif n in d.neighbours[:j]:
                yield f"districts[{i}].neighbours[{j}]", f"{n!r} is listed twice"

    camp = s.hazard.campaigns
    for key in camp.join_probability:
        if key != "default" and key not in districts:
            yield (
                f"hazard.campaigns.join_probability.{key}",
                f"unknown district {key!r} (use a district name or 'default')",
            )
    for i, z in enumerate(camp.seizures):
        if z.place not in places:
            yield f"hazard.campaigns.seizures[{i}].place", f"unknown place {z.place!r}"

    for i, place in enumerate(s.network.places):
        if place.district is not None and place.district not in districts:
            yield f"network.places[{i}].district", f"unknown district {place.district!r}"

    for i, g in enumerate(s.network.segments):
        for key, node in (("from", g.from_), ("to", g.to)):
            if node not in places:
                yield f"network.segments[{i}].{key}", f"unknown place {node!r}"
        if g.from_ == g.to:
            yield (
                f"network.segments[{i}]",
                f"connects nothing: 'from' and 'to' are both {g.to!r}",
            )
        for j, n in enumerate(g.districts):
            if n not in districts:
                yield f"network.segments[{i}].districts[{j}]", f"unknown district {n!r}"

    for i, p in enumerate(s.projects):
        known = True
        for key, name in (("site", p.site), ("port", p.port)):
            if name not in places:
                known = False
                yield f"projects[{i}].{key}", f"unknown place {name!r}"
        if not known:
            continue
        if p.site == p.port:
            yield f"projects[{i}].port", f"must differ from the site, got {p.port!r} for both"
            continue
        # Inbound material and consumables come by road convoy; output leaves by
        # its export mode.
        if p.port not in reachable(s.network, p.site, ["road"]):
            yield (
                f"projects[{i}].site",
                f"{p.site!r} cannot reach port {p.port!r} by road (inbound convoys)",
            )
            continue
        mode = p.operations.export_mode
        if p.port not in reachable(s.network, p.site, [mode]):
            yield (
                f"projects[{i}].operations.export_mode",
                f"{p.site!r} cannot reach port {p.port!r} by {mode}",
            )

    try:
        end = s.start_date + timedelta(days=s.horizon_days)
    except OverflowError:
        end = date.max
    if end > LAST_HORIZON_DAY:
        yield "horizon_years", f"the horizon from {s.start_date} must end by {LAST_HORIZON_DAY}"
        return
    for i, p in enumerate(s.projects):
        if p.construction is not None and not p.construction.start < end:
            yield (
                f"projects[{i}].construction.start",
                f"must fall before the end of the horizon ({end}), got {p.construction.start}: "
                "the project would not start within the run (for the hazard alone, leave "
                "the projects out)",
            )
    for i, p in enumerate(s.projects):
        # The supply model holds every convoy of a replication: a few million at most.
        convoy = param_mean(p.logistics.convoy_t)
        if p.construction is not None:
            convoys = param_mean(p.construction.material_t) / convoy
            if convoys > MAX_CONVOYS:
                yield (
                    f"projects[{i}].construction.material_t",
                    f"needs {convoys:,.0f} convoys of logistics.convoy_t (at most "
                    f"{MAX_CONVOYS:,}): raise convoy_t or lower material_t",
                )
        convoys = param_mean(p.operations.output_t_per_day) * s.horizon_days / convoy
        if convoys > MAX_CONVOYS:
            yield (
                f"projects[{i}].operations.output_t_per_day",
                f"needs {convoys:,.0f} convoys of logistics.convoy_t over the horizon (at most "
                f"{MAX_CONVOYS:,}): raise convoy_t or lower output_t_per_day",
            )
    for i, p in enumerate(s.projects):
        # debt_shortfall_mask has a bit per year from first_year on, in an int64
        if p.debt is not None and end.year - p.debt.first_year > DEBT_YEARS - 1:
            yield (
                f"projects[{i}].debt.first_year",
                f"must be at least {end.year - DEBT_YEARS + 1} (the shortfall mask holds "
                f"{DEBT_YEARS} years from first_year, and the horizon ends in {end.year}), "
                f"got {p.debt.first_year}",
            )
    for i, e in enumerate(s.stress):
        if isinstance(e, StressClosure) and e.segment not in segments:
            yield f"stress[{i}].segment", f"unknown segment {e.segment!r}"
        if isinstance(e, StressBlackout) and e.district != "all" and e.district not in districts:
            yield f"stress[{i}].district", f"unknown district {e.district!r} (or 'all')"
        if isinstance(e, StressAttack) and e.district not in districts:
            yield f"stress[{i}].district", f"unknown district {e.district!r}"
        if isinstance(e, StressSeizure) and e.place not in places:
            yield f"stress[{i}].place", f"unknown place {e.place!r}"
        if not s.start_date <= e.start < end:
            yield (
                f"stress[{i}].start",
                f"must fall within the horizon {s.start_date} to {end}, got {e.start}",
            )
