"""Turn a validated scenario into the flat arrays the hazard kernels read.

This is the only place that looks at scenario objects on the hazard side: it
runs once per call of :func:`riskmc.sample_hazard`, and the kernels then see
arrays and scalars only.

Parameters are split in two (SPEC.md, "Parameter uncertainty"):

- *per-event* distributions (the ``days`` of closures, blackouts, seizures
  and campaigns; damage per attack) are drawn for every event, inside the
  kernel, and appear as rows of ``event_dists``;
- every other parameter is drawn once per replication: it is a column of the
  ``theta`` matrix (replications x parameters). A plain number is a column
  with the ``fixed`` code, so the kernel treats both alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel

from riskmc.hazard.history import HistoryEvents, history_of
from riskmc.hazard.processes import ATTACK_PROCESSES
from riskmc.hazard.rng import stream_id
from riskmc.hazard.severity import GUIDE, fatalities_table, regime_arrays
from riskmc.scenario.distributions import Fixed, Param, _Dist
from riskmc.scenario.schema import (
    Scenario,
    StressAttack,
    StressBlackout,
    StressClosure,
    StressSeizure,
)

__all__ = [
    "CAUSES",
    "KINDS",
    "TARGETS",
    "HazardArrays",
    "ParameterSpec",
    "TailArrays",
    "adjacency",
    "build_inputs",
]

#: Target classes, in the order of their integer codes.
TARGETS = ("road", "rail", "site", "other")
#: Closure and blackout causes, in the order of their integer codes.
CAUSES = ("attack", "seizure", "protest", "campaign", "province", "stress")
#: How an attack came about.
KINDS = ("background", "triggered", "campaign", "stress")

# Columns of theta for the scalar hazard parameters, in this order.
SCALARS = (
    "hazard.rate_multiplier",
    "hazard.dispersion",
    "hazard.branching_ratio",
    "hazard.decay_days",
    "hazard.spillover",
    "hazard.campaigns.rate_per_year",
    "hazard.campaigns.attacks_per_district",
    "hazard.campaigns.blackout_probability",
    "hazard.closures.road.probability",
    "hazard.closures.rail.probability",
    "hazard.closures.protests.rate_per_year",
    "hazard.blackouts.attack_probability",
    "hazard.blackouts.province_wide.rate_per_year",
)
# Rows of event_dists for the per-event durations, then one row per seizure.
EVENT_DISTS = (
    "hazard.closures.road.days",
    "hazard.closures.rail.days",
    "hazard.closures.protests.days",
    "hazard.blackouts.days",
    "hazard.blackouts.province_wide.days",
    "hazard.campaigns.duration_days",
    "hazard.campaigns.blackout_days",
)
# Paths of distributions drawn per event rather than per replication.
PER_EVENT = (
    *EVENT_DISTS,
    "hazard.campaigns.seizures[*].days",
    "projects[*].costs.site_attack_damage_usd",
    "hazard.fatalities",
    "districts[*].fatalities",
    "projects[*].suspension.days",
)


class HazardArrays(NamedTuple):
    """Everything the hazard kernel reads, as arrays (one scenario)."""

    horizon: float
    process: int
    # district d: streams, target mix, segments of each mode, neighbours
    n_districts: int
    col_rate: NDArray[np.int64]
    col_join: NDArray[np.int64]
    targets_cum: NDArray[np.float64]  # (D, 4) cumulative shares
    road_ptr: NDArray[np.int64]
    road_idx: NDArray[np.int64]
    rail_ptr: NDArray[np.int64]
    rail_idx: NDArray[np.int64]
    nb_ptr: NDArray[np.int64]
    nb_idx: NDArray[np.int64]  # ends with a spare entry (see build_inputs)
    s_attack: NDArray[np.uint64]
    # mark streams by row: each district's (D), its campaign attacks' (D), stress (1)
    s_marks: NDArray[np.uint64]
    s_burst: NDArray[np.uint64]
    s_negbin: NDArray[np.uint64]
    # per-event distributions: (code, p0, p1, p2, p3) rows
    event_dists: NDArray[np.float64]
    # seizures of campaigns: theta column of the probability, segments closed
    col_seize: NDArray[np.int64]
    seize_ptr: NDArray[np.int64]
    seize_idx: NDArray[np.int64]
    s_seize: NDArray[np.uint64]
    # protests on road segments
    protest_segments: NDArray[np.int64]
    s_protest: NDArray[np.uint64]
    # single streams (s_offspring: one per district of the parent)
    s_offspring: NDArray[np.uint64]
    s_campaign: np.uint64
    s_province: np.uint64
    # stress events
    st_attack_district: NDArray[np.int64]
    st_attack_target: NDArray[np.int64]
    st_attack_day: NDArray[np.float64]
    st_closure_segment: NDArray[np.int64]
    st_closure_start: NDArray[np.float64]
    st_closure_end: NDArray[np.float64]
    st_blackout_district: NDArray[np.int64]  # -1: every district
    st_blackout_start: NDArray[np.float64]
    st_blackout_end: NDArray[np.float64]
    # districts holding a site with a suspension block ("watched"): their campaign
    # joins draw two uniforms from streams of their own
    watch: NDArray[np.bool_]
    s_join: NDArray[np.uint64]
    # observed events before day 0 (hazard.history; empty: none): times [days, < 0],
    # districts, the first day of the history's window, and their stream
    hist_t: NDArray[np.float64]
    hist_d: NDArray[np.int64]
    hist_w: float
    s_history: np.uint64


class TailArrays(NamedTuple):
    """What the tail's draws read: deaths, suspension uniforms, regimes (one scenario).

    Apart from :class:`HazardArrays` on purpose: Numba passes a tuple to a
    compiled function member by member, so every array in the tuple that each
    phase of the kernel receives costs at every call (21 more arrays made the
    kernel about 3 % slower, measured). Only the draws that need these get them.
    """

    horizon: float
    n_districts: int
    st_attack_fatal: NDArray[np.int64]  # -1: drawn as any attack of the district
    # fatalities: each district's law (-1: none, all 0), the laws' discrete CDFs
    # and guide tables back to back (riskmc.hazard.severity), a stream per mark row
    fat_law: NDArray[np.int64]
    fat_ptr: NDArray[np.int64]
    fat_cdf: NDArray[np.float64]
    fat_guide: NDArray[np.int32]
    fat_cells: int  # cells of each law's guide table (riskmc.hazard.severity.GUIDE)
    s_fatal: NDArray[np.uint64]
    fat_row_law: NDArray[np.int64]  # by mark row: the law, -1 none, -2 the stress row's mix
    # suspensions: the watched districts, whose attacks get two uniforms
    watch: NDArray[np.bool_]
    any_severity: bool  # a fatalities law, a watched district or fixed stress fatalities
    s_susp: NDArray[np.uint64]
    # escalation regimes (riskmc.hazard.severity.RegimeArrays; reg_n 0: none)
    reg_n: int
    reg_start: int
    reg_mean: NDArray[np.float64]
    reg_mult: NDArray[np.float64]
    reg_jump: NDArray[np.float64]
    reg_stat: NDArray[np.float64]
    s_regime: np.uint64


@dataclass(frozen=True)
class ParameterSpec:
    """The per-replication parameters: one column of theta each.

    Attributes
    ----------
    paths : tuple of str
        Parameter paths, with list items named, e.g.
        ``districts[Quetta].attacks_per_year``.
    codes : ndarray of int64, shape (P,)
        Distribution code (0 for a plain number).
    params : ndarray of float64, shape (P, 4)
        Distribution parameters.
    streams : ndarray of uint64, shape (P,)
        Random stream of each parameter, keyed by its path.
    uncertain : ndarray of bool, shape (P,)
        True where the parameter is a distribution (not a plain number).
    """

    paths: tuple[str, ...]
    codes: NDArray[np.int64]
    params: NDArray[np.float64]
    streams: NDArray[np.uint64]
    uncertain: NDArray[np.bool_]

    def column(self, path: str) -> int:
        """Index of ``path`` in theta."""
        return self.paths.index(path)


def _encode(value: Param | None) -> tuple[int, tuple[float, float, float, float]]:
    if value is None:
        return 0, (0.0, 0.0, 0.0, 0.0)
    if isinstance(value, _Dist):
        return value.code, value.params()
    return Fixed.code, (float(value), 0.0, 0.0, 0.0)


def _walk(node: Any, path: str) -> list[tuple[str, _Dist]]:
    """Every distribution-valued field under ``node``, with its named path."""
    if isinstance(node, _Dist):
        return [(path, node)]
    found: list[tuple[str, _Dist]] = []
    if isinstance(node, BaseModel):
        for field in type(node).model_fields:
            found += _walk(getattr(node, field), f"{path}.{field}" if path else field)
    elif isinstance(node, tuple):
        names = [getattr(item, "name", None) for item in node]
        unique = None not in names and len(set(names)) == len(names)
        for i, item in enumerate(node):
            found += _walk(item, f"{path}[{names[i] if unique else i}]")
    elif isinstance(node, dict):
        for key, item in node.items():
            found += _walk(item, f"{path}[{key}]")
    return found


def _attr(node: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        node = getattr(node, part)
    return node


def _per_event(path: str) -> bool:
    """Whether the parameter at ``path`` is drawn per event (list items as ``[*]``)."""
    return re.sub(r"\[[^\]]*\]", "[*]", path) in PER_EVENT


def parameter_spec(scenario: Scenario) -> ParameterSpec:
    """The per-replication parameters of a scenario, in theta's column order.

    Columns: the scalar hazard parameters (:data:`SCALARS`), each district's
    ``attacks_per_year`` and campaign ``join_probability``, each seizure's
    ``probability``, then every other distribution-valued parameter of the
    scenario (for the supply chain and finance), in document order.
    """
    h = scenario.hazard
    values: list[tuple[str, Param | None]] = [(p, _attr(scenario, p)) for p in SCALARS]
    join = h.campaigns.join_probability
    districts = scenario.districts
    values += [(f"districts[{d.name}].attacks_per_year", d.attacks_per_year) for d in districts]
    # A district without its own join probability uses the default's column, so
    # that an uncertain default is one draw shared by all of them.
    values.append(("hazard.campaigns.join_probability[default]", join.get("default", 0.0)))
    values += [
        (f"hazard.campaigns.join_probability[{d.name}]", join[d.name])
        for d in districts
        if d.name in join
    ]
    values += [
        (f"hazard.campaigns.seizures[{i}].probability", z.probability)
        for i, z in enumerate(h.campaigns.seizures)
    ]
    seen = {p for p, _ in values}
    for path, dist in _walk(scenario, ""):
        if path not in seen and not _per_event(path):
            values.append((path, cast(Param, dist)))
    encoded = [_encode(v) for _, v in values]
    paths = tuple(p for p, _ in values)
    return ParameterSpec(
        paths=paths,
        codes=np.array([c for c, _ in encoded], dtype=np.int64),
        params=np.array([p for _, p in encoded], dtype=np.float64).reshape(-1, 4),
        streams=np.array([stream_id("param", p) for p in paths], dtype=np.uint64),
        uncertain=np.array([isinstance(v, _Dist) for _, v in values], dtype=np.bool_),
    )


def _csr(groups: list[list[int]]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    ptr = np.zeros(len(groups) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(g) for g in groups])
    idx = np.array([i for g in groups for i in g], dtype=np.int64)
    return ptr, idx


def _streams(kind: str, names: list[str]) -> NDArray[np.uint64]:
    return np.array([stream_id(kind, n) for n in names], dtype=np.uint64)


def adjacency(scenario: Scenario) -> list[list[int]]:
    """Each district's adjacent districts (indices, ascending): where Hawkes spillover goes.

    Districts that one segment passes through together, plus each district's
    ``neighbours`` (both ways).
    """
    names = [d.name for d in scenario.districts]
    d_index = {n: i for i, n in enumerate(names)}
    adjacent: list[set[int]] = [set() for _ in names]
    for g in scenario.network.segments:
        ds = [d_index[n] for n in g.districts]
        for d in dict.fromkeys(ds):
            adjacent[d].update(x for x in ds if x != d)
    for district in scenario.districts:
        for n in district.neighbours:
            adjacent[d_index[district.name]].add(d_index[n])
            adjacent[d_index[n]].add(d_index[district.name])
    return [sorted(a) for a in adjacent]


def build_inputs(
    scenario: Scenario, history: HistoryEvents | None = None
) -> tuple[HazardArrays, TailArrays, ParameterSpec]:
    """Arrays for the hazard kernel, those of the tail's draws, and the per-replication
    parameter spec.

    ``history`` (observed events before the start) is read from the scenario's
    ``hazard.history`` when not given; only ``hawkes`` uses it.
    """
    spec = parameter_spec(scenario)
    watch = _watched(scenario)
    arrays = _hazard_arrays(scenario, spec, watch, history)
    tail = _tail_arrays(scenario, watch)
    _check_streams(arrays, tail, spec)
    return arrays, tail, spec


def _touching(scenario: Scenario, place: str) -> list[int]:
    """The segments (indices) that start or end at ``place``."""
    return [j for j, g in enumerate(scenario.network.segments) if place in (g.from_, g.to)]


def _watched(scenario: Scenario) -> NDArray[np.bool_]:
    """Districts that hold the site of a project with suspensions."""
    d_index = {d.name: i for i, d in enumerate(scenario.districts)}
    place_district = {p.name: p.district for p in scenario.network.places}
    watch = np.zeros(len(scenario.districts), dtype=np.bool_)
    for p in scenario.projects:
        where = place_district.get(p.site)
        if p.suspension is not None and where is not None:
            watch[d_index[where]] = True
    return watch


def _hazard_arrays(
    scenario: Scenario, spec: ParameterSpec, watch: NDArray[np.bool_], history: HistoryEvents | None
) -> HazardArrays:
    """The :class:`HazardArrays` of ``scenario`` (see :func:`build_inputs`)."""
    h = scenario.hazard
    districts = [d.name for d in scenario.districts]
    segments = scenario.network.segments
    seizures = h.campaigns.seizures
    join = h.campaigns.join_probability
    seize_ptr, seize_idx = _csr([_touching(scenario, z.place) for z in seizures])
    road_segments = [j for j, g in enumerate(segments) if g.mode == "road"]
    return HazardArrays(
        horizon=float(scenario.horizon_days),
        process=ATTACK_PROCESSES[h.process].code,
        n_districts=len(districts),
        col_rate=np.array(
            [spec.column(f"districts[{n}].attacks_per_year") for n in districts], dtype=np.int64
        ),
        col_join=np.array(
            [
                spec.column(f"hazard.campaigns.join_probability[{n if n in join else 'default'}]")
                for n in districts
            ],
            dtype=np.int64,
        ),
        targets_cum=_targets_cum(scenario),
        s_attack=_streams("attack", districts),
        s_marks=np.concatenate(
            [
                _streams("mark", districts),
                _streams("campaign-mark", districts),
                np.array([stream_id("stress")], dtype=np.uint64),
            ]
        ),
        s_burst=_streams("campaign-burst", districts),
        s_negbin=_streams("negbin", districts),
        event_dists=_event_dists(scenario),
        col_seize=np.array(
            [
                spec.column(f"hazard.campaigns.seizures[{i}].probability")
                for i in range(len(seizures))
            ],
            dtype=np.int64,
        ),
        seize_ptr=seize_ptr,
        seize_idx=seize_idx,
        s_seize=_streams("seizure", [f"{i}:{z.place}" for i, z in enumerate(seizures)]),
        protest_segments=np.array(road_segments, dtype=np.int64),
        s_protest=_streams("protest", [segments[j].name for j in road_segments]),
        s_offspring=_streams("offspring", districts),
        s_campaign=np.uint64(stream_id("campaign")),
        s_province=np.uint64(stream_id("province")),
        watch=watch,
        s_join=_streams("join-suspension", districts),
        **_network_arrays(scenario),
        **_stress_arrays(scenario),
        **_history_arrays(scenario, history),
    )


def _network_arrays(scenario: Scenario) -> dict[str, Any]:
    """Segments of each mode through each district, and adjacent districts (CSR)."""
    d_index = {d.name: i for i, d in enumerate(scenario.districts)}
    by_mode: dict[str, list[list[int]]] = {
        "road": [[] for _ in scenario.districts],
        "rail": [[] for _ in scenario.districts],
    }
    for j, g in enumerate(scenario.network.segments):
        ds = [d_index[n] for n in g.districts]
        for d in dict.fromkeys(ds):
            by_mode[g.mode][d].append(j)
    road_ptr, road_idx = _csr(by_mode["road"])
    rail_ptr, rail_idx = _csr(by_mode["rail"])
    nb_ptr, nb_idx = _csr(adjacency(scenario))
    # A spare last entry, so that the kernel may read a neighbour of a
    # district that has none (and then not use it) without a branch.
    nb_idx = np.append(nb_idx, np.int64(0))
    return {
        "road_ptr": road_ptr,
        "road_idx": road_idx,
        "rail_ptr": rail_ptr,
        "rail_idx": rail_idx,
        "nb_ptr": nb_ptr,
        "nb_idx": nb_idx,
    }


def _event_dists(scenario: Scenario) -> NDArray[np.float64]:
    """Rows (code, p0, p1, p2, p3) of the per-event distributions (:data:`EVENT_DISTS`)."""
    h = scenario.hazard
    dists = [
        _encode(v)
        for v in (
            h.closures.road.days,
            h.closures.rail.days,
            h.closures.protests.days,
            h.blackouts.days,
            h.blackouts.province_wide.days,
            h.campaigns.duration_days,
            h.campaigns.blackout_days,
            *(z.days for z in h.campaigns.seizures),
        )
    ]
    return np.array([[c, *p] for c, p in dists], dtype=np.float64).reshape(-1, 5)


def _targets_cum(scenario: Scenario) -> NDArray[np.float64]:
    """Each district's cumulative target shares, shape (D, 4)."""
    targets_cum = np.cumsum(
        np.array([d.targets.as_tuple() for d in scenario.districts], dtype=np.float64).reshape(
            -1, 4
        ),
        axis=1,
    )
    if len(scenario.districts):
        targets_cum[:, 3] = 1.0  # shares sum to 1 within 1e-6; close the last class exactly
    return targets_cum


