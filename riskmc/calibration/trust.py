"""Which fits of a calibration can be trusted enough to be written.

A fit is always computed and always shown in the report; this module decides
what of it goes into the scenario block, and says why in one warning line per
rule broken. The rules, with their thresholds:

=============================== ============================================================
window < :data:`MIN_RATE_DAYS`  nothing is written: no rate, no campaigns, no process. One
                                event, or every event on one day, with the window taken from
                                the events, is a window of one day: N events in it would be
                                written as ``365 N`` attacks a year.
window < :data:`MIN_WINDOW_DAYS` Poisson rates are written; no clustered model (it needs the
                                months and the quiet spells of a year) and no campaign block
                                (one campaign in 90 days would be 4 a year).
background events fewer than    no clustered model: the likelihood-ratio test's chi-square
:data:`MIN_CLUSTER_EVENTS`, or  and the standard errors from the observed information need
all on one day                  more events, and a burst on one day cannot tell a cluster from
                                a crowd.
a fit at a bound of its search  that model is not written (the next by the choice rule is):
                                Hawkes' branching ratio at 0.99, its decay at 0.25 days or at
                                a quarter of the window, a background rate at 1,000 a day;
                                the negative binomial's ``k`` at 0.001; no finite standard
                                error; the optimiser did not converge.
=============================== ============================================================
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from riskmc.calibration.fits import MAX_DISPERSION, MIN_DISPERSION, ModelChoice, NegbinFit
from riskmc.calibration.hawkes import (
    MAX_BACKGROUND_PER_DAY,
    MAX_BRANCHING,
    HawkesFit,
    decay_bounds,
)
from riskmc.calibration.sample import EventSample

__all__ = [
    "MIN_CLUSTER_EVENTS",
    "MIN_RATE_DAYS",
    "MIN_WINDOW_DAYS",
    "Trust",
    "assess",
    "hawkes_problems",
    "negbin_problems",
]

#: Shortest window from which any rate is written [days]: a quarter. Shorter,
#: an annual rate is more than a fourfold extrapolation of a spell that the
#: export's own start and end (often its first and last event) cut out.
MIN_RATE_DAYS = 90
#: Shortest window for a clustered model or a campaign rate [days]: a year,
#: so that the fighting season and its quiet months are both seen.
MIN_WINDOW_DAYS = 365
#: Fewest background events for a negative-binomial or Hawkes fit to be written.
MIN_CLUSTER_EVENTS = 20


@dataclass(frozen=True)
class Trust:
    """What of a calibration may be written, and the warnings that say why not.

    Attributes
    ----------
    rates : bool
        The districts' ``attacks_per_year`` (and with them the whole block).
    campaigns : bool
        ``hazard.campaigns``.
    models : tuple of str
        Attack processes that may be chosen (always ``'poisson'``).
    warnings : tuple of str
        One line each, without a ``warning:`` prefix.
    """

    rates: bool
    campaigns: bool
    models: tuple[str, ...]
    warnings: tuple[str, ...]


def hawkes_problems(fit: HawkesFit, horizon_days: float) -> list[str]:
    """Why a Hawkes fit cannot be written: bounds hit, no standard errors, no convergence."""
    out = []
    lo_tau, hi_tau = decay_bounds(horizon_days)
    if fit.branching_ratio >= MAX_BRANCHING * (1 - 1e-6):
        out.append(f"branching ratio at its bound {MAX_BRANCHING}")
    if fit.decay_days <= lo_tau * (1 + 1e-6):
        out.append(f"decay at its bound {lo_tau:g} days")
    if fit.decay_days >= hi_tau * (1 - 1e-6):
        out.append(f"decay at its bound {hi_tau:g} days (a quarter of the window)")
    if np.any(fit.mu >= MAX_BACKGROUND_PER_DAY * (1 - 1e-6)):
        out.append(f"a background rate at its bound {MAX_BACKGROUND_PER_DAY:g} a day")
    if not (math.isfinite(fit.se_logit_n) and math.isfinite(fit.se_log_tau)):
        out.append("no finite standard error")
    elif fit.se_logit_n <= 0 or fit.se_log_tau <= 0:
        out.append("a standard error of 0 (a flat or singular likelihood)")
    if not fit.converged:
        out.append("the optimiser did not converge")
    return out


def negbin_problems(fit: NegbinFit) -> list[str]:
    """Why a negative-binomial fit cannot be written."""
    out = []
    if fit.dispersion <= MIN_DISPERSION * (1 + 1e-6):
        out.append(f"dispersion k at its bound {MIN_DISPERSION:g}")
    # At the top of its range k is Poisson's limit, where log k has no curvature: no problem.
    if not math.isfinite(fit.se_log_dispersion) and fit.dispersion < 0.999 * MAX_DISPERSION:
        out.append("no finite standard error")
    return out


def assess(
    window_days: int,
    sample: EventSample,
    negbin: NegbinFit,
    hawkes: HawkesFit,
    choice: ModelChoice,
) -> Trust:
    """Apply the rules of the module docstring.

    Parameters
    ----------
    window_days : int
        Days observed, first and last inclusive.
    sample : EventSample
        The background events (campaign days set apart).
    negbin, hawkes : NegbinFit, HawkesFit
        The fits of ``sample``.
    choice : ModelChoice
        The choice among all three models. A model that fails a rule is
        warned about only if it passed its likelihood-ratio test, that is,
        only if leaving it out changes what could be written.

    Returns
    -------
    Trust
    """
    warnings: list[str] = []
    if window_days < MIN_RATE_DAYS:
        warnings.append(
            f"the window is {days_label(window_days)}, shorter than {MIN_RATE_DAYS} days: no rate "
            "can be estimated from it, so no parameter is written (give --start and --end if "
            "the source covered a longer period with no other event)"
        )
        return Trust(False, False, ("poisson",), tuple(warnings))
    models = ["poisson", "negbin", "hawkes"]
    campaigns = True
    if window_days < MIN_WINDOW_DAYS:
        warnings.append(
            f"the window is {days_label(window_days)}, shorter than a year "
            f"({MIN_WINDOW_DAYS} days): Poisson rates are written, extrapolated to a year; "
            "no clustered model and no hazard.campaigns (the base scenario's stand)"
        )
        models = ["poisson"]
        campaigns = False
    n_events = int(sample.counts.sum())
    n_days = len(np.unique(np.floor(sample.times))) if n_events else 0
    if len(models) > 1 and n_events >= 2 and n_days < 2:
        warnings.append(
            f"the {n_events} background events are all on one day: no clustered model is "
            "written (a burst on one day cannot tell a cluster from a crowd)"
        )
        models = ["poisson"]
    elif len(models) > 1 and n_events < MIN_CLUSTER_EVENTS:
        warnings.append(
            f"{n_events} background events, fewer than {MIN_CLUSTER_EVENTS}: no clustered "
            "model is written"
        )
        models = ["poisson"]
    tested = set(choice.lr_tests.loc[choice.lr_tests["candidate"], "model"])
    problems = {
        "negbin": negbin_problems(negbin),
        "hawkes": hawkes_problems(hawkes, sample.horizon_days),
    }
    for name, found in problems.items():
        if name in models and found:
            models.remove(name)
            if name in tested:
                warnings.append(f"the {name} fit is not written: {'; '.join(found)}")
    return Trust(True, campaigns, tuple(models), tuple(warnings))


def days_label(n: int) -> str:
    """``1 day``, ``2 days``."""
    return f"{n} day{'s' * (n != 1)}"
