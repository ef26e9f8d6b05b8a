"""Calibration: fit the hazard to an ACLED or GTD event export.

``read_events -> filter_events -> map_districts -> detect_campaigns ->
fit_poisson / fit_negbin / fit_hawkes -> choose_model -> fit_regimes -> Calibration.block``,
all run by :func:`calibrate`. See ``docs/calibration.md``.
"""

from riskmc.calibration.calibrate import ATTACK_EVENT_TYPES, Calibration, calibrate
from riskmc.calibration.errors import EventFileError
from riskmc.calibration.fits import (
    CampaignFit,
    ModelChoice,
    ModelFit,
    NegbinFit,
    choose_model,
    detect_campaigns,
    fit_negbin,
    fit_poisson,
    poisson_rates,
)
from riskmc.calibration.hawkes import HawkesFit, fit_hawkes
from riskmc.calibration.history import read_history, resolve_history, with_history
from riskmc.calibration.mapping import (
    ALIASES,
    Gazetteer,
    MappedEvents,
    infer_targets,
    map_districts,
)
from riskmc.calibration.readers import EventTable, filter_events, read_acled, read_events, read_gtd
from riskmc.calibration.regimes import RegimeChoice, RegimeFit, fit_regimes
from riskmc.calibration.sample import EventSample
from riskmc.calibration.suspensions import (
    SuspensionFit,
    fit_reference_suspensions,
    fit_suspension_days,
)
from riskmc.calibration.synthetic import write_synthetic_acled

__all__ = [
    "ALIASES",
    "ATTACK_EVENT_TYPES",
    "Calibration",
    "CampaignFit",
    "EventFileError",
    "EventSample",
    "EventTable",
    "Gazetteer",
    "HawkesFit",
    "MappedEvents",
    "ModelChoice",
    "ModelFit",
    "NegbinFit",
    "RegimeChoice",
    "RegimeFit",
    "SuspensionFit",
    "calibrate",
    "choose_model",
    "detect_campaigns",
    "filter_events",
    "fit_hawkes",
    "fit_negbin",
    "fit_poisson",
    "fit_reference_suspensions",
    "fit_regimes",
    "fit_suspension_days",
    "infer_targets",
    "map_districts",
    "poisson_rates",
    "read_acled",
    "read_events",
    "read_gtd",
    "read_history",
    "resolve_history",
    "with_history",
    "write_synthetic_acled",
]
