"""Philox-4x32-10 known answers, uniforms, the inverse normal CDF, distribution draws."""

from __future__ import annotations

import math
import zlib

import numba as nb
import numpy as np
import pytest
from scipy import special, stats

from riskmc.hazard.rng import (
    key_from_seed,
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