def _stress_arrays(scenario: Scenario) -> dict[str, Any]:
    """The ``st_*`` fields of :class:`HazardArrays`: the stress test's events."""
    d_index = {d.name: i for i, d in enumerate(scenario.districts)}
    s_index = {g.name: i for i, g in enumerate(scenario.network.segments)}
    day = scenario.day_of
    st_att = [e for e in scenario.stress if isinstance(e, StressAttack)]
    st_clo: list[tuple[int, float, float]] = []
    st_blk: list[tuple[int, float, float]] = []
    for e in scenario.stress:
        if isinstance(e, StressClosure):
            st_clo.append((s_index[e.segment], day(e.start), day(e.start) + e.days))
        elif isinstance(e, StressSeizure):
            st_clo += [
                (j, day(e.start), day(e.start) + e.days) for j in _touching(scenario, e.place)
            ]
        elif isinstance(e, StressBlackout):
            who = -1 if e.district == "all" else d_index[e.district]
            st_blk.append((who, day(e.start), day(e.start) + e.days))
    return {
        "st_attack_district": np.array([d_index[e.district] for e in st_att], dtype=np.int64),
        "st_attack_target": np.array([TARGETS.index(e.target) for e in st_att], dtype=np.int64),
        "st_attack_day": np.array([day(e.start) for e in st_att], dtype=np.float64),
        "st_closure_segment": np.array([c[0] for c in st_clo], dtype=np.int64),
        "st_closure_start": np.array([c[1] for c in st_clo], dtype=np.float64),
        "st_closure_end": np.array([c[2] for c in st_clo], dtype=np.float64),
        "st_blackout_district": np.array([b[0] for b in st_blk], dtype=np.int64),
        "st_blackout_start": np.array([b[1] for b in st_blk], dtype=np.float64),
        "st_blackout_end": np.array([b[2] for b in st_blk], dtype=np.float64),
    }


