"""Each attack's deaths and suspension uniforms, drawn from its ordinal after the kernel.

The kernel writes, with each attack, its ordinal ``seq`` in its mark row (its
district's stream, its district's campaign stream, or the stress stream: see
:func:`riskmc.hazard.phases.consequences._consequences`). Attack ``seq`` of row ``row``
reads uniform ``seq`` of the row's fatalities stream (``fatalities:<row>``)
and, in a watched district (one holding the site of a project with a
``suspension`` block), block ``seq`` of the row's suspension stream
(``suspension:<row>``): lane 0 decides a suspension, lane 1 its length. The
streams are counter based (:mod:`riskmc.hazard.rng`), so these numbers are a
function of the replication, the row and the ordinal alone, whenever they are
drawn. They are drawn where they are needed:

- as the sample is made, for the attacks of watched districts only: the
  ``watched`` table that the project models read (:func:`watched_replication`,
  called by the kernel after each replication);
- every attack's deaths when the attack table itself is read
  (:func:`complete_attacks`, behind :attr:`riskmc.HazardSample.attacks`).

A sample whose attack table is never read thus never inverts the deaths law
of the districts no project watches (most of them): the hazard stage stays as
fast as before the tail for the project models, which is SPEC's 5 % budget.
The numbers are the same whichever way they are drawn (a test checks it).

The deaths law is inverted by a guide table (Devroye 1986, *Non-Uniform Random
Variate Generation*, section III.2.4): :mod:`riskmc.hazard.severity` builds it.
"""

from __future__ import annotations

from typing import Any

import numba as nb
import numpy as np
from numpy.typing import NDArray

from riskmc.hazard.rng import fill_uniforms

__all__ = [
    "ATTACK_FIELDS",
    "ATTACK_TABLE_DTYPE",
    "WATCHED_DTYPE",
    "complete_attacks",
    "watched_deaths",
    "watched_replication",
    "watched_scratch",
]

K_CAMPAIGN, K_STRESS = 2, 3  # riskmc.hazard.phases.common's kinds
# Single precision keeps the suspension uniforms below 1 (the largest float32 under 1).
_F32_BELOW_1 = 1.0 - 2.0**-24

#: The attack table of :attr:`riskmc.HazardSample.arrays`: the kernel's records
#: (:data:`riskmc.hazard.kernel.ATTACK_DTYPE`) without their ordinal, with each
#: attack's deaths, and its suspension uniforms (-1 outside watched districts).
#: The fields the kernel's records and the attack table share, in this order.
ATTACK_FIELDS = [
    ("replication", "<i4"),
    ("day", "<f8"),
    ("district", "<i2"),
    ("target", "i1"),
    ("campaign", "<i4"),
    ("kind", "i1"),
    ("mark", "<f8"),
]
ATTACK_TABLE_DTYPE = np.dtype(
    [
        *ATTACK_FIELDS,
        ("fatalities", "<i4"),
        # single precision: 2^-24 resolves the tail well enough
        ("u_suspend", "<f4"),
        ("u_days", "<f4"),
    ]
)
#: The attacks of watched districts, in the order of the attack table:
#: ``attack`` is the attack's row within its replication's attacks.
WATCHED_DTYPE = np.dtype(
    [
        ("replication", "<i4"),
        ("attack", "<i4"),
        ("fatalities", "<i4"),
        ("u_suspend", "<f4"),
        ("u_days", "<f4"),
    ]
)


@nb.njit(cache=True, error_model="numpy", inline="always")
def _fatal(u, cdf, guide, lo, g0, cells):  # type: ignore[no-untyped-def]
    """Deaths at uniform ``u``: the least ``k`` with ``cdf[lo + k] > u``.

    ``cdf[lo:]`` starts the law's discrete CDF. The guide table
    ``guide[g0 : g0 + cells + 1]`` brackets the answer for each of ``cells``
    cells of ``u``; a bisection within the bracket finds it, so a cell of the
    long tail costs a few steps, not a walk. Most brackets hold one count or
    two. The number of cells comes with the tables (not a constant compiled
    in), so a cached kernel always agrees with them. Session 11 searched the
    CDF's first eight entries before the table; that was slower, not faster:
    about 24 ns a draw against 1 (tables in cache, session 12).
    """
    cell = min(int(u * cells), cells - 1)
    a = int(guide[g0 + cell])
    b = int(guide[g0 + cell + 1])
    # the least k in [a, b] with cdf[k] > u
    while a < b:
        mid = (a + b) >> 1
        if cdf[lo + mid] > u:
            b = mid
        else:
            a = mid + 1
    return a


