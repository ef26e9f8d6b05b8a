"""``sample_hazard``: the public entry point of the hazard stage, and its result."""

from __future__ import annotations

import bisect
import os
import weakref
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from riskmc.hazard.attack_severity import (
    ATTACK_TABLE_DTYPE,
    WATCHED_DTYPE,
    complete_attacks,
)
from riskmc.hazard.buffers import _BUFFERS, release_buffers
from riskmc.hazard.history import HistoryEvents
from riskmc.hazard.inputs import (
    CAUSES,
    KINDS,
    TARGETS,
    HazardArrays,
    ParameterSpec,
    TailArrays,
    build_inputs,
)
from riskmc.hazard.kernel import (
    ATTACK_DTYPE,
    CAMPAIGN_DTYPE,
    JOIN_DTYPE,
    REGIME_DTYPE,
    SPAN_DTYPE,
    draw_theta,
    sample_block,
)
from riskmc.hazard.rng import key_from_seed
from riskmc.scenario.distributions import param_mean
from riskmc.scenario.loading import as_scenario
from riskmc.scenario.schema import Scenario

__all__ = ["HazardSample", "ReplicationEvents", "release_buffers", "sample_hazard"]

TABLES = (
    "attacks",
    "closure_pieces",
    "closures",
    "blackout_pieces",
    "blackouts",
    "campaigns",
    "joins",
    "regimes",
    "watched",
)
_DTYPES = {
    "attacks": ATTACK_TABLE_DTYPE,
    "closure_pieces": SPAN_DTYPE,
    "closures": SPAN_DTYPE,
    "blackout_pieces": SPAN_DTYPE,
    "blackouts": SPAN_DTYPE,
    "campaigns": CAMPAIGN_DTYPE,
    "joins": JOIN_DTYPE,
    "regimes": REGIME_DTYPE,
    "watched": WATCHED_DTYPE,
}
#: The kernels' own dtypes, where a table's public one differs (attacks: deaths drawn later).
_RAW_DTYPES = {"attacks": ATTACK_DTYPE}
#: Replications per kernel call: large enough that the output buffers of a
#: realistic scenario pass NumPy's 4 MiB threshold for huge pages, small
#: enough to share the work between threads.
BLOCK = 64
#: Most events of a kind a replication's first buffers are sized for.
HINT_CAP = 50_000


class ReplicationEvents(NamedTuple):
    """One replication's events: record arrays (views), as the kernels wrote them.

    ``attacks`` has the fields of :data:`riskmc.hazard.kernel.ATTACK_DTYPE`
    (no deaths: those of the attacks in watched districts, the sites of
    projects with suspensions, are in ``watched``, with their suspension
    uniforms, :data:`riskmc.hazard.attack_severity.WATCHED_DTYPE`; its
    ``attack`` is a row of ``attacks``); the span tables those of
    :data:`~riskmc.hazard.kernel.SPAN_DTYPE`, whose ``key`` is a segment index
    (closures) or a district index (blackouts) in scenario order. ``theta`` is
    the row of per-replication parameters.
    """

    replication: int
    attacks: NDArray[np.void]
    closures: NDArray[np.void]
    closure_pieces: NDArray[np.void]
    blackouts: NDArray[np.void]
    blackout_pieces: NDArray[np.void]
    campaigns: NDArray[np.void]
    joins: NDArray[np.void]
    regimes: NDArray[np.void]
    watched: NDArray[np.void]
    theta: NDArray[np.float64]


@dataclass(frozen=True)
class _Block:
    first: int
    count: int
    theta: NDArray[np.float64]
    tables: dict[str, NDArray[np.void]]
    _offsets: dict[str, NDArray[np.int64]] = field(default_factory=dict, repr=False)

    def offsets(self, name: str) -> NDArray[np.int64]:
        """Row ranges of each replication of the block in table ``name`` (cached)."""
        if name not in self._offsets:
            reps = self.tables[name]["replication"]
            bounds = np.arange(self.first, self.first + self.count + 1)
            self._offsets[name] = np.searchsorted(reps, bounds).astype(np.int64)
        return self._offsets[name]


