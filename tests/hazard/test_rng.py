"""Philox-4x32-10 known answers, uniforms, the inverse normal CDF, distribution draws."""

from __future__ import annotations

import math
import zlib

import numba as nb
import numpy as np
import pytest
from scipy import special, stats

from riskmc.hazard.rng import (
    _exp,
    _log,
    exponentials,
    key_from_seed,
    lognormals,
    ndtri,
    ndtri_fast,
    philox4x32_10,
    sample_dist,
    stream_id,
    uniform4,
)
from riskmc.scenario import Beta, Gamma, Lognormal, Triangular, Uniform

from .conftest import Z

U = np.uint64

# Known-answer vectors of Random123 (Salmon et al. 2011), kat_vectors:
# counter (4 words), key (2 words) -> output (4 words).
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    (
        (0xFFFFFFFF,) * 4,
        (0xFFFFFFFF,) * 2,
        (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD),
    ),
    (
        (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344),
        (0xA4093822, 0x299F31D0),
        (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1),
    ),
]


@pytest.mark.parametrize(("ctr", "key", "expected"), KAT)
def test_philox_known_answers(ctr, key, expected):
    out = philox4x32_10(*(U(c) for c in ctr), *(U(k) for k in key))
    assert tuple(int(x) for x in out) == expected


@pytest.mark.parametrize(("ctr", "key", "expected"), KAT)
def test_philox_pure_python_matches(ctr, key, expected):
    out = philox4x32_10.py_func(*(U(c) for c in ctr), *(U(k) for k in key))
    assert tuple(int(x) for x in out) == expected


@nb.njit
def _uniforms(n, k0, k1):
    out = np.empty(4 * n)
    for i in range(n):
        a, b, c, d = uniform4(k0, k1, U(3), U(77), i, 0)
        out[4 * i : 4 * i + 4] = (a, b, c, d)
    return out


def test_uniforms_are_uniform():
    u = _uniforms(50_000, U(1), U(2))
    assert u.min() > 0.0
    assert u.max() < 1.0
    n = len(u)
    assert abs(u.mean() - 0.5) < Z * math.sqrt(1 / 12 / n)
    assert abs(u.var() - 1 / 12) < Z * math.sqrt(
        1 / 180 / n
    )  # (mu4 - sigma^4) / n = (1/80 - 1/144) / n
    # Kolmogorov-Smirnov against U(0, 1); and neighbours are uncorrelated.
    assert stats.kstest(u, "uniform").pvalue > 1e-4
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < Z / math.sqrt(n)


