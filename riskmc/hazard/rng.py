"""Counter-based random numbers for the compiled kernels: Philox-4x32-10.

Every random number riskmc uses is a pure function of
``(key, replication, stream, index, sub)``: the key comes from the user's
seed, the replication is its index, the stream names what the numbers are for
(attacks of district Quetta, protests on segment N40q, ...), and ``index`` and
``sub`` count within the stream. There is no generator state to carry or
split, so a replication's numbers never depend on which other replications run
beside it, on the thread that runs it, or on the order of the work.

The counter block is ``(index, sub, replication, stream)`` and the key is the
seed's 64 bits, so one call yields four 32-bit words, used as four uniforms on
the open interval (0, 1).

References
----------
.. [1] J. K. Salmon, M. A. Moraes, R. O. Dror, D. E. Shaw, "Parallel random
   numbers: as easy as 1, 2, 3", Proc. SC'11 (2011). Philox-4x32-10 and its
   known-answer vectors.
.. [2] P. J. Acklam, "An algorithm for computing the inverse normal cumulative
   distribution function" (2003), with one Halley step for full precision.
.. [3] G. Marsaglia, W. W. Tsang, "A simple method for generating gamma
   variables", ACM TOMS 26(3), 363-372 (2000).
.. [4] J.-M. Muller, "Elementary Functions: Algorithms and Implementation",
   3rd ed., Birkhauser (2016): additive range reduction by a multiple of
   ln 2 split in two parts (Cody and Waite), and the logarithm of the reduced
   mantissa as 2 atanh(f / (2 + f)).
"""

from __future__ import annotations

import math
import zlib
from typing import Any

import numba as nb
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

__all__ = [
    "exponentials",
    "fill_blocks",
    "fill_offspring",
    "fill_uniforms",
    "gamma_draw",
    "key_from_seed",
    "lognormals",
    "next_uniform",
    "philox4x32_10",
    "sample_dist",
    "seq_start",
    "stream_id",
    "uniform4",
]

_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_W0 = np.uint64(0x9E3779B9)
_W1 = np.uint64(0xBB67AE85)
_MASK = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
_TO_UNIT = 2.0**-32

# Distribution codes, as in riskmc.scenario.distributions.
FIXED, UNIFORM, TRIANGULAR, LOGNORMAL, GAMMA, BETA = 0, 1, 2, 3, 4, 5

# Constants of the vectorisable logarithm and exponential (see _log, _exp).
# ln 2 in two parts: the high part has 32 significant bits, so k * _LN2_HI is
# exact for any exponent k of a double.
_LN2_HI = 0.6931471803691238
_LN2_LO = 1.9082149292705877e-10
_INV_LN2 = 1.4426950408889634
_SQRT_HALF_BITS = 0x3FE6A09E667F3BCD  # the bits of sqrt(1/2)
_ROUND = 1.5 * 2.0**52  # x + _ROUND - _ROUND rounds x to an integer
# 1 / (2j + 1) of the series of atanh, and 1 / j! of that of exp.
_A3, _A5, _A7, _A9, _A11, _A13, _A15, _A17, _A19 = (1.0 / j for j in range(3, 21, 2))
_E2, _E3, _E4, _E5, _E6, _E7, _E8, _E9, _E10, _E11, _E12, _E13 = (
    1.0 / math.factorial(j) for j in range(2, 14)
)
# Acklam's central region: p in [_P_LOW, 1 - _P_LOW].
_P_LOW = 0.02425


def key_from_seed(seed: int) -> tuple[int, int]:
    """Two 32-bit Philox key words from a user seed (any non-negative integer).

    The seed is mixed by ``numpy.random.SeedSequence`` so that nearby seeds
    give unrelated keys.
    """
    words = np.random.SeedSequence(seed).generate_state(2, dtype=np.uint32)
    return int(words[0]), int(words[1])


def stream_id(kind: str, name: str = "") -> int:
    """Stable 32-bit id of a stream: CRC-32 of ``"kind:name"``.

    Keyed by names, not positions, so that adding a district to a scenario
    leaves every other district's random numbers unchanged (common random
    numbers across variants).
    """
    return zlib.crc32(f"{kind}:{name}".encode())