@dataclass(frozen=True, eq=False)
class HazardSample:
    """Disruption events of a set of replications of one scenario.

    Build it with :func:`riskmc.sample_hazard`. The event tables are pandas
    DataFrames (:attr:`attacks`, :attr:`closures`, :attr:`blackouts`, ...)
    with districts, segments, targets and causes named; the supply-chain stage
    reads one replication's compact arrays with :meth:`replication`.

    Attributes
    ----------
    scenario : Scenario
    seed : int
    replications : ndarray of int64
        The replication indices sampled, ascending.
    parameters : ParameterSpec
        The per-replication parameters (columns of :attr:`theta`).
    pieces : bool
        Whether the closure and blackout pieces (before merging) were kept.
    """

    scenario: Scenario
    seed: int
    replications: NDArray[np.int64]
    parameters: ParameterSpec
    pieces: bool
    _blocks: tuple[_Block, ...]

    @cached_property
    def theta(self) -> NDArray[np.float64]:
        """Per-replication parameter draws, shape (n_replications, P)."""
        if not self._blocks:
            return np.empty((0, len(self.parameters.paths)))
        return np.concatenate([b.theta for b in self._blocks])

    @cached_property
    def arrays(self) -> dict[str, NDArray[np.void]]:
        """Each event table as one record array (see :class:`ReplicationEvents`).

        ``attacks`` is the attack table
        (:data:`riskmc.hazard.attack_severity.ATTACK_TABLE_DTYPE`): every
        attack's deaths are drawn here, when it is first read.
        """
        out = {}
        for name in TABLES:
            if not self._blocks:
                out[name] = np.empty(0, dtype=_DTYPES[name])
            elif name == "attacks":
                # each block straight into its rows: no second copy
                _, tail, _ = _inputs(self.scenario)
                k0, k1 = (np.uint64(k) for k in key_from_seed(self.seed))
                parts = [b.tables[name] for b in self._blocks]
                table = np.empty(sum(len(p) for p in parts), dtype=_DTYPES[name])
                at = 0
                for part in parts:
                    complete_attacks(tail, part, k0, k1, table[at : at + len(part)])
                    at += len(part)
                out[name] = table
            else:
                out[name] = np.concatenate([b.tables[name] for b in self._blocks])
        return out

    def _repr_html_(self) -> str:
        """A short summary for Jupyter: the sample, and its events per replication."""
        import html

        n = len(self.replications)
        head = (
            f"<p><b>HazardSample</b>: scenario {html.escape(self.scenario.name)}, "
            f"{n:,} replications, seed {self.seed}</p>"
        )
        rows = []
        for name in ("attacks", "closures", "blackouts", "campaigns", "regimes"):
            count = sum(len(b.tables[name]) for b in self._blocks)
            per = count / n if n else 0.0
            rows.append(f"<tr><th>{name}</th><td>{count:,}</td><td>{per:,.2f}</td></tr>")
        return (
            head + '<table border="1" class="dataframe"><thead><tr><th>table</th>'
            "<th>rows</th><th>per replication</th></tr></thead><tbody>"
            + "".join(rows)
            + "</tbody></table>"
        )

    @property
    def n_events(self) -> int:
        """Attacks plus merged closures plus merged blackouts."""
        return sum(
            len(b.tables[k]) for b in self._blocks for k in ("attacks", "closures", "blackouts")
        )

    @cached_property
    def _starts(self) -> list[int]:
        return [b.first for b in self._blocks]

    def replication(self, rep: int) -> ReplicationEvents:
        """The events of replication ``rep``, as views of the sampled arrays."""
        k = bisect.bisect_right(self._starts, rep) - 1
        if k >= 0 and rep < self._blocks[k].first + self._blocks[k].count:
            block = self._blocks[k]
            i = rep - block.first
            cut = {}
            for name in TABLES:
                off = block.offsets(name)
                cut[name] = block.tables[name][off[i] : off[i + 1]]
            return ReplicationEvents(replication=rep, theta=block.theta[i], **cut)
        raise KeyError(f"replication {rep} is not in this sample")

    def raw(self, name: str) -> tuple[NDArray[np.void], NDArray[np.int64]]:
        """Table ``name`` as the kernels wrote it, and each replication's row range.

        The rows of the ``k``-th sampled replication are ``offsets[k]:offsets[k + 1]``.
        ``attacks`` has no deaths (:class:`ReplicationEvents`); for the compiled engine,
        which reads whole chunks.
        """
        if not self._blocks:
            return np.empty(0, dtype=_RAW_DTYPES.get(name, _DTYPES[name])), np.zeros(
                len(self.replications) + 1, dtype=np.int64
            )
        table = np.concatenate([b.tables[name] for b in self._blocks])
        offsets = np.searchsorted(table["replication"], self.replications, side="left")
        return table, np.append(offsets, len(table)).astype(np.int64)

    # ------------------------------------------------------------------ frames

    @staticmethod
    def _named(codes: NDArray[np.integer], names: Sequence[str]) -> pd.Categorical:
        dtype = pd.CategoricalDtype(list(names))
        return pd.Categorical.from_codes(codes.astype(np.int64), dtype=dtype)

    @cached_property
    def attacks(self) -> pd.DataFrame:
        """One row per attack: replication, day, district, target, campaign, kind, mark,
        fatalities.

        Sorted by replication, then day. ``campaign`` is the campaign's number
        within its replication, or -1; ``kind`` is background, triggered,
        campaign or stress; ``mark`` is a uniform on (0, 1) that later stages
        turn into per-attack amounts such as damage; ``fatalities`` the deaths
        (0 when the scenario draws none), drawn when the table is first read.
        """
        a = self.arrays["attacks"]
        return pd.DataFrame(
            {
                "replication": a["replication"].astype(np.int64),
                "day": a["day"],
                "district": self._named(a["district"], [d.name for d in self.scenario.districts]),
                "target": self._named(a["target"], TARGETS),
                "campaign": a["campaign"].astype(np.int64),
                "kind": self._named(a["kind"], KINDS),
                "mark": a["mark"].astype(np.float64),
                "fatalities": a["fatalities"].astype(np.int64),
            }
        )

    def _spans(self, name: str, key: str) -> pd.DataFrame:
        if key == "segment":
            names = [g.name for g in self.scenario.network.segments]
        else:
            names = [d.name for d in self.scenario.districts]
        a = self.arrays[name]
        return pd.DataFrame(
            {
                "replication": a["replication"].astype(np.int64),
                key: self._named(a["key"], names),
                "start": a["start"],
                "end": a["end"],
                "cause": self._named(a["cause"], CAUSES),
            }
        )

    @cached_property
    def closures(self) -> pd.DataFrame:
        """Merged closures: replication, segment, start, end, cause (of the first piece).

        Sorted by replication, segment, then start; no two rows of one segment
        overlap. A closure still running at the horizon ends there.
        """
        return self._spans("closures", "segment")

    @cached_property
    def closure_pieces(self) -> pd.DataFrame:
        """Closures before merging, one row per cause (empty unless ``pieces=True``)."""
        return self._spans("closure_pieces", "segment")

    @cached_property
    def blackouts(self) -> pd.DataFrame:
        """Merged blackouts: replication, district, start, end, cause."""
        return self._spans("blackouts", "district")

    @cached_property
    def blackout_pieces(self) -> pd.DataFrame:
        """Blackouts before merging (empty unless ``pieces=True``)."""
        return self._spans("blackout_pieces", "district")

    @cached_property
    def campaigns(self) -> pd.DataFrame:
        """One row per campaign: replication, campaign, start, end."""
        a = self.arrays["campaigns"]
        return pd.DataFrame(
            {
                "replication": a["replication"].astype(np.int64),
                "campaign": a["campaign"].astype(np.int64),
                "start": a["start"],
                "end": a["end"],
            }
        )

    @cached_property
    def joins(self) -> pd.DataFrame:
        """One row per district joining a campaign: replication, campaign, district, day."""
        a = self.arrays["joins"]
        return pd.DataFrame(
            {
                "replication": a["replication"].astype(np.int64),
                "campaign": a["campaign"].astype(np.int64),
                "district": self._named(a["district"], [d.name for d in self.scenario.districts]),
                "day": a["day"],
            }
        )

    @cached_property
    def regimes(self) -> pd.DataFrame:
        """The escalation regimes: replication, state, start, end (empty without regimes).

        Consecutive rows of a replication tile ``[0, horizon]``; the last ends
        at the horizon.
        """
        a = self.arrays["regimes"]
        r = self.scenario.hazard.regimes
        names = [x.name for x in r.states] if r is not None else []
        return pd.DataFrame(
            {
                "replication": a["replication"].astype(np.int64),
                "state": self._named(a["state"], names),
                "start": a["start"],
                "end": a["end"],
            }
        )

    @cached_property
    def parameter_draws(self) -> pd.DataFrame:
        """Draws of the distribution-valued parameters, one row per replication."""
        cols = np.flatnonzero(self.parameters.uncertain)
        frame = pd.DataFrame(self.theta[:, cols], columns=[self.parameters.paths[j] for j in cols])
        frame.insert(0, "replication", self.replications)
        return frame


