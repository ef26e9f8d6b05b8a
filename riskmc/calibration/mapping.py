"""Put events in districts and give each a target class.

**Districts.** Each event is matched, in this order:

1. by name: its second-level area (ACLED ``admin2``), then its place name
   (ACLED ``location``, GTD ``city``), against the district names, the
   district headquarters and places of the region, and known spellings
   (:data:`ALIASES`: Noshki is Nushki, Bolan is Kachhi, ...); names are
   compared in lower case with punctuation and a trailing "district" removed;
2. by coordinates, to the nearest district centroid (great-circle distance),
   if it lies within ``max_km``; only for events without an ``admin2``
   (every GTD event, few ACLED ones). An ACLED event whose ``admin2`` names a
   district outside the scenario (Dera Bugti, Zhob, ...) is not moved into a
   neighbouring one: it is reported.

An event that matches nothing stays in the table with an empty district and a
reason, and the fit report lists it: nothing is dropped silently. With
``by="name"`` or ``by="coordinates"`` only that step is used.

Nearest centroid is a rough stand-in for district boundaries (riskmc ships no
polygons): it is why name matching comes first and why every event placed by
coordinates is listed, with its distance, in the report.

**Targets.** :func:`infer_targets` reads each event's text (its types, notes,
target fields) in lower case and applies the first rule that matches:

- ``rail``: rail, railway, train(s), locomotive, Jaffar Express, Bolan Mail;
- ``site``: mining, miner(s), mineral, coal, quarry, Reko Diq, Saindak, gas
  field, project site, construction site or company, contractor(s);
- ``road``: road(s), highway(s), ``N-25``-style route numbers, convoy(s),
  truck(s), lorry, bus(es), coach, vehicle(s), tanker, checkpoint, checkpost,
  blockade, bridge, passenger(s), transportation;
- ``other``: everything else.

Rail comes first because rail reports often mention roads too; a bare "mine"
is not read as a site because ACLED writes "landmine" and the press "mine"
for explosives.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from riskmc.data import load_table
from riskmc.scenario.schema import Scenario

__all__ = [
    "ALIASES",
    "TARGET_RULES",
    "Gazetteer",
    "MappedEvents",
    "infer_targets",
    "map_districts",
    "normalise_name",
]

EARTH_RADIUS_KM = 6371.0

#: Other spellings of district names, seen in ACLED, GTD and the press.
ALIASES: dict[str, str] = {
    "noshki": "Nushki",
    "bolan": "Kachhi",
    "kachi": "Kachhi",
    "kachhi bolan": "Kachhi",
    "chaghi": "Chagai",
    "chagi": "Chagai",
    "qila abdullah": "Killa Abdullah",
    "qilla abdullah": "Killa Abdullah",
    "killa abdulla": "Killa Abdullah",
    "turbat": "Kech",
    "kech turbat": "Kech",
    "las bela": "Lasbela",
    "lasbella": "Lasbela",
    "hub chowki": "Hub",
    "panjgoor": "Panjgur",
    "gawadar": "Gwadar",
    "qalat": "Kalat",
    "kelat": "Kalat",
    "pisheen": "Pishin",
}

#: Target rules, tried in order; the first pattern found in an event's text wins.
TARGET_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "rail",
        re.compile(r"\b(?:rail|railways?|trains?|locomotives?|jaffar express|bolan mail)\b"),
    ),
    (
        "site",
        re.compile(
            r"\b(?:mining|miners?|mineral|coal|quarry|reko diq|saindak|gas ?field|"
            r"project site|construction (?:site|company)|contractors?)\b"
        ),
    ),
    (
        "road",
        re.compile(
            r"\b(?:roads?|highways?|n-?\d{1,3}|convoys?|trucks?|lorry|lorries|bus|buses|coach|"
            r"vehicles?|tankers?|checkpoints?|check-?posts?|blockade|bridge|passengers?|"
            r"transportation)\b"
        ),
    ),
)


def normalise_name(name: str) -> str:
    """Lower case, punctuation to spaces, no trailing 'district' or 'agency'.

    >>> normalise_name("Killa-Abdullah District")
    'killa abdullah'
    """
    key = re.sub(r"[^a-z0-9]+", " ", str(name).lower()).strip()
    return re.sub(r"\s+(district|agency|tehsil)$", "", key)


@dataclass(frozen=True)
class Gazetteer:
    """District names, centroids and the other names that point to them.

    Attributes
    ----------
    names : tuple of str
        The districts, in order.
    lat, lon : ndarray of float64, shape (n_districts,)
        Centroids [degrees]; NaN where unknown (such a district is matched by
        name only).
    lookup : dict of str to str
        Normalised name -> district: the districts themselves, their
        headquarters and places, and :data:`ALIASES` for districts present.
    """

    names: tuple[str, ...]
    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    lookup: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        names: list[str],
        lat: list[float],
        lon: list[float],
        others: Mapping[str, str] = {},
    ) -> Gazetteer:
        """A gazetteer of ``names`` with centroids and other names (name -> district)."""
        lookup: dict[str, str] = {}
        known = set(names)
        for alias, district in {**ALIASES, **others}.items():
            if district in known:
                lookup[normalise_name(alias)] = district
        for name in names:
            lookup[normalise_name(name)] = name
        return cls(
            tuple(names),
            np.asarray(lat, dtype=np.float64),
            np.asarray(lon, dtype=np.float64),
            lookup,
        )

    @classmethod
    def balochistan(cls) -> Gazetteer:
        """The districts shipped in ``riskmc.data`` (those of the default scenario).

        Headquarters (Dalbandin is Chagai's) and places (Nok Kundi, Taftan,
        Reko Diq, Saindak, Spezand) count as names of their district.
        """
        d = load_table("districts")
        places = load_table("places")
        names = d["district"].tolist()
        others = dict(zip(d["hq"], d["district"], strict=True))
        others.update(dict(zip(places["place"], places["district"], strict=True)))
        return cls.build(
            names, d["lat"].astype(float).tolist(), d["lon"].astype(float).tolist(), others
        )

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> Gazetteer:
        """The districts of a scenario; its places count as names of their district."""
        names = [d.name for d in scenario.districts]
        nan = float("nan")
        lat = [nan if d.lat is None else d.lat for d in scenario.districts]
        lon = [nan if d.lon is None else d.lon for d in scenario.districts]
        others = {p.name: p.district for p in scenario.network.places if p.district}
        return cls.build(names, lat, lon, others)

    def find(self, name: str) -> str | None:
        """The district a name means, or None."""
        return self.lookup.get(normalise_name(name)) if name else None

    def nearest(
        self, lat: NDArray[np.float64], lon: NDArray[np.float64]
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Index of the nearest centroid and its distance [km] (haversine), per point.

        Points without coordinates, or a gazetteer without any centroid, give
        index -1 and distance NaN.
        """
        lat = np.asarray(lat, dtype=np.float64)
        lon = np.asarray(lon, dtype=np.float64)
        n = len(lat)
        has = np.isfinite(self.lat) & np.isfinite(self.lon)
        if not has.any():
            return np.full(n, -1, dtype=np.int64), np.full(n, np.nan)
        p1, l1 = np.radians(lat)[:, None], np.radians(lon)[:, None]
        p2, l2 = np.radians(self.lat[has])[None, :], np.radians(self.lon[has])[None, :]
        h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin((l2 - l1) / 2) ** 2
        dist = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
        ok = np.isfinite(lat) & np.isfinite(lon)
        idx = np.full(n, -1, dtype=np.int64)
        km = np.full(n, np.nan)
        if ok.any():
            j = np.argmin(dist[ok], axis=1)
            idx[ok] = np.flatnonzero(has)[j]
            km[ok] = dist[ok][np.arange(ok.sum()), j]
        return idx, km


