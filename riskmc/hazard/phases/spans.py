"""Step 7 of the hazard kernel: closure and blackout pieces ordered and merged into spans.

Pieces end at the horizon at the latest; overlapping pieces of one segment
(or district) merge into one row whose cause is that of the first piece.
Spans are ordered by segment (or district), then start.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from riskmc.hazard.phases.common import SPAN_BUCKETS, _grow1


@nb.njit(cache=True, error_model="numpy")
def _order_spans(loc, n, horizon, counts, bucket, order):  # type: ignore[no-untyped-def]
    """Order of pieces ``loc[:n]`` by key, then start; ties keep the order made.

    One stable counting sort into buckets of (key, slice of the horizon),
    about half a piece a bucket (``SPAN_BUCKETS`` a piece), then one
    insertion pass for the pieces that share a bucket. Linear in the
    pieces, where a comparison sort was the costliest step of a replication;
    buckets of whole days cost a pass over the days, more than the pieces.
    The order is left in ``order[:n]``; ``counts`` is returned, grown if it
    was short.
    """
    max_key = 0
    for q in range(n):
        max_key = max(max_key, int(loc[q, 0]))
    per_key = max(1, SPAN_BUCKETS * n // (max_key + 1))
    n_b = (max_key + 1) * per_key
    if counts.shape[0] < n_b + 1:
        counts = np.empty(2 * (n_b + 1), dtype=np.int64)
    counts[: n_b + 1] = 0
    scale = per_key / horizon
    for q in range(n):
        b = int(loc[q, 0]) * per_key + min(max(int(loc[q, 1] * scale), 0), per_key - 1)
        bucket[q] = b
        counts[np.uint64(b + 1)] += 1
    # Exclusive running sum, kept in a register (see phases.consequences).
    acc = 0
    for b in range(n_b):
        c = counts[b + 1]
        counts[b] = acc
        acc += c
    for q in range(n):
        ub = np.uint64(bucket[q])
        k = counts[ub]
        order[np.uint64(k)] = q
        counts[ub] = k + 1
    # Buckets ascend by key, then start: a piece moves back only past
    # pieces of its own key that start later.
    # The last piece placed, the greatest so far, kept in registers: most
    # pieces come after it, and are then placed without a gather.
    k_max = loc[order[0], 0]
    s_max = loc[order[0], 1]
    for i in range(1, n):
        x = order[i]
        ux = np.uint64(x)
        kx = loc[ux, 0]
        sx = loc[ux, 1]
        if not ((k_max == kx) & (s_max > sx)):
            k_max = kx
            s_max = sx
            continue
        j = i - 1
        while j >= 0:
            uy = np.uint64(order[np.uint64(j)])
            if not ((loc[uy, 0] == kx) & (loc[uy, 1] > sx)):
                break
            order[np.uint64(j + 1)] = np.int64(uy)
            j -= 1
        order[np.uint64(j + 1)] = x
    return counts


@nb.njit(cache=True, error_model="numpy")
def _merge_spans(  # type: ignore[no-untyped-def]
    loc, n, rep, horizon, keep_pieces, pieces, n_p, merged, n_m, scratch
):
    """Append a replication's pieces (key, start, end, cause) and their merge.

    Both are ordered by key, then start. Pieces of one key that overlap or
    touch merge into one span with the cause of its first piece. ``scratch``
    is (bucket counts, two index arrays), grown here if short.
    """
    counts, bucket, order = scratch
    if n == 0:
        return pieces, n_p, merged, n_m, scratch
    bucket = _grow1(bucket, n)
    order = _grow1(order, n)
    counts = _order_spans(loc, n, horizon, counts, bucket, order)
    if keep_pieces:
        pieces = _grow1(pieces, n_p + n)
        for i in range(n):
            uq = np.uint64(order[i])
            rec = pieces[n_p + i]
            rec.replication = rep
            rec.key = int(loc[uq, 0])
            rec.start = loc[uq, 1]
            rec.end = loc[uq, 2]
            rec.cause = int(loc[uq, 3])
        n_p += n
    merged = _grow1(merged, n_m + n)
    open_key = -1.0
    open_end = 0.0
    for i in range(n):
        uq = np.uint64(order[i])
        key = loc[uq, 0]
        start = loc[uq, 1]
        end = loc[uq, 2]
        if open_key == key and start <= open_end:
            if end > open_end:
                open_end = end
                merged[np.uint64(n_m - 1)].end = open_end
            continue
        rec = merged[np.uint64(n_m)]
        rec.replication = rep
        rec.key = int(key)
        rec.start = start
        rec.end = end
        rec.cause = int(loc[uq, 3])
        open_key = key
        open_end = end
        n_m += 1
    return pieces, n_p, merged, n_m, (counts, bucket, order)