@nb.njit(cache=True, error_model="numpy", inline="always")
def philox4x32_10(
    c0: np.uint64, c1: np.uint64, c2: np.uint64, c3: np.uint64, k0: np.uint64, k1: np.uint64
) -> tuple[np.uint64, np.uint64, np.uint64, np.uint64]:
    """Philox-4x32-10 of counter ``(c0, c1, c2, c3)`` under key ``(k0, k1)``.

    Each argument holds a 32-bit value in a uint64; so does each result word.
    """
    for _ in range(10):
        p0 = _M0 * c0
        p1 = _M1 * c2
        c0, c1, c2, c3 = (
            (p1 >> _S32) ^ c1 ^ k0,
            p1 & _MASK,
            (p0 >> _S32) ^ c3 ^ k1,
            p0 & _MASK,
        )
        k0 = (k0 + _W0) & _MASK
        k1 = (k1 + _W1) & _MASK
    return c0, c1, c2, c3


@nb.njit(cache=True, error_model="numpy", inline="always")
def uniform4(
    k0: np.uint64, k1: np.uint64, rep: np.uint64, stream: np.uint64, index: int, sub: int
) -> tuple[float, float, float, float]:
    """Four uniforms on (0, 1) at ``(index, sub)`` of a replication's stream."""
    a, b, c, d = philox4x32_10(
        np.uint64(index) & _MASK, np.uint64(sub) & _MASK, rep, stream, k0, k1
    )
    return (
        (float(a) + 0.5) * _TO_UNIT,
        (float(b) + 0.5) * _TO_UNIT,
        (float(c) + 0.5) * _TO_UNIT,
        (float(d) + 0.5) * _TO_UNIT,
    )


@nb.njit(cache=True, error_model="numpy")
def fill_uniforms(  # type: ignore[no-untyped-def]
    out, k0, k1, rep, stream, block0, n_blocks
):
    """Fill ``out[:4 * n_blocks]`` with blocks ``block0 ..`` (sub 0) of a stream.

    Uniform ``i`` of the stream is lane ``i % 4`` of block ``i // 4``, the same
    numbers :func:`uniform4` gives one block at a time; drawn in bulk, the
    independent blocks pipeline (and vectorise), several times faster.
    """
    for j in range(n_blocks):
        a, b, c, d = philox4x32_10(np.uint64(block0 + j) & _MASK, np.uint64(0), rep, stream, k0, k1)
        o = 4 * j
        out[o] = (float(a) + 0.5) * _TO_UNIT
        out[o + 1] = (float(b) + 0.5) * _TO_UNIT
        out[o + 2] = (float(c) + 0.5) * _TO_UNIT
        out[o + 3] = (float(d) + 0.5) * _TO_UNIT


@nb.njit(cache=True, error_model="numpy", inline="always")
def next_uniform(buf, st, k0, k1, rep, stream):  # type: ignore[no-untyped-def]
    """Next uniform of a stream read in order, refilling ``buf`` in bulk.

    ``st`` (int64, 4) holds the position in the stream, the first block held
    in ``buf``, the blocks per refill and the blocks held; set it with
    :func:`seq_start`.
    """
    local = st[0] - 4 * st[1]
    if local >= 4 * st[3]:
        st[1] += st[3]
        st[3] = st[2]
        fill_uniforms(buf, k0, k1, rep, stream, st[1], st[3])
        local = st[0] - 4 * st[1]
    st[0] += 1
    return buf[local]


