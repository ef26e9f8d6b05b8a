"""Numba kernels of the regimes fit (:mod:`riskmc.calibration.regimes`).

The triggered part of the intensity at each event, the forward algorithm over
days, its gradient by the forward-backward algorithm, and the one-day
transition matrix ``expm(Q)`` of a small generator. The model and the
likelihood are written out in :mod:`riskmc.calibration.regimes`.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

__all__ = ["expm_small", "regime_forward", "regime_gradient", "triggered_parts"]


@nb.njit(cache=True, error_model="numpy")
def triggered_parts(times, district, nb_ptr, nb_idx, horizon, n, s, tau, g):  # type: ignore[no-untyped-def]
    """Triggered intensity at each event and the whole window's triggered compensator.

    The triggering of :func:`riskmc.calibration.hawkes.spillover_loglik`
    (its day rule included), without the background.

    Parameters
    ----------
    times : ndarray of float64, shape (N,)
        Event times [days], ascending over all districts.
    district : ndarray of int64, shape (N,)
    nb_ptr, nb_idx : ndarray of int64
        Adjacency (CSR).
    horizon : float
        Window length ``T`` [days].
    n, s, tau : float
        Branching ratio, spillover share, mean delay [days].
    g : ndarray of float64, shape (N,)
        Filled with ``g_i`` [1/day], the triggered intensity at event ``i``.

    Returns
    -------
    float
        ``sum_i n (1 - exp(-(T - t_i) / tau))``, the triggered compensator.
    """
    n_d = nb_ptr.shape[0] - 1
    a = np.zeros(n_d)  # sum of weights x kernel, decayed to last[e]
    last = np.zeros(n_d)
    same = np.zeros(n_d)
    ex = math.exp(-1.0 / tau)
    c = tau - tau * tau * (1.0 - ex)
    comp = 0.0
    m = times.shape[0]
    i = 0
    while i < m:
        day = math.floor(times[i])
        k = i
        while k < m and math.floor(times[k]) == day:
            k += 1
        for j in range(i, k):
            d = district[j]
            deg = nb_ptr[d + 1] - nb_ptr[d]
            for z in range(nb_ptr[d], nb_ptr[d + 1]):
                same[nb_idx[z]] += 1.0 / deg
        for j in range(i, k):
            d = district[j]
            t = times[j]
            a[d] *= math.exp(-(t - last[d]) / tau)
            last[d] = t
            g[j] = n / tau * (a[d] + c * s * same[d])
            comp += n * (1.0 - math.exp(-(horizon - t) / tau))
            deg = nb_ptr[d + 1] - nb_ptr[d]
            a[d] += 1.0 - s if deg > 0 else 1.0
        for j in range(i, k):
            d = district[j]
            t = times[j]
            deg = nb_ptr[d + 1] - nb_ptr[d]
            for z in range(nb_ptr[d], nb_ptr[d + 1]):
                e = nb_idx[z]
                same[e] = 0.0
                if last[e] <= t:
                    a[e] *= math.exp(-(t - last[e]) / tau)
                    last[e] = t
                    a[e] += s / deg
                else:
                    a[e] += s / deg * math.exp(-(last[e] - t) / tau)
        i = k
    return comp


@nb.njit(cache=True, error_model="numpy")
def regime_forward(day_ptr, day_len, base, g, total_mu, mult, trans, init, filtered):  # type: ignore[no-untyped-def]
    """The forward algorithm over days: log-likelihood without the triggered compensator.

    Parameters
    ----------
    day_ptr : ndarray of int64, shape (K + 1,)
        Day ``k``'s events are ``day_ptr[k]:day_ptr[k + 1]`` (time order).
    day_len : ndarray of float64, shape (K,)
        Length of each day inside the window [days] (1 but for a partial last day).
    base, g : ndarray of float64, shape (N,)
        Each event's background rate ``mu_{d_i}`` and triggered intensity ``g_i`` [1/day].
    total_mu : float
        ``M = sum_d mu_d`` [1/day].
    mult : ndarray of float64, shape (S,)
        State multipliers.
    trans : ndarray of float64, shape (S, S)
        One day's transition matrix ``expm(Q)``.
    init : ndarray of float64, shape (S,)
        Law of the first day's state.
    filtered : ndarray of float64, shape (K, S)
        Filled with ``P(Z_k = z | events of days 0..k)``.

    Returns
    -------
    float
        ``log L + G`` (``G`` the triggered compensator, which no state changes).
    """
    scaled = np.empty_like(filtered)
    return _forward(day_ptr, day_len, base, g, total_mu, mult, trans, init, filtered, scaled)


@nb.njit(cache=True, error_model="numpy")
def _forward(day_ptr, day_len, base, g, total_mu, mult, trans, init, filtered, scaled):  # type: ignore[no-untyped-def]
    """:func:`regime_forward`, keeping each day's emissions ``e_k(z) / max_z e_k`` in ``scaled``."""
    n_s = mult.shape[0]
    prev = init.copy()
    cur = np.empty(n_s)
    ll = 0.0
    for k in range(day_len.shape[0]):
        top = -np.inf
        for z in range(n_s):
            v = -mult[z] * total_mu * day_len[k]
            for i in range(day_ptr[k], day_ptr[k + 1]):
                v += math.log(mult[z] * base[i] + g[i])
            scaled[k, z] = v
            top = max(top, v)
        tot = 0.0
        for z in range(n_s):
            p = 0.0
            if k == 0:
                p = prev[z]
            else:
                for y in range(n_s):
                    p += prev[y] * trans[y, z]
            scaled[k, z] = math.exp(scaled[k, z] - top)
            cur[z] = p * scaled[k, z]
            tot += cur[z]
        ll += top + math.log(tot)
        for z in range(n_s):
            prev[z] = cur[z] / tot
            filtered[k, z] = prev[z]
    return ll


