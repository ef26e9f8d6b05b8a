"""The registry of attack processes and their closed-form count moments.

Whatever the process, a district's ``attacks_per_year`` is its long-run mean:
changing the process changes how attacks cluster, not how many there are.
The kernel dispatches on :attr:`AttackProcess.code`; the moments below are
what the tests check the kernel against, and what a user can check by hand.

References
----------
.. [1] A. G. Hawkes, "Spectra of some self-exciting and mutually exciting
   point processes", Biometrika 58(1), 83-90 (1971): the covariance density of
   the exponential-kernel process used in :func:`hawkes_count_variance`.
.. [2] E. Lewis, G. Mohler, P. J. Brantingham, A. L. Bertozzi, "Self-exciting
   point process models of civilian deaths in Iraq", Security Journal 25,
   244-264 (2012): 37-50 % of events self-excited, triggering over 2-6 weeks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "ATTACK_PROCESSES",
    "AttackProcess",
    "hawkes_count_variance",
    "negbin_count_variance",
]


@dataclass(frozen=True)
class AttackProcess:
    """One attack process: its kernel code, its parameters and what it means."""

    name: str
    code: int
    parameters: tuple[str, ...]
    description: str


ATTACK_PROCESSES: dict[str, AttackProcess] = {
    "poisson": AttackProcess(
        "poisson", 0, (), "Independent attacks at a constant rate: count variance = mean."
    ),
    "negbin": AttackProcess(
        "negbin",
        1,
        ("dispersion",),
        "Poisson with a Gamma(k, 1/k) rate multiplier drawn per replication and district: "
        "count variance = mean + mean^2 / k.",
    ),
    "hawkes": AttackProcess(
        "hawkes",
        2,
        ("branching_ratio", "decay_days", "spillover"),
        "Self-exciting: each attack triggers Poisson(n) more after Exp(decay_days) delays, "
        "a share `spillover` of them in adjacent districts; background rate "
        "attacks_per_year x (1 - n). Simulated exactly by the cluster construction.",
    ),
}


def negbin_count_variance(mean: float, dispersion: float) -> float:
    """Variance of a negative-binomial count of the given mean and shape k."""
    return mean + mean * mean / dispersion


def hawkes_count_variance(
    rate_per_day: float, window_days: float, branching_ratio: float, decay_days: float
) -> float:
    """Variance of the count of a stationary exponential Hawkes process in a window.

    With long-run rate ``lam``, branching ratio ``n`` and mean delay ``tau``
    (kernel ``(n / tau) exp(-t / tau)``), the count over a window ``T`` has

    ``Var = lam T + 2 C (T / b - (1 - exp(-b T)) / b^2)``

    where ``b = (1 - n) / tau`` and ``C = lam n (2 - n) / (2 tau^2 b)``
    (Hawkes 1971). The variance-to-mean ratio tends to ``1 / (1 - n)^2`` as
    ``T / tau`` grows.

    Parameters
    ----------
    rate_per_day : float
        Long-run rate ``lam`` [1/day].
    window_days : float
        Window ``T`` [days].
    branching_ratio : float
        ``n`` in [0, 1).
    decay_days : float
        ``tau`` [days].
    """
    lam, t, n, tau = rate_per_day, window_days, branching_ratio, decay_days
    b = (1.0 - n) / tau
    c = lam * n * (2.0 - n) / (2.0 * tau * tau * b)
    return lam * t + 2.0 * c * (t / b - (1.0 - math.exp(-b * t)) / (b * b))
