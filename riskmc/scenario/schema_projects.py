"""The scenario schema, projects: construction, operations, costs, debt, cover, suspension.

The models of the ``projects`` block of a scenario file (SPEC.md sections 3 and 4b);
:mod:`riskmc.scenario.schema` gathers them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from riskmc.scenario.distributions import Bounds, Param
from riskmc.scenario.fields import (
    Date,
    Days,
    Money,
    Name,
    PlainDays,
    Positive,
    Probability,
    _at,
    _Model,
    _rule,
    _support,
)

__all__ = [
    "AttackTrigger",
    "CampaignTrigger",
    "Construction",
    "Costs",
    "Cover",
    "Debt",
    "Logistics",
    "Operations",
    "Project",
    "Suspension",
]


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