#: ``build_inputs`` of the scenarios sampled, by identity, while each lives:
#: a scenario is frozen, and building its arrays costs about a millisecond,
#: as much as sampling three replications (a run samples chunk after chunk).
_INPUTS: dict[int, tuple[weakref.ref[Scenario], HazardArrays, TailArrays, ParameterSpec]] = {}


def _inputs(scenario: Scenario) -> tuple[HazardArrays, TailArrays, ParameterSpec]:
    """``build_inputs(scenario)``, built once per scenario object."""
    key = id(scenario)
    hit = _INPUTS.get(key)
    if hit is not None and hit[0]() is scenario:
        return hit[1], hit[2], hit[3]
    arrays, tail, spec = build_inputs(scenario)

    def drop(ref: weakref.ref[Scenario]) -> None:
        if _INPUTS.get(key, (None,))[0] is ref:
            _INPUTS.pop(key, None)

    _INPUTS[key] = (weakref.ref(scenario, drop), arrays, tail, spec)
    return arrays, tail, spec


def _as_replications(replications: int | Sequence[int] | range) -> NDArray[np.int64]:
    if isinstance(replications, bool | str | bytes | float):
        raise TypeError(
            "replications must be an int or a sequence of ints, got "
            f"{type(replications).__name__} {replications!r}"
        )
    if isinstance(replications, int | np.integer):
        if not 0 <= replications < 2**31 - 1:
            raise ValueError(f"replications must be >= 0 and < 2**31 - 1, got {replications}")
        return np.arange(int(replications), dtype=np.int64)
    reps = np.asarray(list(replications), dtype=np.int64)
    if len(reps) and (reps.min() < 0 or reps.max() >= 2**31 - 1 or np.any(np.diff(reps) <= 0)):
        raise ValueError("replications must be distinct, ascending, >= 0 and < 2**31 - 1")
    return reps


