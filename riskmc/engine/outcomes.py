"""The outcome table: its columns, what they mean, and their types.

Both engines write it (:class:`riskmc.engine.propagate.ChunkModel`): the SimPy
one row by row (:mod:`riskmc.engine.simpy_engine`, then :func:`outcome_frame`),
the compiled one from whole arrays (:mod:`riskmc.engine.compiled`); the
money columns are explained in :mod:`riskmc.engine.simpy_money`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from riskmc.engine.cover import extra_schema
from riskmc.scenario.schema import Scenario
from riskmc.supply.project import district_of

__all__ = [
    "DATE_DTYPE",
    "DRIVER_CAUSES",
    "INTEGER_COLUMNS",
    "LOSS_CAUSES",
    "METRICS",
    "OUTCOME_COLUMNS",
    "district_column",
    "driver_districts",
    "loss_district_column",
    "outcome_frame",
    "outcome_schema",
    "project_dtype",
]

#: Columns of ``SimulationResult.outcomes`` and what they mean.
OUTCOME_COLUMNS = {
    "replication": "replication index",
    "project": "project name",
    "first_production": "date the construction work is done, at midnight (NaT for an "
    "operating mine)",
    "delay_days": "first production minus the plan's [days]",
    "stall_days": "construction days with the site idle (empty stockpile or stand-down), "
    "against the plan's [days]",
    "capex_overrun_usd": "standby x stall days + (overhead + interest) x delay days "
    "+ transport on construction detours + site-attack damage before first production "
    "+ construction cargo destroyed in convoy attacks + standby x suspended construction "
    "days + remobilization of suspensions before first production [USD]",
    "lost_output_t": "planned minus actual output exported within the horizon, "
    "net of cargo destroyed [t]",
    "lost_revenue_usd": "price x lost_output_t [USD, undiscounted]",
    "npv_loss_usd": "discounted revenue shortfall against the plan plus discounted extra "
    "costs [USD at the scenario start]",
    "site_isolated_days": "days with no open road path between the port and the site [days]",
    "site_blackout_days": "days the site's district was blacked out [days]",
    "attacks": "attacks over the horizon in the districts of the site and its routes",
    "convoys_delayed": "convoys that waited for a closure or took a detour",
    "convoy_wait_days": "days convoys (inbound and road exports) waited at closed segments, "
    "summed over the convoys [days]",
    "convoy_losses": "convoys and trains hit by an attack on their segment",
    "suspensions": "suspensions of the site (merged) that overlap the project's run "
    "(from the construction start, or day 0 for an operating mine) within the horizon",
    "suspended_days": "days of the project's run with the site suspended, within the "
    "horizon [days]",
    "force_majeure": "some suspension of the run at least force_majeure_days long, "
    "within the horizon",
    "standby_usd": "standby x construction days idle [USD]",
    "delay_carry_usd": "(overhead + interest) x delay days [USD]",
    "detour_transport_usd": "transport x extra tonne-km of construction detours [USD]",
    "damage_usd": "damage of site attacks before first production [USD]",
    "cargo_damage_usd": "construction cargo lost in convoy attacks x material_usd_per_t [USD]",
    "suspension_standby_usd": "standby x construction days suspended (the first "
    "suspension.standby_days of each, if set) [USD]",
    "remobilization_usd": "remobilization_usd x suspensions that start before first "
    "production [USD]",
    "opex_extra_usd": "transport on operations detours + site-attack damage after first "
    "production + consumables destroyed in convoy attacks + remobilization of suspensions "
    "after first production [USD, undiscounted]",
    "mitigation_cost_usd": "escort x convoys (when escorted, each discounted from its departure) "
    "+ the one-off mitigation cost [USD, present value]",
    "debt_shortfall_years": "whole years in which export revenue x cash margin < debt service",
    "debt_shortfall_mask": "bit k set: a shortfall in year debt.first_year + k",
    "cover_recovery_usd": "what the project's covers pay over the horizon (SPEC 4b) "
    "[USD, undiscounted]",
    "cover_recovery_pv_usd": "cover_recovery_usd discounted to the scenario start, each "
    "payment on its day (an interruption's as its days accrue) [USD, present value]",
    "cover_premium_usd": "the project's cover premiums [USD, present value]",
}
#: Causes to which delay is attributed, each with a column ``delay_<cause>_days``.
DRIVER_CAUSES = (
    "attack_closure",
    "seizure",
    "protest",
    "stress_closure",
    "blackout",
    "site_attack",
    "suspension",
    "other",
)
OUTCOME_COLUMNS |= {
    f"delay_{cause}_days": f"days of delay_days attributed to {cause.replace('_', ' ')}s"
    for cause in DRIVER_CAUSES
}
#: Causes to which lost output is attributed, each with a column ``lost_<cause>_t``: those
#: of delay, concentrate destroyed by attacks on the way to the port, and concentrate still
#: in storage at the horizon beyond the plan's (signed: the plan may hold more).
LOSS_CAUSES = (*DRIVER_CAUSES, "cargo_attack", "in_storage")
OUTCOME_COLUMNS |= {
    f"lost_{cause}_t": f"tonnes of lost_output_t attributed to {cause.replace('_', ' ')}s"
    for cause in LOSS_CAUSES
    if cause != "in_storage"
}
OUTCOME_COLUMNS["lost_in_storage_t"] = (
    "tonnes of lost_output_t still in storage at the site at the horizon, minus what the plan "
    "holds then (signed: the plan can hold more)"
)


def district_column(name: str) -> str:
    """Column of the delay attributed to district ``name``: ``delay_at_<name>_days``.

    Examples
    --------
    >>> district_column("Dera Bugti")
    'delay_at_dera_bugti_days'
    """
    return "delay_at_" + "_".join(name.lower().split()) + "_days"


def loss_district_column(name: str) -> str:
    """Column of the lost output attributed to district ``name``: ``lost_at_<name>_t``.

    Examples
    --------
    >>> loss_district_column("Dera Bugti")
    'lost_at_dera_bugti_t'
    """
    return "lost_at_" + "_".join(name.lower().split()) + "_t"


#: The integer columns of the outcome table (int64). ``project`` is a categorical of the
#: scenario's project names (:func:`project_dtype`), ``first_production`` datetime64[ns]
#: (NaT for an operating mine), ``force_majeure`` bool, and every other column float64
#: (:func:`outcome_schema`).
INTEGER_COLUMNS = (
    "replication",
    "attacks",
    "convoys_delayed",
    "convoy_losses",
    "suspensions",
    "debt_shortfall_years",
    "debt_shortfall_mask",
)
#: The type of ``first_production``: a date at midnight, NaT for an operating mine.
DATE_DTYPE = np.dtype("datetime64[ns]")


def project_dtype(scenario: Scenario) -> pd.CategoricalDtype:
    """The type of the ``project`` column: the scenario's project names, in its order.

    >>> from riskmc.scenario import load_scenario, shipped_scenarios
    >>> project_dtype(load_scenario(shipped_scenarios()["balochistan.yaml"])).categories.tolist()
    ['Reko Diq', 'Saindak']
    """
    return pd.CategoricalDtype([p.name for p in scenario.projects], ordered=False)


def driver_districts(scenario: Scenario) -> list[int]:
    """Indices of the districts that delay and lost output can be attributed to, ascending.

    Those of the network's segments and of the projects' sites; each has a
    column of delay (:func:`district_column`) and one of lost output
    (:func:`loss_district_column`).
    """
    names = [d.name for d in scenario.districts]
    held = {names.index(n) for g in scenario.network.segments for n in g.districts}
    for p in scenario.projects:
        site = district_of(scenario, p.site)
        if site is not None:
            held.add(site)
    return sorted(held)


def outcome_schema(scenario: Scenario) -> dict[str, np.dtype | pd.CategoricalDtype]:
    """The columns of the scenario's outcome table and their types, in order.

    :data:`OUTCOME_COLUMNS`, then the columns of the covers and the DSCR
    (:func:`riskmc.engine.cover.extra_schema`, none without cover or debt), then the
    delay of each driver district, then its lost output (:func:`driver_districts`);
    types as :data:`INTEGER_COLUMNS` says (the cover's yearly columns and the DSCR
    float32).

    >>> from riskmc.scenario import load_scenario, shipped_scenarios
    >>> schema = outcome_schema(load_scenario(shipped_scenarios()["tiny.yaml"]))
    >>> [str(schema[c]) for c in ("replication", "project", "first_production", "delay_days")]
    ['int64', 'category', 'datetime64[ns]', 'float64']
    """
    names = [d.name for d in scenario.districts]
    districts = driver_districts(scenario)
    extra = extra_schema(scenario)
    columns = [
        *OUTCOME_COLUMNS,
        *extra,
        *(district_column(names[d]) for d in districts),
        *(loss_district_column(names[d]) for d in districts),
    ]
    projects = project_dtype(scenario)
    schema: dict[str, np.dtype | pd.CategoricalDtype] = {}
    for c in columns:
        if c in extra:
            schema[c] = extra[c]
        elif c == "project":
            schema[c] = projects
        elif c == "first_production":
            schema[c] = DATE_DTYPE
        elif c == "force_majeure":
            schema[c] = np.dtype(np.bool_)
        elif c in INTEGER_COLUMNS:
            schema[c] = np.dtype(np.int64)
        else:
            schema[c] = np.dtype(np.float64)
    return schema


def outcome_frame(
    rows: Sequence[Sequence[object]], schema: dict[str, np.dtype | pd.CategoricalDtype]
) -> pd.DataFrame:
    """An outcome table from rows of values in the order of ``schema``, with its types.

    ``project`` holds names of the categories; ``first_production`` a
    ``datetime.date`` or None (NaT). One array per column, none copied into a
    block of others.
    """
    values = list(zip(*rows, strict=True)) if rows else [()] * len(schema)
    data: dict[str, object] = {}
    for (name, dtype), column in zip(schema.items(), values, strict=True):
        if isinstance(dtype, pd.CategoricalDtype):
            data[name] = pd.Categorical(column, dtype=dtype)
        elif dtype.kind == "M":  # dates, exactly: the day, at midnight; None is NaT
            data[name] = np.array(column, dtype="datetime64[D]").astype(dtype)
        else:
            data[name] = np.array(column, dtype=dtype)
    return pd.DataFrame(data, copy=False)


#: The numeric outcome columns that ``summary()`` reports.
METRICS = (
    "delay_days",
    "stall_days",
    "capex_overrun_usd",
    "lost_output_t",
    "lost_revenue_usd",
    "npv_loss_usd",
    "site_isolated_days",
    "site_blackout_days",
    "attacks",
    "suspensions",
    "suspended_days",
    "mitigation_cost_usd",
)