def test_ndtri_matches_scipy():
    p = np.concatenate([[1e-300, 1e-12, 0.02425, 0.5, 1 - 1e-12], np.linspace(1e-6, 1 - 1e-6, 999)])
    exact = special.ndtri(p)
    ours = np.array([ndtri(x) for x in p])
    fast = np.array([ndtri_fast(x) for x in p])
    np.testing.assert_allclose(ours, exact, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(fast, exact, rtol=1.2e-9, atol=1e-12)


@nb.njit(error_model="numpy")
def _elementwise(x, which):
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = _log(x[i]) if which == 0 else _exp(x[i])
    return out


def _ulps(ours, exact):
    """Error in units of the last place of the float64 nearest the exact value."""
    return np.abs(ours.astype(np.longdouble) - exact) / np.abs(np.spacing(exact.astype(np.float64)))


@pytest.mark.skipif(np.finfo(np.longdouble).nmant < 63, reason="needs x87 long double")
def test_vectorisable_log_and_exp_are_within_about_one_ulp():
    rng = np.random.default_rng(5)
    # Uniforms of the kernels' grid (2^-33 steps), both ends included, and
    # positive doubles over the whole normal range.
    grid = (
        np.concatenate([[0, 1, 2**31, 2**32 - 1], rng.integers(0, 2**32, 200_000)]) + 0.5
    ) * 2.0**-32
    wide = 10.0 ** rng.uniform(-307, 308, 200_000)
    # Below 1 ulp on the grid; an independent check found 1.03 on other doubles.
    assert _ulps(_elementwise(grid, 0), np.log(grid.astype(np.longdouble))).max() < 1.0
    for x in (wide, 1.0 + rng.uniform(-1e-3, 1e-3, 50_000), [0.7067120982832534]):
        x = np.asarray(x)
        assert _ulps(_elementwise(x, 0), np.log(x.astype(np.longdouble))).max() < 1.1
    y = np.concatenate([rng.uniform(-708, 709, 200_000), rng.uniform(-1, 1, 50_000), [0.0]])
    y = np.append(y, 425.2489978628887)  # 1.0002 ulp
    assert _ulps(_elementwise(y, 1), np.exp(y.astype(np.longdouble))).max() < 1.1
    # Clamped, never inf or subnormal.
    np.testing.assert_allclose(
        _elementwise(np.array([-1e4, 1e4]), 1), [math.exp(-708), math.exp(709)], rtol=3e-16
    )


def test_bulk_draws_are_the_scalar_ones():
    u = (np.random.default_rng(6).integers(0, 2**32, 5_000) + 0.5) * 2.0**-32
    # Acklam's region boundaries and the middle, on the kernels' grid.
    edges = (
        np.floor(np.array([0.02425, 1 - 0.02425, 0.5]) * 2**32)[:, None] + [-0.5, 0.5, 1.5]
    ).ravel()
    u = np.concatenate([u, edges * 2.0**-32, [0.5 * 2.0**-32, 1 - 0.5 * 2.0**-32]])
    buf = np.concatenate([[7.0], u, [7.0]])  # a draw off each end must stay put
    lognormals(buf, 1, len(u), 3.0, 0.8)
    one_by_one = 3.0 * _elementwise(0.8 * np.array([ndtri_fast(x) for x in u]), 1)
    assert buf[0] == buf[-1] == 7.0
    np.testing.assert_array_equal(buf[1:-1], one_by_one)
    np.testing.assert_allclose(buf[1:-1], 3.0 * np.exp(0.8 * special.ndtri(u)), rtol=1e-8)
    gaps = u.copy()
    exponentials(gaps, 0, len(u), 2.5)
    np.testing.assert_array_equal(gaps, -_elementwise(u, 0) / 2.5)


def test_keys_and_streams_are_stable():
    assert key_from_seed(7) == key_from_seed(7)
    assert key_from_seed(7) != key_from_seed(8)
    assert stream_id("attack", "Quetta") == zlib.crc32(b"attack:Quetta")


@nb.njit
def _draws(code, p, n, k0, k1):
    out = np.empty(n)
    for i in range(n):
        u, _, _, _ = uniform4(k0, k1, U(i), U(5), 0, 0)
        out[i] = sample_dist(code, p[0], p[1], p[2], p[3], u, k0, k1, U(i), U(5), 0, 1)
    return out


@pytest.mark.parametrize(
    ("dist", "frozen"),
    [
        (Uniform(low=2, high=5), stats.uniform(2, 3)),
        (Triangular(low=1, mode=2, high=6), stats.triang((2 - 1) / 5, loc=1, scale=5)),
        (Lognormal(median=14, sigma=0.4), stats.lognorm(0.4, scale=14)),
        (Gamma(shape=2.5, scale=0.4), stats.gamma(2.5, scale=0.4)),
        (Gamma(shape=0.3, scale=2.0), stats.gamma(0.3, scale=2.0)),
        (Beta(a=2, b=5, low=1, high=3), stats.beta(2, 5, loc=1, scale=2)),
    ],
    ids=lambda x: getattr(x, "dist", ""),
)
def test_distribution_draws_follow_their_law(dist, frozen):
    x = _draws(dist.code, np.array(dist.params()), 40_000, U(11), U(12))
    n = len(x)
    assert abs(x.mean() - frozen.mean()) < Z * frozen.std() / math.sqrt(n)
    assert abs(x.mean() - dist.mean()) < Z * frozen.std() / math.sqrt(n)
    assert stats.kstest(x, frozen.cdf).pvalue > 1e-4
    lo, hi = dist.support()
    assert lo <= x.min()
    assert x.max() <= hi