def _runs(reps: NDArray[np.int64], size: int) -> list[tuple[int, int]]:
    """Cut ascending replication indices into (first, count) runs of consecutive ones."""
    if not len(reps):
        return []
    breaks = np.flatnonzero(np.diff(reps) != 1) + 1
    starts = np.concatenate([[0], breaks])
    ends = np.concatenate([breaks, [len(reps)]])
    items = []
    for s, e in zip(starts, ends, strict=True):
        first, count = int(reps[s]), int(e - s)
        items += [(first + o, min(size, count - o)) for o in range(0, count, size)]
    return items


def _hints(scenario: Scenario) -> tuple[int, int, int, int]:
    """Rough upper expectations of attacks, closures, blackouts and watched attacks per
    replication (those in districts that hold a site with suspensions).

    They size the output buffers; a replication with more events grows them.
    """
    h = scenario.hazard
    years = scenario.horizon_years
    n_d = len(scenario.districts)
    where = {p.name: p.district for p in scenario.network.places}
    watched_names = {where.get(p.site) for p in scenario.projects if p.suspension is not None}
    per_district = param_mean(h.rate_multiplier) * years
    camp = param_mean(h.campaigns.rate_per_year) * years
    per_camp = camp * param_mean(h.campaigns.attacks_per_district)
    watched = sum(
        param_mean(d.attacks_per_year) * per_district + per_camp
        for d in scenario.districts
        if d.name in watched_names
    )
    attacks = sum(param_mean(d.attacks_per_year) for d in scenario.districts) * per_district
    attacks += per_camp * n_d
    n_road = sum(g.mode == "road" for g in scenario.network.segments)
    p_close = max(param_mean(h.closures.road.probability), param_mean(h.closures.rail.probability))
    closures = attacks * p_close + param_mean(h.closures.protests.rate_per_year) * years * n_road
    closures += camp * len(h.campaigns.seizures) * 4 + len(scenario.stress)
    blackouts = attacks * param_mean(h.blackouts.attack_probability) + camp * n_d
    blackouts += param_mean(h.blackouts.province_wide.rate_per_year) * years * n_d
    blackouts += len(scenario.stress) * n_d
    # capped: they only size the first buffers, which grow when a replication needs more
    # (a legal but extreme scenario would otherwise allocate its expectation up front)
    return tuple(  # type: ignore[return-value]
        int(min(1.2 * x, HINT_CAP)) + 8 for x in (attacks, closures, blackouts, watched)
    )