@nb.njit(cache=True, error_model="numpy")
def regime_gradient(  # type: ignore[no-untyped-def]
    day_ptr, day_len, district, base, g, total_mu, mult, trans, init, filtered, grad_mu, grad_mult
):
    """:func:`regime_forward` and, by the forward-backward algorithm, its gradient.

    ``grad_mu[d]`` is ``d log L / d mu_d`` and ``grad_mult[z]`` is
    ``d log L / d m_z``: the expected derivatives of the day's log emission
    under the smoothed state probabilities ``P(Z_k = z | all events)``
    (Rabiner 1989), since the emissions alone depend on them.
    """
    n_s = mult.shape[0]
    n_k = day_len.shape[0]
    scaled = np.empty_like(filtered)
    ll = _forward(day_ptr, day_len, base, g, total_mu, mult, trans, init, filtered, scaled)
    beta = np.ones(n_s)
    nxt = np.empty(n_s)
    grad_mu[:] = 0.0
    grad_mult[:] = 0.0
    for k in range(n_k - 1, -1, -1):
        # smoothed law of Z_k: filtered x beta, normalised
        tot = 0.0
        for z in range(n_s):
            tot += filtered[k, z] * beta[z]
        for z in range(n_s):
            w = filtered[k, z] * beta[z] / tot
            if w == 0.0:
                continue
            m = mult[z]
            grad_mult[z] -= w * total_mu * day_len[k]
            for d in range(grad_mu.shape[0]):
                grad_mu[d] -= w * m * day_len[k]
            for i in range(day_ptr[k], day_ptr[k + 1]):
                inv = w / (m * base[i] + g[i])
                grad_mult[z] += inv * base[i]
                grad_mu[district[i]] += inv * m
        if k > 0:
            # beta_{k-1}(y) proportional to sum_z P(y, z) e_k(z) beta_k(z)
            top = 0.0
            for y in range(n_s):
                v = 0.0
                for z in range(n_s):
                    v += trans[y, z] * scaled[k, z] * beta[z]
                nxt[y] = v
                top = max(top, v)
            for y in range(n_s):
                beta[y] = nxt[y] / top
    return ll


@nb.njit(cache=True, error_model="numpy")
def expm_small(q):  # type: ignore[no-untyped-def]
    """``exp(q)`` of a small generator: scaling and squaring of a Taylor series (16 terms)."""
    norm = 0.0
    for i in range(q.shape[0]):
        norm = max(norm, np.abs(q[i]).sum())
    j = 0
    while norm > 0.25:
        norm /= 2.0
        j += 1
    a = q / 2.0**j
    out = np.eye(q.shape[0])
    term = np.eye(q.shape[0])
    for r in range(1, 17):
        term = term @ a / r
        out = out + term
    for _ in range(j):
        out = out @ out
    return out