@nb.njit(cache=True, error_model="numpy", inline="always")
def seq_start(st, blocks_per_fill, capacity):  # type: ignore[no-untyped-def]
    """Reset a sequential reader (see :func:`next_uniform`) to the stream's start."""
    st[0] = 0
    st[1] = 0
    st[2] = max(1, min(blocks_per_fill, capacity // 4))
    st[3] = 0


@nb.njit(cache=True, error_model="numpy")
def ndtri(p: float) -> float:
    """Inverse of the standard normal CDF, for p in (0, 1).

    Acklam's rational approximation refined by one Halley step; the upper half
    is mirrored onto the lower so that the step never subtracts two numbers
    near 1.
    """
    if p > 0.5:
        return -_ndtri_lower(1.0 - p)
    return _ndtri_lower(p)


@nb.njit(cache=True, error_model="numpy", inline="always")
def ndtri_fast(p: float) -> float:
    """Inverse normal CDF by Acklam's approximation alone: relative error < 1.2e-9.

    Used to draw event durations, where that error is far below anything that
    matters and the refinement would double the cost.
    """
    # One evaluation on the lower half, and selects rather than a branch on
    # the half: the uniform is random, so such a branch is mispredicted.
    upper = p > 0.5
    x = _acklam_lower(1.0 - p if upper else p)
    return -x if upper else x


@nb.njit(cache=True, error_model="numpy", inline="always")
def _ndtri_lower(p: float) -> float:
    x = _acklam_lower(p)
    # Halley step: takes the relative error from about 1e-9 to machine precision.
    e = 0.5 * math.erfc(-x / math.sqrt(2.0)) - p
    u = e * math.sqrt(2.0 * math.pi) * math.exp(0.5 * x * x)
    return x - u / (1.0 + 0.5 * x * u)


@nb.njit(cache=True, error_model="numpy", inline="always")
def _acklam_lower(p: float) -> float:
    if p < _P_LOW:
        q = math.sqrt(-2.0 * math.log(p))
        num = (
            (
                ((-7.784894002430293e-03 * q - 3.223964580411365e-01) * q - 2.400758277161838) * q
                - 2.549732539343734
            )
            * q
            + 4.374664141464968
        ) * q + 2.938163982698783
        den = (
            ((7.784695709041462e-03 * q + 3.224671290700398e-01) * q + 2.445134137142996) * q
            + 3.754408661907416
        ) * q + 1.0
        return num / den
    return _acklam_central(p)


@nb.njit(cache=True, error_model="numpy", inline="always")
def _acklam_central(p: float) -> float:
    """Acklam's rational approximation on its central region, p in [0.02425, 0.97575].

    Odd in ``p - 0.5`` to the bit (the numerator is ``q`` times a polynomial
    in ``q * q``), so it gives on the upper half exactly what mirroring onto
    the lower half gives.
    """
    q = p - 0.5
    r = q * q
    num = (
        (
            (
                ((-3.969683028665376e01 * r + 2.209460984245205e02) * r - 2.759285104469687e02) * r
                + 1.383577518672690e02
            )
            * r
            - 3.066479806614716e01
        )
        * r
        + 2.506628277459239
    ) * q
    den = (
        (
            ((-5.447609879822406e01 * r + 1.615858368580409e02) * r - 1.556989798598866e02) * r
            + 6.680131188771972e01
        )
        * r
        - 1.328068155288572e01
    ) * r + 1.0
    return num / den


def _bits_typer(typingctx, x):  # type: ignore[no-untyped-def]
    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


def _from_bits_typer(typingctx, b):  # type: ignore[no-untyped-def]
    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


#: The 64 bits of a float64 as an int64, and back: bit casts, no conversion.
#: (Typed as Any: they are called with one argument inside compiled code.)
_bits: Any = intrinsic(_bits_typer)
_from_bits: Any = intrinsic(_from_bits_typer)


# The logarithm and exponential below are straight-line arithmetic, with no
# branch and no call, so that LLVM vectorises a loop of them (8 lanes with
# AVX-512): in bulk they cost about 1.9 ns where glibc's take 4.3 (log) and
# 5.1 (exp) on this machine. One at a time, in branchy code, glibc's are
# faster, so the kernels use these in loops over whole buffers, and one at a
# time only where the result is the bits a bulk pass gives (the lognormal
# tails) or a call would cost more (the Hawkes chunks' Poisson counts). Both are
# within about 1 ulp of the exact result (1.03 at worst found by an
# independent check; below 1 on the uniforms the kernels take) and use only
# IEEE-754 operations, so they give the same bits on every machine.


@nb.njit(cache=True, error_model="numpy", inline="always")
def _log(x: float) -> float:
    """Natural logarithm of a positive normal float64 (no checks)."""
    # x = 2^k m with m in [sqrt(1/2), sqrt(2)): log x = k ln 2 + log(1 + f),
    # f = m - 1 exact. With s = f / (2 + f), log(1 + f) = 2 atanh(s)
    # = f - s f + s R, R = 2 (s^2 / 3 + s^4 / 5 + ...), and s f = hfsq - s hfsq
    # with hfsq = f^2 / 2: f enters exactly, the rest is a small correction.
    b = _bits(x)
    k = (b - _SQRT_HALF_BITS) >> 52
    f: float = _from_bits(b - (k << 52)) - 1.0
    hfsq = 0.5 * f * f
    s = f / (2.0 + f)
    z = s * s
    z2 = z * z
    z4 = z2 * z2
    r = (
        z * (_A3 + _A5 * z)
        + z * z2 * (_A7 + _A9 * z)
        + z * z4 * ((_A11 + _A13 * z) + z2 * (_A15 + _A17 * z))
        + z * z4 * z4 * _A19
    )
    kf = float(k)
    return kf * _LN2_HI - ((hfsq - (s * (hfsq + 2.0 * r) + kf * _LN2_LO)) - f)


@nb.njit(cache=True, error_model="numpy", inline="always")
def _exp(x: float) -> float:
    """Exponential, for x in [-708, 709] (clamped there: no inf, no subnormal)."""
    x = min(max(x, -708.0), 709.0)
    # x = k ln 2 + r with k the nearest integer to x / ln 2, |r| <= ln 2 / 2.
    kd = x * _INV_LN2 + _ROUND
    k = _bits(kd) - _bits(_ROUND)
    kd -= _ROUND
    r = (x - kd * _LN2_HI) - kd * _LN2_LO
    r2 = r * r
    r4 = r2 * r2
    r8 = r4 * r4
    # The small terms first, 1 last: one rounding at the magnitude of the result.
    series = 1.0 + (
        r
        + (
            r2 * (_E2 + _E3 * r)
            + (
                r4 * ((_E4 + _E5 * r) + r2 * (_E6 + _E7 * r))
                + r8 * (((_E8 + _E9 * r) + r2 * (_E10 + _E11 * r)) + r4 * (_E12 + _E13 * r))
            )
        )
    )
    two_k: float = _from_bits((k + 1023) << 52)
    return series * two_k


@nb.njit(cache=True, error_model="numpy")
def exponentials(buf, first, n, rate):  # type: ignore[no-untyped-def]
    """Turn uniforms into exponential gaps in place: ``-log(u) / rate``.

    Elements ``first .. first + n - 1`` of ``buf``. In place, so that there is
    one array and LLVM vectorises the loop without a test for overlap; the
    index is unsigned, so that Numba adds no test for a negative one.
    """
    f = np.uint64(first)
    for j in range(n):
        i = f + np.uint64(j)
        buf[i] = -_log(buf[i]) / rate


@nb.njit(cache=True, error_model="numpy")
def fill_blocks(out, k0, k1, rep, streams, blocks, n, sub):  # type: ignore[no-untyped-def]
    """Block ``blocks[j]`` (at ``sub``) of stream ``streams[j]`` into ``out[4j : 4j + 4]``.

    For ``j < n``: blocks of many streams, scattered, drawn in one
    vectorised loop.
    """
    s = np.uint64(sub) & _MASK
    for j in range(n):
        a, b, c, d = philox4x32_10(blocks[j] & _MASK, s, rep, streams[j], k0, k1)
        o = 4 * j
        out[o] = (float(a) + 0.5) * _TO_UNIT
        out[o + 1] = (float(b) + 0.5) * _TO_UNIT
        out[o + 2] = (float(c) + 0.5) * _TO_UNIT
        out[o + 3] = (float(d) + 0.5) * _TO_UNIT


@nb.njit(cache=True, error_model="numpy")
def fill_offspring(  # type: ignore[no-untyped-def]
    out, k0, k1, rep, streams, blocks, n, sub, scale
):
    """Block ``blocks[j]`` (at ``sub``) of stream ``streams[j]`` into ``out[4j : 4j + 4]``.

    For ``j < n``, with lane 1 of each block an exponential of mean
    ``scale``: ``-scale * log(u)`` for its uniform ``u``, computed in the same
    vectorised loop; lanes 0, 2 and 3 hold uniforms. The blocks of several
    streams in one loop: few blocks of each would leave the vector loop idle.
    """
    s = np.uint64(sub) & _MASK
    for j in range(n):
        a, b, c, d = philox4x32_10(blocks[j] & _MASK, s, rep, streams[j], k0, k1)
        o = 4 * j
        out[o] = (float(a) + 0.5) * _TO_UNIT
        out[o + 1] = -scale * _log((float(b) + 0.5) * _TO_UNIT)
        out[o + 2] = (float(c) + 0.5) * _TO_UNIT
        out[o + 3] = (float(d) + 0.5) * _TO_UNIT


@nb.njit(cache=True, error_model="numpy", inline="never")
def _lognormal_tail(p: float, median: float, sigma: float) -> float:
    # A call, not inlined: it keeps the fix-up loop of lognormals scalar, so
    # that the rare tail is computed alone rather than in every lane.
    return median * _exp(sigma * ndtri_fast(p))


@nb.njit(cache=True, error_model="numpy")
def lognormals(buf, first, n, median, sigma):  # type: ignore[no-untyped-def]
    """Turn uniforms into lognormal draws in place: ``median exp(sigma ndtri(u))``.

    Elements ``first .. first + n - 1`` of ``buf``; the inverse normal is
    :func:`ndtri_fast`, to the bit. The central region (95 % of the draws) is
    computed in a vectorised pass that leaves ``-u`` where ``u`` is in a
    tail; a second pass computes those few (``median > 0``, so every draw is
    at least 0 and a negative entry can only be such a mark).
    """
    f = np.uint64(first)
    for j in range(n):
        i = f + np.uint64(j)
        p = buf[i]
        v = median * _exp(sigma * _acklam_central(p))
        buf[i] = v if (p >= _P_LOW) & (1.0 - p >= _P_LOW) else -p
    for j in range(n):
        i = f + np.uint64(j)
        if buf[i] < 0.0:
            buf[i] = _lognormal_tail(-buf[i], median, sigma)


@nb.njit(cache=True, error_model="numpy", inline="always")
def _marsaglia_tsang(x: float, acc_u: float, d: float, c: float) -> float:
    """One try: the accepted Gamma(d + 1/3) draw, or -1 if rejected."""
    v = 1.0 + c * x
    if v <= 0.0:
        return -1.0
    v = v * v * v
    if math.log(acc_u) < 0.5 * x * x + d - d * v + d * math.log(v):
        return d * v
    return -1.0


@nb.njit(cache=True, error_model="numpy")
def gamma_draw(
    shape: float,
    k0: np.uint64,
    k1: np.uint64,
    rep: np.uint64,
    stream: np.uint64,
    index: int,
    sub: int,
) -> float:
    """Gamma(shape, 1) by Marsaglia-Tsang, from blocks ``sub, sub + 1, ...``."""
    boost = 1.0
    if shape < 1.0:
        # Ga(a) = Ga(a + 1) * U^(1 / a); U from a block of its own.
        u0, _, _, _ = uniform4(k0, k1, rep, stream, index, sub)
        boost = u0 ** (1.0 / shape)
        shape += 1.0
        sub += 1
    d = shape - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    for attempt in range(1 << 20):
        a, b, e, f = uniform4(k0, k1, rep, stream, index, sub + attempt)
        v = _marsaglia_tsang(ndtri(a), b, d, c)
        if v > 0.0:
            return v * boost
        v = _marsaglia_tsang(ndtri(e), f, d, c)
        if v > 0.0:
            return v * boost
    return d * boost  # unreachable in practice: acceptance is above 95 % per try


@nb.njit(cache=True, error_model="numpy")
def sample_dist(
    code: int,
    p0: float,
    p1: float,
    p2: float,
    p3: float,
    u: float,
    k0: np.uint64,
    k1: np.uint64,
    rep: np.uint64,
    stream: np.uint64,
    index: int,
    sub: int,
) -> float:
    """One draw of a scenario distribution.

    Fixed, uniform, triangular and lognormal are drawn by inversion of the
    uniform ``u``; gamma and beta, which have no closed-form inverse, by
    rejection from the blocks at ``(index, sub)``, ``(index, sub + 1)``, ...
    of the same stream. ``(p0, p1, p2, p3)`` are the distribution's
    parameters in the order of its ``params()``.
    """
    if code == FIXED:
        return p0
    if code == UNIFORM:
        return p0 + (p1 - p0) * u
    if code == TRIANGULAR:
        low, mode, high = p0, p1, p2
        cut = (mode - low) / (high - low)
        if u < cut:
            return low + math.sqrt(u * (high - low) * (mode - low))
        return high - math.sqrt((1.0 - u) * (high - low) * (high - mode))
    if code == LOGNORMAL:
        return p0 * math.exp(p1 * ndtri_fast(u))
    if code == GAMMA:
        return p1 * gamma_draw(p0, k0, k1, rep, stream, index, sub)
    # BETA: X / (X + Y) with X ~ Ga(a), Y ~ Ga(b) from disjoint blocks.
    x = gamma_draw(p0, k0, k1, rep, stream, index, sub)
    y = gamma_draw(p1, k0, k1, rep, stream, index, sub + (1 << 16))
    return p2 + (p3 - p2) * x / (x + y)