@nb.njit(cache=True, error_model="numpy")
def _row_uniforms(buf, rep, k0, k1, cnt, streams, per, offs):  # type: ignore[no-untyped-def]
    """``per`` uniforms for each of ``cnt[row]`` attacks of every row, drawn in bulk.

    Attack ``j`` of a row reads uniforms ``per j .. per j + per - 1`` of the
    row's stream: with ``per`` 4 that is block ``j``, the numbers of
    ``uniform4(..., j, 0)``. ``offs[row]`` gets each row's start in ``buf``,
    which is returned, replaced by a longer one if short.
    """
    total = 0
    for row in range(cnt.shape[0]):
        offs[row] = total
        total += 4 * ((per * cnt[row] + 3) // 4)
    if buf.shape[0] < total:
        buf = np.empty(2 * total, dtype=np.float64)
    for row in range(cnt.shape[0]):
        if cnt[row] > 0:
            n_blk = (per * cnt[row] + 3) // 4
            fill_uniforms(buf[offs[row] :], k0, k1, rep, streams[row], 0, n_blk)
    return buf


@nb.njit(cache=True, error_model="numpy", inline="always")
def _row_law(rec, n_d, row_law, dist_law):  # type: ignore[no-untyped-def]
    """An attack's district, kind, mark row and deaths law (-1: none)."""
    d = int(rec.district)
    kind = int(rec.kind)
    row = n_d + d if kind == K_CAMPAIGN else 2 * n_d if kind == K_STRESS else d
    law = row_law[row]
    if law == -2:  # the stress row: attacks of any district
        law = dist_law[d]
    return d, kind, row, law


@nb.njit(cache=True, error_model="numpy", inline="always")
def _deaths(kind, j, row, law, fu, offs_f, fixed, cdf, guide, ptr, g):  # type: ignore[no-untyped-def]
    """Attack ``j`` of mark row ``row``'s deaths: fixed on a stress attack, else drawn from
    uniform ``j`` of the row (at ``offs_f[row]`` in ``fu``) by the law's guide table."""
    if kind == K_STRESS and fixed[j] >= 0:
        return fixed[j]
    if law >= 0:
        return _fatal(fu[offs_f[row] + j], cdf, guide, ptr[law], law * (g + 1), g)
    return 0


@nb.njit(cache=True, error_model="numpy")
def _rows_drawing_deaths(t):  # type: ignore[no-untyped-def]
    """By mark row: whether its attacks draw deaths (the stress row: if any district has a law)."""
    n_rows = 2 * t.n_districts + 1
    any_law = False
    for d in range(t.n_districts):
        any_law |= t.fat_law[d] >= 0
    draws = np.empty(n_rows, dtype=np.bool_)
    for row in range(n_rows):
        law = t.fat_row_law[row]
        draws[row] = law >= 0 or (law == -2 and any_law)
    return draws


@nb.njit(cache=True, error_model="numpy")
def _complete(t, att, k0, k1, out):  # type: ignore[no-untyped-def]
    """Every attack of ``att`` (sorted by replication) into ``out``, with its deaths.

    One pass a replication: every attack of a row is here, so a row's ordinals
    run from 0 to its count, and the counting needs no comparison.
    """
    watch, row_law, dist_law, fixed = t.watch, t.fat_row_law, t.fat_law, t.st_attack_fatal
    cdf, guide, ptr, s_fatal, s_susp = t.fat_cdf, t.fat_guide, t.fat_ptr, t.s_fatal, t.s_susp
    n_d, g = t.n_districts, t.fat_cells
    n = att.shape[0]
    n_rows = 2 * n_d + 1
    s_row = 2 * n_d
    draws = _rows_drawing_deaths(t)
    cnt = np.zeros(n_rows, dtype=np.int64)
    cnt_f = np.zeros(n_rows, dtype=np.int64)
    cnt_s = np.zeros(n_rows, dtype=np.int64)
    offs_f = np.empty(n_rows, dtype=np.int64)
    offs_s = np.empty(n_rows, dtype=np.int64)
    fu = np.empty(4096, dtype=np.float64)
    su = np.empty(4096, dtype=np.float64)
    i = 0
    while i < n:
        r = att[i].replication
        e = i + 1
        while e < n and att[e].replication == r:
            e += 1
        cnt[:] = 0
        for q in range(i, e):
            rec = att[q]
            kind = int(rec.kind)
            row = int(rec.district) + n_d * int(kind == K_CAMPAIGN)
            if kind == K_STRESS:
                row = s_row
            cnt[row] += 1
        for row in range(n_rows):
            cnt_f[row] = cnt[row] if draws[row] else 0
            # the stress row mixes districts: drawn whole if any is watched
            w = watch[row % n_d] if row < s_row else watch.any()
            cnt_s[row] = cnt[row] if w else 0
        rep = np.uint64(r)
        fu = _row_uniforms(fu, rep, k0, k1, cnt_f, s_fatal, 1, offs_f)
        su = _row_uniforms(su, rep, k0, k1, cnt_s, s_susp, 4, offs_s)
        for q in range(i, e):
            rec = att[q]
            o = out[q]
            d = int(rec.district)
            kind = int(rec.kind)
            o.replication = rec.replication
            o.day = rec.day
            o.district = rec.district
            o.target = rec.target
            o.campaign = rec.campaign
            o.kind = rec.kind
            o.mark = rec.mark
            _, _, row, law = _row_law(rec, n_d, row_law, dist_law)
            j = int(rec.seq)
            o.fatalities = _deaths(kind, j, row, law, fu, offs_f, fixed, cdf, guide, ptr, g)
            if watch[d]:
                k = offs_s[row] + 4 * j
                o.u_suspend = min(su[k], _F32_BELOW_1)
                o.u_days = min(su[k + 1], _F32_BELOW_1)
            else:
                o.u_suspend = -1.0
                o.u_days = -1.0
        i = e


@nb.njit(cache=True, error_model="numpy")
def watched_scratch(t):  # type: ignore[no-untyped-def]
    """The scratch of :func:`watched_replication`, made once per kernel call.

    The mark rows whose attacks may be watched (each watched district's own
    and campaign rows, and the stress row, which mixes districts) and whether
    each draws deaths; each row's start in the buffers of uniforms, and the
    buffers, which grow when a replication needs more.
    """
    n_d = t.n_districts
    n_rows = 2 * n_d + 1
    by_row = _rows_drawing_deaths(t)
    rows = np.empty(n_rows, dtype=np.int64)
    n = 0
    for row in range(n_rows):
        if t.watch[row % n_d] if row < 2 * n_d else t.watch.any():
            rows[n] = row
            n += 1
    draws = np.empty(n, dtype=np.bool_)
    for z in range(n):
        draws[z] = by_row[rows[z]]
    return (
        rows[:n],
        draws,
        np.zeros(n_rows, dtype=np.int64),
        np.zeros(n_rows, dtype=np.int64),
        np.empty(1024, dtype=np.float64),
        np.empty(4096, dtype=np.float64),
        np.empty(4096, dtype=np.float64),
        np.empty(4096, dtype=np.int64),
    )


@nb.njit(cache=True, error_model="numpy")
def watched_replication(t, rep, k0, k1, att, first, pick, m, cnt, wat, n_wat, ws):  # type: ignore[no-untyped-def]
    """Append the watched attacks ``att[first + pick[:m]]`` (replication ``rep``) to ``wat``.

    Called by the kernel after each replication's attacks are written, while
    they are in cache; ``pick`` lists the attacks of watched districts, in
    order, as rows of the replication's attacks (the kernel collects them as
    it writes them), and ``cnt[row]`` is the replication's count of attacks of
    each mark row. The uniforms of the rows of watched districts are drawn in
    bulk, for every attack of the row: all of them are watched, but in the
    stress row's few, and no pass over the watched attacks is needed to find
    how many. ``t`` is the :class:`~riskmc.hazard.inputs.TailArrays`; ``wat``
    (:data:`WATCHED_DTYPE`) grows if short, and ``ws`` (scratch,
    :func:`watched_scratch`) too; returns them and the new length of ``wat``.
    """
    # The tables out of the tuple once: an attribute read in a loop costs a
    # reference count each time (several times the lookup itself).
    row_law, dist_law, fixed = t.fat_row_law, t.fat_law, t.st_attack_fatal
    s_fatal, s_susp, n_d = t.s_fatal, t.s_susp, t.n_districts
    rows, draws, offs_f, offs_s, fu, su, pu, pl = ws
    # Uniform j of a row's fatalities stream for its attack j; block j of its
    # suspension stream.
    n_f = 0
    n_s = 0
    for z in range(rows.shape[0]):
        row = rows[z]
        offs_f[row] = n_f
        offs_s[row] = n_s
        n_f += 4 * ((cnt[row] + 3) // 4) if draws[z] else 0
        n_s += 4 * cnt[row]
    if fu.shape[0] < n_f:
        fu = np.empty(2 * n_f, dtype=np.float64)
    if su.shape[0] < n_s:
        su = np.empty(2 * n_s, dtype=np.float64)
    for z in range(rows.shape[0]):
        row = rows[z]
        if draws[z]:
            n_blk = (cnt[row] + 3) // 4
            fill_uniforms(fu[offs_f[row] :], k0, k1, rep, s_fatal[row], 0, n_blk)
        fill_uniforms(su[offs_s[row] :], k0, k1, rep, s_susp[row], 0, cnt[row])
    if wat.shape[0] < n_wat + m:
        wat = _grown(wat, 2 * (n_wat + m), n_wat)
    if pu.shape[0] < n_wat + m:
        pu = _grown(pu, 2 * (n_wat + m), n_wat)
        pl = _grown(pl, 2 * (n_wat + m), n_wat)
    for x in range(m):
        q = pick[x]
        rec = att[first + q]
        _, kind, row, law = _row_law(rec, n_d, row_law, dist_law)
        j = int(rec.seq)
        k = offs_s[row] + 4 * j
        w = wat[n_wat + x]
        w.replication = int(rep)
        w.attack = q
        # The deaths later, all at once (watched_deaths): the uniform and the law here.
        if kind == K_STRESS and fixed[j] >= 0:
            pl[n_wat + x] = -1 - fixed[j]  # -1 for none, below for some
            pu[n_wat + x] = 0.0
        else:
            pl[n_wat + x] = law
            pu[n_wat + x] = fu[offs_f[row] + j] if law >= 0 else 0.0
        w.u_suspend = min(su[k], _F32_BELOW_1)
        w.u_days = min(su[k + 1], _F32_BELOW_1)
    return wat, n_wat + m, (rows, draws, offs_f, offs_s, fu, su, pu, pl)


@nb.njit(cache=True, error_model="numpy")
def _grown(a, n, keep):  # type: ignore[no-untyped-def]
    """A longer ``a`` (``n`` entries, records too) holding its first ``keep``."""
    b = np.empty(n, dtype=a.dtype)
    for i in range(keep):
        b[i] = a[i]
    return b


@nb.njit(cache=True, error_model="numpy")
def watched_deaths(t, wat, n_wat, ws):  # type: ignore[no-untyped-def]
    """The deaths of the watched attacks ``wat[:n_wat]``, once the kernel's loop is done.

    :func:`watched_replication` keeps each watched attack's fatalities
    uniform and law (or, below -1, a stress attack's fixed deaths) in the
    scratch. Drawn there, in the loop over replications, each inversion
    missed the cache (each replication's attacks, written just before, evict
    the deaths law's tables): about 70 ns a draw. Here, in one pass over the
    kernel call's watched attacks, the tables stay in cache: a few ns a draw
    (session 14). The numbers are the same.
    """
    cdf, guide, ptr, g = t.fat_cdf, t.fat_guide, t.fat_ptr, t.fat_cells
    pu, pl = ws[6], ws[7]
    for x in range(n_wat):
        law = pl[x]
        if law >= 0:
            wat[x].fatalities = _fatal(pu[x], cdf, guide, ptr[law], law * (g + 1), g)
        else:  # -1: no law, no deaths; below: fixed deaths
            wat[x].fatalities = -1 - law


def complete_attacks(
    tail: Any,
    att: NDArray[np.void],
    k0: np.uint64,
    k1: np.uint64,
    out: NDArray[np.void] | None = None,
) -> NDArray[np.void]:
    """Kernel records as the attack table (:data:`ATTACK_TABLE_DTYPE`): every attack's deaths.

    Parameters
    ----------
    tail : TailArrays
        The scenario's arrays of the tail (:func:`riskmc.hazard.inputs.build_inputs`).
    att : ndarray of :data:`riskmc.hazard.kernel.ATTACK_DTYPE`
        Attacks sorted by replication, as the kernel wrote them.
    k0, k1 : uint64
        The key of the seed.
    out : ndarray of :data:`ATTACK_TABLE_DTYPE`, optional
        Where to write them (as long as ``att``); default: a new array.

    Returns
    -------
    ndarray of :data:`ATTACK_TABLE_DTYPE`
    """
    if out is None:
        out = np.empty(len(att), dtype=ATTACK_TABLE_DTYPE)
    if len(out) != len(att) or out.dtype != ATTACK_TABLE_DTYPE:
        raise ValueError("out: must be an attack table as long as att")
    _complete(tail, att, k0, k1, out)
    return out
