"""Distribution models: closed-form means, supports, and range rules on supports."""

from __future__ import annotations

import math
from typing import Annotated

import pytest
from pydantic import BaseModel, ValidationError

from riskmc.scenario import (
    DISTRIBUTIONS,
    Beta,
    Bounds,
    Fixed,
    Gamma,
    Lognormal,
    Param,
    Triangular,
    Uniform,
    param_mean,
)


class Holder(BaseModel):
    p: Annotated[Param, Bounds(ge=0, le=1)] = 0.5
    d: Annotated[Param, Bounds(gt=0)] = 1.0


@pytest.mark.parametrize(
    ("dist", "mean", "support"),
    [
        (Fixed(value=3.0), 3.0, (3.0, 3.0)),
        (Uniform(low=2, high=6), 4.0, (2.0, 6.0)),
        (Triangular(low=0, mode=3, high=9), 4.0, (0.0, 9.0)),
        (Lognormal(median=14, sigma=0.4), 14 * math.exp(0.08), (0.0, math.inf)),
        (Gamma(shape=2.5, scale=0.4), 1.0, (0.0, math.inf)),
        (Beta(a=2, b=6), 0.25, (0.0, 1.0)),
        (Beta(a=1, b=1, low=10, high=20), 15.0, (10.0, 20.0)),
    ],
)
def test_mean_and_support_closed_forms(dist, mean, support):
    assert dist.mean() == pytest.approx(mean, rel=1e-12)
    assert dist.support() == support
    assert param_mean(dist) == pytest.approx(mean, rel=1e-12)


def test_codes_are_distinct_and_params_have_four_numbers():
    codes = [model.code for model in DISTRIBUTIONS.values()]
    assert len(set(codes)) == len(codes)
    assert Beta(a=2, b=3, low=1, high=4).params() == (2.0, 3.0, 1.0, 4.0)
    assert Lognormal(median=5, sigma=0.6).params() == (5.0, 0.6, 0.0, 0.0)


def test_number_or_distribution_is_parsed_into_the_right_model():
    h = Holder.model_validate({"p": {"dist": "beta", "a": 2, "b": 2}, "d": 4})
    assert isinstance(h.p, Beta)
    assert h.d == 4.0


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        (0.0, True),
        (1.0, True),
        (1.5, False),
        (-0.1, False),
        ({"dist": "beta", "a": 2, "b": 5}, True),
        ({"dist": "uniform", "low": 0.2, "high": 0.6}, True),
        ({"dist": "uniform", "low": 0.2, "high": 1.2}, False),
        ({"dist": "lognormal", "median": 0.1, "sigma": 0.5}, False),  # unbounded above
        ({"dist": "fixed", "value": 1.0}, True),
        ({"dist": "fixed", "value": 1.01}, False),
    ],
)
def test_probability_rule_applies_to_the_whole_support(value, accepted):
    if accepted:
        Holder.model_validate({"p": value})
    else:
        with pytest.raises(ValidationError):
            Holder.model_validate({"p": value})


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        (0.0, False),
        ({"dist": "fixed", "value": 0.0}, False),
        ({"dist": "uniform", "low": 0.0, "high": 2.0}, True),  # 0 has probability zero
        ({"dist": "uniform", "low": -1.0, "high": 2.0}, False),
        ({"dist": "gamma", "shape": 2, "scale": 1}, True),
    ],
)
def test_positive_rule(value, accepted):
    if accepted:
        Holder.model_validate({"d": value})
    else:
        with pytest.raises(ValidationError):
            Holder.model_validate({"d": value})


@pytest.mark.parametrize(
    "bad",
    [
        {"dist": "uniform", "low": 3, "high": 1},
        {"dist": "triangular", "low": 0, "mode": 5, "high": 4},
        {"dist": "lognormal", "median": 0, "sigma": 1},
        {"dist": "gamma", "shape": -1, "scale": 1},
        {"dist": "beta", "a": 1, "b": 1, "low": 2, "high": 2},
        {"dist": "lognormal", "median": 1},  # sigma missing
        {"dist": "lognormal", "median": 1, "sigma": 1, "mean": 2},  # unknown key
        {"dist": "lognormal", "median": "1", "sigma": 1},  # a string is not a number
    ],
)
def test_malformed_distributions_are_rejected(bad):
    with pytest.raises(ValidationError):
        Holder.model_validate({"d": bad})


def test_booleans_are_not_numbers():
    with pytest.raises(ValidationError):
        Holder.model_validate({"d": True})


def test_param_quantile_inverts_the_cdf():
    from scipy import stats

    from riskmc.scenario.distributions import (
        Beta,
        Gamma,
        Lognormal,
        Triangular,
        Uniform,
        param_quantile,
    )

    cases = [
        (Uniform(low=2.0, high=5.0), stats.uniform(2.0, 3.0)),
        (Triangular(low=1.0, mode=2.0, high=6.0), stats.triang(0.2, loc=1.0, scale=5.0)),
        (Lognormal(median=3.0, sigma=0.7), stats.lognorm(0.7, scale=3.0)),
        (Gamma(shape=2.5, scale=4.0), stats.gamma(2.5, scale=4.0)),
        (Beta(a=2.0, b=3.0, low=10.0, high=20.0), stats.beta(2.0, 3.0, loc=10.0, scale=10.0)),
    ]
    for dist, ref in cases:
        for u in (0.01, 0.2, 0.5, 0.9, 0.999):
            assert param_quantile(dist, u) == pytest.approx(ref.ppf(u), rel=1e-9)
    assert param_quantile(7.0, 0.3) == 7.0