def _tail_arrays(scenario: Scenario, watch: NDArray[np.bool_]) -> TailArrays:
    """The :class:`TailArrays` of ``scenario``: deaths, suspensions, regimes."""
    h = scenario.hazard
    districts = [d.name for d in scenario.districts]
    n_d = len(districts)
    st_att = [e for e in scenario.stress if isinstance(e, StressAttack)]
    # One table per distinct fatalities law, shared by the districts that use it.
    laws: list[Any] = []
    fat_law = np.full(n_d, -1, dtype=np.int64)
    for i, district in enumerate(scenario.districts):
        law = district.fatalities if district.fatalities is not None else h.fatalities
        if law is None:
            continue
        if law not in laws:
            laws.append(law)
        fat_law[i] = laws.index(law)
    tables = [fatalities_table(law) for law in laws]
    fat_ptr = np.zeros(len(tables) + 1, dtype=np.int64)
    fat_ptr[1:] = np.cumsum([len(c) for c, _ in tables])
    reg = regime_arrays(h.regimes)
    mark_rows = [*districts, *(f"campaign:{n}" for n in districts), "stress"]
    return TailArrays(
        horizon=float(scenario.horizon_days),
        n_districts=n_d,
        st_attack_fatal=np.array(
            [-1 if e.fatalities is None else e.fatalities for e in st_att], dtype=np.int64
        ),
        fat_law=fat_law,
        fat_ptr=fat_ptr,
        fat_cdf=np.concatenate([c for c, _ in tables]) if tables else np.ones(1),
        fat_guide=(
            np.concatenate([g for _, g in tables]) if tables else np.zeros(1, dtype=np.int32)
        ),
        fat_cells=GUIDE,
        s_fatal=_streams("fatalities", mark_rows),
        fat_row_law=np.concatenate(
            [fat_law, fat_law, np.array([-2 if laws else -1], dtype=np.int64)]
        ),
        watch=watch,
        any_severity=bool(laws or watch.any() or any(e.fatalities is not None for e in st_att)),
        s_susp=_streams("suspension", mark_rows),
        reg_n=reg.n,
        reg_start=reg.start,
        reg_mean=reg.mean_days,
        reg_mult=reg.multiplier,
        reg_jump=reg.jump_cum,
        reg_stat=reg.stationary_cum,
        s_regime=np.uint64(stream_id("regimes")),
    )


