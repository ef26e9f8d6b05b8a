"""The GeoJSON layers of a result: districts and segments with their shares of delay.

:func:`geojson_layers` builds them (shares of expected delay and of lost output),
:func:`write_geojson` writes ``districts.geojson`` and ``segments.geojson``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from riskmc.analysis.drivers import driver_shares
from riskmc.analysis.export.files import _bytes_writer, _check_target, _write
from riskmc.analysis.plots.maps import _coordinates
from riskmc.analysis.report.load import ReportError, load_results
from riskmc.analysis.version import riskmc_version
from riskmc.engine.simulate import SimulationResult
from riskmc.scenario import param_mean

__all__ = ["GEOJSON_LAYERS", "geojson_layers", "write_geojson"]


#: The GeoJSON files :func:`write_geojson` writes, as ``<layer>.geojson``.
GEOJSON_LAYERS = ("districts", "segments")


def geojson_layers(result: SimulationResult) -> dict[str, dict[str, Any]]:
    """The districts and the segments with their shares, as GeoJSON FeatureCollections.

    One feature per (district, project) and per (segment, project), so that a
    GIS filters by ``project``. Districts are Points at their headquarters (no
    district polygons ship with riskmc); segments are LineStrings drawn
    straight from one end place to the other, not along the road or railway.
    Coordinates are ``[longitude, latitude]`` in degrees (WGS 84, RFC 7946),
    from the scenario, else the package tables of the default region (see
    :func:`riskmc.analysis.plots.district_map`); a feature with no coordinates
    has a ``null`` geometry.

    Properties of a district: ``delay_share`` (and ``_low``, ``_high``: the
    95 % interval), the share of the project's expected delay held in the
    district, and ``delay_days_mean``, the mean days it held; likewise
    ``lost_output_share`` and ``lost_output_t_mean`` [t]; ``on_route``, whether
    the model can attribute anything to it (a segment or a project site lies
    in it). A share is ``null`` when it is not defined: the project has no
    expected delay (an operating mine), or the district is on no route.

    Properties of a segment: ``districts_delay_share`` and
    ``districts_lost_output_share`` (with intervals), the share held in the
    districts the segment passes through. The model attributes delay to
    districts, not to segments, so this counts what a district held however it
    arose (another segment through it, a site in it), and the shares of two
    segments through one district overlap: they do not add up.

    Returns
    -------
    dict
        ``{"districts": FeatureCollection, "segments": FeatureCollection}``.
    """
    s, o = result.scenario, result.outcomes
    coords, origin = _coordinates(s)
    projects = [str(p) for p in pd.unique(o["project"].astype(str))]
    by_metric = {m: _district_shares(o, m) for m in _SHARE_NAMES}
    on_route = {
        str(c)[len("delay_at_") : -len("_days")]
        for c in o.columns
        if str(c).startswith("delay_at_") and str(c).endswith("_days")
    }
    districts = []
    for d in s.districts:
        slug = "_".join(d.name.lower().split())
        where = coords.get(f"district:{d.name}")
        for project in projects:
            props: dict[str, Any] = {"district": d.name, "project": project}
            for metric, prefix in _SHARE_NAMES.items():
                shares = by_metric[metric]
                props |= shares.properties(project, slug, prefix, slug in on_route, metric)
            props["attacks_per_year"] = param_mean(d.attacks_per_year)
            props["on_route"] = slug in on_route
            props["location"] = (
                f"headquarters ({origin.get(d.name, 'scenario')})" if where else None
            )
            districts.append(_feature(f"{d.name} / {project}", _point(where), props))
    segments = []
    by_segment = {m: _segment_shares(result, m) for m in _SHARE_NAMES}
    for k, g in enumerate(s.network.segments):
        start, end = coords.get(g.from_), coords.get(g.to)
        line = (
            {"type": "LineString", "coordinates": [list(start), list(end)]}
            if start is not None and end is not None
            else None
        )
        for project in projects:
            props = {
                "segment": g.name,
                "project": project,
                "mode": g.mode,
                "from": g.from_,
                "to": g.to,
                "km": param_mean(g.km),
                "districts": ", ".join(g.districts),
            }
            for metric, prefix in _SHARE_NAMES.items():
                shares = by_segment[metric]
                props |= shares.properties(project, f"s{k}", f"districts_{prefix}", True)
            segments.append(_feature(f"{g.name} / {project}", line, props))
    unattributed = {
        metric: {
            p: _number(shares.rows.get((p, "unattributed"), (0.0,))[0])
            for p in projects
            if p in shares.positive
        }
        for metric, shares in by_metric.items()
    }
    head = {
        "generator": f"riskmc {riskmc_version()}",
        "scenario": s.name,
        "fingerprint": s.fingerprint(),
        "seed": result.seed,
        "replications": result.n_replications,
    }
    notes: dict[str, dict[str, Any]] = {
        "districts": {
            "geometry": "Point: the district's headquarters (no district polygons ship with "
            "riskmc); null: no coordinates",
            "shares": "share of the project's expected delay (lost output) held in the "
            "district, with its 95 % interval; what no district held is 'unattributed'",
            "unattributed": unattributed,
        },
        "segments": {
            "geometry": "LineString: straight from the segment's first place to its last, "
            "not the road or railway alignment; null: a place without coordinates",
            "shares": "share of the project's expected delay (lost output) held in the "
            "districts the segment passes through; segments through one district overlap, "
            "so their shares do not add up",
        },
    }
    return {
        "districts": _collection("districts", head | notes["districts"], districts),
        "segments": _collection("segments", head | notes["segments"], segments),
    }


#: The metrics whose shares the layers carry, and the prefix of their properties.
_SHARE_NAMES = {"delay_days": "delay_share", "lost_output_t": "lost_output_share"}


@dataclass(frozen=True)
class _Shares:
    """Shares of one metric: (project, name) -> (share, low, high, mean held)."""

    rows: dict[tuple[str, str], tuple[float, float, float, float]]
    positive: set[str]  # the projects whose mean is positive: the shares are defined

    def properties(
        self, project: str, name: str, prefix: str, held: bool, mean: str | None = None
    ) -> dict[str, float | None]:
        """``prefix``, ``prefix_low``, ``prefix_high`` (and the mean held, as ``mean``).

        ``null`` when the share is not defined: the project's mean is not
        positive, or nothing can be held there (``held`` false); 0 when the
        column holds nothing.
        """
        values: tuple[float | None, ...] = self.rows.get((project, name), (0.0, 0.0, 0.0, 0.0))
        if project not in self.positive or not held:
            values = (None, None, None, None)
        keys = [prefix, f"{prefix}_low", f"{prefix}_high"]
        if mean is not None:  # delay_days -> delay_days_mean
            keys.append(f"{mean}_mean")
        return {k: _number(v) for k, v in zip(keys, values, strict=False)}


def _shares(outcomes: pd.DataFrame, metric: str) -> _Shares:
    if metric not in outcomes.columns or outcomes.empty:
        return _Shares({}, set())
    d = driver_shares(outcomes, metric)
    d = d[d["kind"] == "district"]
    rows = {
        (str(r["project"]), str(r["name"])): (r["share"], r["low"], r["high"], r["mean"])
        for r in d.to_dict("records")
    }
    means = outcomes.groupby(outcomes["project"].astype(str), sort=False)[metric].mean()
    return _Shares(rows, {str(p) for p, m in means.items() if m > 0})


def _district_shares(outcomes: pd.DataFrame, metric: str) -> _Shares:
    pre = "delay_at_" if metric == "delay_days" else "lost_at_"
    if not any(str(c).startswith(pre) for c in outcomes.columns):
        return _Shares({}, set())
    return _shares(outcomes, metric)


def _segment_shares(result: SimulationResult, metric: str) -> _Shares:
    """Share held in each segment's districts, with the ratio interval of driver_shares.

    Each segment's amount is the sum of its districts' columns, replication by
    replication; the columns are named ``<pre>s<k><post>`` for segment ``k``
    (names cannot collide), and ``driver_shares`` does the rest.
    """
    o, s = result.outcomes, result.scenario
    pre, post = ("delay_at_", "_days") if metric == "delay_days" else ("lost_at_", "_t")
    if not any(str(c).startswith(pre) for c in o.columns):
        return _Shares({}, set())
    columns: dict[str, Any] = {"project": o["project"].astype(str), metric: o[metric]}
    for k, g in enumerate(s.network.segments):
        held = [f"{pre}{'_'.join(d.lower().split())}{post}" for d in g.districts]
        held = [c for c in held if c in o.columns]
        columns[f"{pre}s{k}{post}"] = o[held].sum(axis=1) if held else 0.0
    return _shares(pd.DataFrame(columns, index=o.index), metric)


def _number(x: float | None) -> float | None:
    """A JSON number: NaN (an interval of one replication) and infinities are null."""
    if x is None or not math.isfinite(x):
        return None
    return float(x)


def _point(where: tuple[float, float] | None) -> dict[str, Any] | None:
    return None if where is None else {"type": "Point", "coordinates": list(where)}


def _feature(fid: str, geometry: dict[str, Any] | None, props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "id": fid, "geometry": geometry, "properties": props}


def _collection(name: str, head: dict[str, Any], features: list[Any]) -> dict[str, Any]:
    # "riskmc" (a foreign member, RFC 7946 section 6.1) comes first: it marks the file as
    # riskmc's in its first bytes. "name" is the layer name GDAL (QGIS) shows.
    return {"type": "FeatureCollection", "riskmc": head, "name": name, "features": features}


def write_geojson(folder: str | Path, output: str | Path | None = None) -> list[Path]:
    """Write ``districts.geojson`` and ``segments.geojson`` of a results folder.

    Parameters
    ----------
    folder : str or Path
        A saved result (see :func:`~riskmc.analysis.report.load_results`).
    output : str or Path, optional
        The folder of the two files (it must exist); default ``folder``.

    Returns
    -------
    list of Path
        The files written (see :func:`geojson_layers` for what they hold).

    Raises
    ------
    ReportError
        The folder is not a saved result; ``output`` is not a folder; one of
        the files is a link or a file riskmc did not write; or it cannot be
        written. Nothing is written then.

    Examples
    --------
    >>> import json, tempfile
    >>> from riskmc.engine import simulate
    >>> from riskmc.scenario import load_scenario, shipped_scenarios
    >>> tiny = load_scenario(shipped_scenarios()["tiny.yaml"])
    >>> folder = simulate(tiny, 20, seed=1, workers=1).to_parquet(tempfile.mkdtemp())
    >>> [p.name for p in write_geojson(folder)]
    ['districts.geojson', 'segments.geojson']
    """
    result = load_results(folder)
    target = Path(output) if output is not None else Path(folder)
    if not target.exists():
        raise ReportError(f"{target}: no such folder (the GeoJSON files go into a folder)")
    if not target.is_dir():
        raise ReportError(f"{target}: not a folder (the GeoJSON files go into a folder)")
    paths = [target / f"{layer}.geojson" for layer in GEOJSON_LAYERS]
    for path in paths:  # all checked before either is written
        _check_target(path, _our_geojson)
    layers = geojson_layers(result)
    for path, layer in zip(paths, GEOJSON_LAYERS, strict=True):
        text = json.dumps(layers[layer], indent=1, ensure_ascii=False, allow_nan=False) + "\n"
        _write(path, _bytes_writer(text.encode("utf-8")))
    return paths


def _our_geojson(path: Path) -> bool:
    """Whether ``path`` is a GeoJSON file riskmc wrote: its ``riskmc`` member, first."""
    if not path.is_file():
        return False
    try:
        with open(path, "rb") as f:
            head = f.read(1024)
    except OSError:
        return False
    return head.startswith(b'{\n "type": "FeatureCollection",\n "riskmc": {\n  "generator": '
                           b'"riskmc ')  # fmt: skip