@dataclass(frozen=True)
class MappedEvents:
    """Events with their district, how it was found, and their target class.

    Attributes
    ----------
    events : DataFrame
        The input columns plus ``district`` (empty if none), ``mapped_by``
        (``name``, ``coordinates`` or empty), ``distance_km`` (to the
        centroid, for events placed by coordinates), ``target`` and
        ``reason`` (why an event has no district).
    gazetteer : Gazetteer
    """

    events: pd.DataFrame
    gazetteer: Gazetteer

    @property
    def mapped(self) -> pd.DataFrame:
        """The events that have a district."""
        return self.events[self.events["district"] != ""]

    @property
    def unmapped(self) -> pd.DataFrame:
        """The events that have none, with the reason."""
        return self.events[self.events["district"] == ""]

    def by_coordinates(self) -> pd.DataFrame:
        """Events placed by coordinates: one row per (name given, district), with counts.

        Columns ``name`` (the admin2 or place name the file gave), ``district``,
        ``events``, ``max_km``.
        """
        ev = self.events[self.events["mapped_by"] == "coordinates"]
        name = ev["admin2"].where(ev["admin2"] != "", ev["location"])
        frame = pd.DataFrame({"name": name, "district": ev["district"], "km": ev["distance_km"]})
        out = frame.groupby(["name", "district"], sort=True).agg(
            events=("km", "size"), max_km=("km", "max")
        )
        return out.reset_index().sort_values("events", ascending=False, kind="stable")


