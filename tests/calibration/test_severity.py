"""The fatalities law fitted from the events' deaths (SPEC 6): recovery and the block."""

from __future__ import annotations

import numpy as np
import pytest

from riskmc.calibration.severity import MIN_FATALITY_EVENTS, fit_fatalities

from .test_recovery import _calibrated, _scenario


def test_rounded_lognormal_recovered():
    rng = np.random.default_rng(1)
    fit = fit_fatalities(np.rint(rng.lognormal(np.log(0.55), 1.5, 3000)))
    assert fit is not None
    assert fit.law == "lognormal"
    # standard errors at n = 3,000: about 0.03 (log median) and 0.025 (sigma)
    assert fit.params["median"] == pytest.approx(0.55, rel=0.12)
    assert fit.params["sigma"] == pytest.approx(1.5, rel=0.05)
    assert fit.fitted["zero"] == pytest.approx(fit.observed["zero"], abs=0.02)


def test_rounded_gamma_recovered_and_chosen():
    rng = np.random.default_rng(2)
    fit = fit_fatalities(np.rint(rng.gamma(0.4, 5.0, 3000)))
    assert fit is not None
    assert fit.law == "gamma"
    assert fit.params["shape"] == pytest.approx(0.4, rel=0.1)
    assert fit.params["scale"] == pytest.approx(5.0, rel=0.15)


def test_too_few_or_no_deaths_give_no_law():
    assert fit_fatalities([1.0] * (MIN_FATALITY_EVENTS - 1)) is None
    assert fit_fatalities([0.0] * 500) is None
    # unknown counts (GTD's blank nkill) are left out
    assert fit_fatalities([np.nan] * 500 + [1.0] * 10) is None


def test_calibrate_writes_the_law_of_the_default(tmp_path):
    # The default scenario's law: rounded lognormal, median 0.55, sigma 1.5.
    scenario = _scenario("poisson")
    cal = _calibrated(tmp_path, scenario, seed=21)
    law = cal.block()["hazard"]["fatalities"]
    assert law["dist"] == "lognormal"
    n = cal.fatalities.n
    assert n > 1000
    assert law["median"] == pytest.approx(0.55, rel=0.2)
    assert law["sigma"] == pytest.approx(1.5, rel=0.1)
    assert "Fatalities per attack" in cal.report()
