"""The corridor network and one replication's closures as arrays, for compiled code.

The network is a :class:`NetArrays` tuple (:meth:`NetArrays.of`, or
:attr:`riskmc.network.CorridorNetwork.arrays`). A replication's closures and
attack days are in compressed-row form by segment (:class:`SegmentTimes`): the
rows of segment ``j`` are ``ptr[j]:ptr[j + 1]`` of ``start`` (and ``end``),
sorted by start; merged closures do not overlap. :func:`pack` lays both out
as two flat arrays. The kernels that read them are in
:mod:`riskmc.network.compiled` and :mod:`riskmc.network.connectivity`.

This module holds data only (NumPy, no Numba), so that the pure-Python graph
(:mod:`riskmc.network.graph`) can build its arrays without importing the kernels.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

import numpy as np
from numpy.typing import NDArray

__all__ = ["NetArrays", "SegmentTimes", "pack"]


class _Graph(Protocol):
    """What :meth:`NetArrays.of` reads of a :class:`~riskmc.network.CorridorNetwork`."""

    @property
    def places(self) -> tuple[str, ...]: ...
    @property
    def seg_from(self) -> NDArray[np.int64]: ...
    @property
    def seg_to(self) -> NDArray[np.int64]: ...
    @property
    def km(self) -> NDArray[np.float64]: ...
    @property
    def road(self) -> NDArray[np.bool_]: ...
    @property
    def road_hours_per_day(self) -> float: ...
    @property
    def _links(self) -> dict[int, list[tuple[int, int]]]: ...
    @property
    def _weights(self) -> list[float]: ...
    @property
    def _days(self) -> list[float]: ...
    @property
    def _night_ban(self) -> list[bool]: ...


class NetArrays(NamedTuple):
    """A :class:`~riskmc.network.CorridorNetwork` as arrays for compiled code."""

    seg_from: NDArray[np.int64]
    seg_to: NDArray[np.int64]
    days: NDArray[np.float64]  # moving time [days]
    ban: NDArray[np.float64]  # 1 where the night ban applies (road, road_hours_per_day < 24)
    weight: NDArray[np.float64]  # path-choice cost [h]
    km: NDArray[np.float64]
    road: NDArray[np.float64]  # 1 for road, 0 for rail
    node_ptr: NDArray[np.int64]  # adjacency of each place, in the order of the Python links
    adj_seg: NDArray[np.int64]
    adj_node: NDArray[np.int64]
    window: float  # open road hours per day / 24

    @classmethod
    def of(cls, net: _Graph) -> NetArrays:
        """Arrays of a :class:`~riskmc.network.CorridorNetwork`."""
        n_places = len(net.places)
        ptr = np.zeros(n_places + 1, dtype=np.int64)
        segs: list[int] = []
        nodes: list[int] = []
        for u in range(n_places):
            for j, v in net._links.get(u, ()):
                segs.append(j)
                nodes.append(v)
            ptr[u + 1] = len(segs)
        return cls(
            seg_from=net.seg_from.astype(np.int64),
            seg_to=net.seg_to.astype(np.int64),
            days=np.array(net._days, dtype=np.float64),
            ban=np.array(net._night_ban, dtype=np.float64),
            weight=np.array(net._weights, dtype=np.float64),
            km=net.km.astype(np.float64),
            road=net.road.astype(np.float64),
            node_ptr=ptr,
            adj_seg=np.array(segs, dtype=np.int64),
            adj_node=np.array(nodes, dtype=np.int64),
            window=float(net.road_hours_per_day) / 24.0,
        )


class SegmentTimes(NamedTuple):
    """Times by segment in compressed-row form: closures (start, end) or attacks (start only)."""

    ptr: NDArray[np.int64]
    start: NDArray[np.float64]
    end: NDArray[np.float64]

    @classmethod
    def of(
        cls,
        n_segments: int,
        keys: NDArray[np.integer],
        starts: NDArray[np.floating],
        ends: NDArray[np.floating] | None = None,
    ) -> SegmentTimes:
        keys = np.asarray(keys, dtype=np.int64)
        s = np.asarray(starts, dtype=np.float64)
        e = s if ends is None else np.asarray(ends, dtype=np.float64)
        order = np.lexsort((s, keys))
        keys, s, e = keys[order], s[order], e[order]
        ptr = np.searchsorted(keys, np.arange(n_segments + 1)).astype(np.int64)
        return cls(ptr, np.ascontiguousarray(s), np.ascontiguousarray(e))


def pack(
    net: NetArrays, closures: SegmentTimes, attacks: SegmentTimes
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """A network and one replication's closures and attacks as two flat arrays.

    Calling a compiled function with two arrays costs a fraction of a
    microsecond; with the seventeen arrays of the tuples, several. The
    kernels :func:`unpack` them into views.
    """
    n = len(net.km)
    header = np.array(
        [n, len(net.node_ptr) - 1, len(net.adj_seg), len(closures.start), len(attacks.start)],
        dtype=np.int64,
    )
    floats = np.concatenate(
        (
            [net.window],
            net.days,
            net.ban,
            net.weight,
            net.km,
            net.road,
            closures.start,
            closures.end,
            attacks.start,
            attacks.end,
        )
    ).astype(np.float64)
    ints = np.concatenate(
        (
            header,
            net.seg_from,
            net.seg_to,
            net.node_ptr,
            net.adj_seg,
            net.adj_node,
            closures.ptr,
            attacks.ptr,
        )
    ).astype(np.int64)
    return floats, ints