def _sample(
    arrays: HazardArrays,
    tail: TailArrays,
    spec: ParameterSpec,
    k0: np.uint64,
    k1: np.uint64,
    item: tuple[int, int],
    pieces: bool,
    hints: tuple[int, int, int, int],
) -> _Block:
    first, count = item
    theta = draw_theta(spec.codes, spec.params, spec.streams, k0, k1, first, count)
    n_att, n_clo, n_blk, n_wat = (count * h for h in hints)
    rooms = [
        _BUFFERS.take(n, dtype)
        for n, dtype in (
            (n_att, ATTACK_DTYPE),
            (n_clo if pieces else 1, SPAN_DTYPE),
            (n_clo, SPAN_DTYPE),
            (n_blk if pieces else 1, SPAN_DTYPE),
            (n_blk, SPAN_DTYPE),
            (max(16, count), CAMPAIGN_DTYPE),
            (max(16, count), JOIN_DTYPE),
            (max(16, count), REGIME_DTYPE),
            (n_wat if tail.watch.any() else 1, WATCHED_DTYPE),
        )
    ]
    try:
        out = sample_block(
            arrays, tail, theta, first, count, k0, k1, pieces, *(r for _, r in rooms)
        )
    finally:
        for raw, _ in rooms:
            _BUFFERS.give(raw)
    return _Block(first, count, theta, dict(zip(TABLES, out, strict=True)))


def sample_hazard(
    scenario: Scenario | str | os.PathLike[str],
    replications: int | Sequence[int] | range = 1000,
    seed: int = 0,
    *,
    threads: int | None = None,
    pieces: bool = False,
    history: HistoryEvents | None = None,
) -> HazardSample:
    """Sample attacks, closures and blackouts for replications of a scenario.

    Parameters
    ----------
    scenario : Scenario or path
        A validated scenario, or a scenario file to load.
    replications : int or sequence of int
        How many replications (``0 .. n - 1``), or which ones, ascending, e.g.
        ``range(500, 1000)``. Replication ``i`` has the same events whichever
        others are sampled beside it.
    seed : int
        Seed of every random stream (a non-negative integer).
    threads : int, optional
        Threads to sample with; default: every core. The result does not
        depend on it.
    pieces : bool
        Also keep the closure and blackout pieces before merging, one per
        cause (needed to attribute disruption to causes).
    history : HistoryEvents, optional
        Observed events before the start, in place of the scenario's
        ``hazard.history`` (:mod:`riskmc.hazard.history`); Hawkes only.

    Returns
    -------
    HazardSample

    Examples
    --------
    >>> import riskmc
    >>> from riskmc.scenario import shipped_scenarios
    >>> tiny = riskmc.load_scenario(shipped_scenarios()["tiny.yaml"])
    >>> h = riskmc.sample_hazard(tiny, replications=200, seed=7)
    >>> round(len(h.attacks) / 200 / tiny.horizon_years)  # 24 attacks a year
    24
    """
    scenario = as_scenario(scenario)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    reps = _as_replications(replications)
    arrays, tail, spec = _inputs(scenario) if history is None else build_inputs(scenario, history)
    k0, k1 = (np.uint64(k) for k in key_from_seed(int(seed)))
    if threads is not None and (
        isinstance(threads, bool) or not isinstance(threads, int | np.integer) or threads < 1
    ):
        raise ValueError(f"threads: must be an integer >= 1, got {threads!r}")
    n_threads = threads if threads is not None else (os.cpu_count() or 1)
    hints = _hints(scenario)
    items = _runs(reps, BLOCK)

    def work(item: tuple[int, int]) -> _Block:
        return _sample(arrays, tail, spec, k0, k1, item, pieces, hints)

    if n_threads == 1 or len(items) <= 1:
        blocks = [work(it) for it in items]
    else:
        with ThreadPoolExecutor(max_workers=n_threads) as pool:
            blocks = list(pool.map(work, items))
    return HazardSample(
        scenario=scenario,
        seed=int(seed),
        replications=reps,
        parameters=spec,
        pieces=pieces,
        _blocks=tuple(blocks),
    )