def _history_arrays(scenario: Scenario, history: HistoryEvents | None) -> dict[str, Any]:
    """The ``hist_*`` fields of :class:`HazardArrays`: empty unless Hawkes with a history."""
    if history is None and scenario.hazard.process == "hawkes":
        history = history_of(scenario)
    if history is None or scenario.hazard.process != "hawkes":
        history = HistoryEvents.empty()
    return {
        "hist_t": history.day,
        "hist_d": history.district,
        "hist_w": history.window_start,
        "s_history": np.uint64(stream_id("history")),
    }


def _check_streams(a: HazardArrays, tail: TailArrays, spec: ParameterSpec) -> None:
    # Two streams with one id would correlate their numbers; CRC-32 of distinct
    # short names collides with probability ~1e-7 for a scenario's few hundred
    # streams, but a silent collision would be a wrong answer, so check.
    ids = np.concatenate(
        [
            a.s_attack,
            a.s_marks,
            a.s_burst,
            a.s_negbin,
            a.s_seize,
            a.s_protest,
            a.s_offspring,
            tail.s_fatal,
            tail.s_susp,
            a.s_join,
            spec.streams,
            np.array([a.s_campaign, a.s_province, tail.s_regime, a.s_history], dtype=np.uint64),
        ]
    )
    if len(np.unique(ids)) != len(ids):
        raise RuntimeError("random stream ids collide; rename a district or segment")
