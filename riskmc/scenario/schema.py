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

The models live by section: the field types and limits in
:mod:`riskmc.scenario.fields`, districts and hazard in
:mod:`riskmc.scenario.schema_hazard`, the network in
:mod:`riskmc.scenario.schema_network`, projects in
:mod:`riskmc.scenario.schema_projects`; this module holds the stress events, the
:class:`Scenario` root and its cross-checks, and every name is importable from here.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import deque
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import Discriminator, Field, Tag, model_validator
from pydantic_core import PydanticCustomError

from riskmc.scenario.distributions import param_mean
from riskmc.scenario.fields import DAYS_PER_YEAR as DAYS_PER_YEAR
from riskmc.scenario.fields import DEBT_YEARS as DEBT_YEARS
from riskmc.scenario.fields import FIRST_DATE as FIRST_DATE
from riskmc.scenario.fields import LAST_DATE as LAST_DATE
from riskmc.scenario.fields import LAST_HORIZON_DAY as LAST_HORIZON_DAY
from riskmc.scenario.fields import MAX_CONVOYS as MAX_CONVOYS
from riskmc.scenario.fields import MAX_KEY_BYTES as MAX_KEY_BYTES
from riskmc.scenario.fields import Date as Date
from riskmc.scenario.fields import Days as Days
from riskmc.scenario.fields import Fatalities as Fatalities
from riskmc.scenario.fields import Money as Money
from riskmc.scenario.fields import Name as Name
from riskmc.scenario.fields import PlainDays as PlainDays
from riskmc.scenario.fields import Positive as Positive
from riskmc.scenario.fields import Probability as Probability
from riskmc.scenario.fields import Rate as Rate
from riskmc.scenario.fields import Share as Share
from riskmc.scenario.fields import StressDays as StressDays
from riskmc.scenario.fields import _duplicates, _Model
from riskmc.scenario.schema_hazard import Blackouts as Blackouts
from riskmc.scenario.schema_hazard import Campaigns as Campaigns
from riskmc.scenario.schema_hazard import Closures as Closures
from riskmc.scenario.schema_hazard import District as District
from riskmc.scenario.schema_hazard import Hazard as Hazard
from riskmc.scenario.schema_hazard import History as History
from riskmc.scenario.schema_hazard import ModeClosure as ModeClosure
from riskmc.scenario.schema_hazard import Protests as Protests
from riskmc.scenario.schema_hazard import ProvinceWide as ProvinceWide
from riskmc.scenario.schema_hazard import Regimes as Regimes
from riskmc.scenario.schema_hazard import RegimeState as RegimeState
from riskmc.scenario.schema_hazard import Seizure as Seizure
from riskmc.scenario.schema_hazard import Targets as Targets
from riskmc.scenario.schema_network import Network as Network
from riskmc.scenario.schema_network import Place as Place
from riskmc.scenario.schema_network import PlaceKind as PlaceKind
from riskmc.scenario.schema_network import Segment as Segment
from riskmc.scenario.schema_projects import AttackTrigger as AttackTrigger
from riskmc.scenario.schema_projects import CampaignTrigger as CampaignTrigger
from riskmc.scenario.schema_projects import Construction as Construction
from riskmc.scenario.schema_projects import Costs as Costs
from riskmc.scenario.schema_projects import Cover as Cover
from riskmc.scenario.schema_projects import Debt as Debt
from riskmc.scenario.schema_projects import Logistics as Logistics
from riskmc.scenario.schema_projects import Operations as Operations
from riskmc.scenario.schema_projects import PlainMoney as PlainMoney
from riskmc.scenario.schema_projects import Project as Project
from riskmc.scenario.schema_projects import Suspension as Suspension

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

    yield from _name_problems(s)
    yield from _cover_name_problems(s)
    yield from _district_problems(s, districts)
    yield from _campaign_problems(s, districts, places)
    yield from _network_problems(s, districts, places)
    yield from _route_problems(s, places)

    try:
        end = s.start_date + timedelta(days=s.horizon_days)
    except OverflowError:
        end = date.max
    if end > LAST_HORIZON_DAY:
        yield "horizon_years", f"the horizon from {s.start_date} must end by {LAST_HORIZON_DAY}"
        return
    yield from _horizon_problems(s, end)
    yield from _stress_problems(s, end, districts, places, segments)


def _name_problems(s: Scenario) -> Iterator[tuple[str, str]]:
    """Duplicate names, and names whose keys clash or run too long."""
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


def _cover_name_problems(s: Scenario) -> Iterator[tuple[str, str]]:
    """Cover names: duplicates within a project, clashes of their column keys."""
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


def _district_problems(s: Scenario, districts: set[str]) -> Iterator[tuple[str, str]]:
    """Reserved district names and their neighbours."""
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


def _campaign_problems(
    s: Scenario, districts: set[str], places: set[str]
) -> Iterator[tuple[str, str]]:
    """The districts that campaigns join and the places they seize."""
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


def _network_problems(
    s: Scenario, districts: set[str], places: set[str]
) -> Iterator[tuple[str, str]]:
    """The places' districts and the segments' ends and districts."""
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


def _route_problems(s: Scenario, places: set[str]) -> Iterator[tuple[str, str]]:
    """Each project's site and port, and the routes between them."""
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


def _horizon_problems(s: Scenario, end: date) -> Iterator[tuple[str, str]]:
    """What must fit the horizon ending ``end``: starts, convoys, debt years."""
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


def _stress_problems(
    s: Scenario, end: date, districts: set[str], places: set[str], segments: set[str]
) -> Iterator[tuple[str, str]]:
    """Stress events: what they name, and when they start."""
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