def infer_targets(text: pd.Series) -> pd.Series:
    """Target class of each event from its lower-case text (rules of the module docstring).

    >>> import pandas as pd
    >>> infer_targets(pd.Series(["ied hit a convoy on the n-40 highway",
    ...                          "jaffar express hijacked", "attack on a market"])).tolist()
    ['road', 'rail', 'other']
    """
    out = pd.Series("other", index=text.index, dtype=object)
    todo = pd.Series(True, index=text.index)
    for target, pattern in TARGET_RULES:
        hit = todo & text.str.contains(pattern, regex=True)
        out[hit] = target
        todo &= ~hit
    return out.astype(str)


def map_districts(
    events: pd.DataFrame,
    gazetteer: Gazetteer,
    *,
    by: Literal["auto", "name", "coordinates"] = "auto",
    max_km: float = 150.0,
    aliases: Mapping[str, str | None] | None = None,
) -> MappedEvents:
    """Give every event a district (or a reason why not) and a target class.

    Parameters
    ----------
    events : DataFrame
        ``EventTable.events``.
    gazetteer : Gazetteer
    by : {'auto', 'name', 'coordinates'}
        ``auto``: name first, then coordinates.
    max_km : float
        Furthest an event may be from a centroid to be placed by coordinates [km].
    aliases : mapping of str to (str or None), optional
        Extra names -> district, tried before the built-in ones; None marks
        a name whose events belong to no district (they are reported).
    """
    ev = events.copy()
    n = len(ev)
    district = np.full(n, "", dtype=object)
    how = np.full(n, "", dtype=object)
    reason = np.full(n, "", dtype=object)
    km = np.full(n, np.nan)
    user = {normalise_name(k): v for k, v in (aliases or {}).items()}
    unknown = [v for v in user.values() if v is not None and v not in gazetteer.names]
    if unknown:
        raise ValueError(f"alias to unknown district {unknown[0]!r}")

    if by in ("auto", "name"):
        for k, (a2, loc) in enumerate(zip(ev["admin2"], ev["location"], strict=True)):
            for raw in (a2, loc):
                key = normalise_name(raw) if raw else ""
                if key in user:
                    if user[key] is None:
                        reason[k] = f"name {raw!r} excluded by an alias"
                    else:
                        district[k], how[k] = user[key], "name"
                    break
                hit = gazetteer.find(raw)
                if hit is not None:
                    district[k], how[k] = hit, "name"
                    break
        if by == "auto":
            # An admin2 the gazetteer does not know is a district outside the
            # scenario (or a spelling to add as an alias), not a reason to
            # guess from coordinates.
            named = (ev["admin2"].to_numpy() != "") & (district == "") & (reason == "")
            for i in np.flatnonzero(named):
                reason[i] = f"district {ev['admin2'].iloc[i]!r} is not in the scenario"
    if by in ("auto", "coordinates"):
        todo = (district == "") & (reason == "")
        idx, dist = gazetteer.nearest(ev["lat"].to_numpy(), ev["lon"].to_numpy())
        near = todo & (idx >= 0) & (dist <= max_km)
        for i in np.flatnonzero(near):
            district[i] = gazetteer.names[idx[i]]
            how[i] = "coordinates"
            km[i] = dist[i]
        for i in np.flatnonzero(todo & ~near):
            if idx[i] < 0:
                reason[i] = "unknown name and no coordinates"
            else:
                reason[i] = (
                    f"unknown name; nearest centroid {gazetteer.names[idx[i]]} "
                    f"is {dist[i]:.0f} km away (> {max_km:g})"
                )
    for i in np.flatnonzero((district == "") & (reason == "")):
        reason[i] = "unknown name" if by == "name" else "no coordinates"
    ev["district"] = district.astype(str)
    ev["mapped_by"] = how.astype(str)
    ev["distance_km"] = km
    ev["target"] = infer_targets(ev["text"])
    ev["reason"] = reason.astype(str)
    return MappedEvents(ev, gazetteer)


def shipped_neighbours(names: Sequence[str]) -> list[list[int]]:
    """Adjacent districts among ``names``, as the shipped default scenario has them.

    Districts that one segment of the default network passes through
    together, plus the listed ``neighbours`` (:func:`riskmc.hazard.inputs.adjacency`);
    a name the default does not hold has none.
    """
    from riskmc.hazard.inputs import adjacency
    from riskmc.scenario.loading import default_scenario

    scenario = default_scenario()
    own = [d.name for d in scenario.districts]
    index = {n: i for i, n in enumerate(names)}
    out: list[list[int]] = [[] for _ in names]
    for i, links in enumerate(adjacency(scenario)):
        if own[i] in index:
            out[index[own[i]]] = sorted(index[own[j]] for j in links if own[j] in index)
    return out
